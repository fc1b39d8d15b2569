"""Base rate of a new module from presentation aggregates: leave-one-presentation-out
sweep over the 2013 presentations whose module has no other 2013 presentation.

    nice .venv/bin/python -m experiments.oulad_baserate [DATA_DIR] [--out DIR] [--as-features]

For each such presentation (AAA-2013J, EEE-2013J, GGG-2013J) ``OuladRisk()`` is fitted
once on the other eight (backtest rows as in ``experiments.oulad``), then every variant
of the base-rate ridge (``OuladRisk(new_module_base_rate=w, base_rate_alpha=alpha)``
restricted to a set of :data:`models.risk.course.BASE_RATE`-style aggregates) is fitted
on the same calibrated out-of-presentation logits and applied to the held-out
presentation at day 60 and 120.  Writes ``baserate.csv`` (signed share error per
presentation and mean absolute error per variant).  Only training data is read.
Presentations of modules seen in training are unaffected by the base rate (it only
applies to modules never seen), so this sweep is the whole of its LOPO effect on share.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from tqdm import tqdm

from experiments.oulad import load_oulad, train_days
from models.risk import course as ro

log = logging.getLogger(__name__)
SETS = {
    "withdrawn": ["unit_withdrawn_share"],
    "withdrawn+submitted": ["unit_withdrawn_share", "unit_submit_share"],
    "withdrawn+submitted+score": ["unit_withdrawn_share", "unit_submit_share", "unit_wscore"],
    "BASE_RATE": list(ro.BASE_RATE),
    "withdrawn+credits": ["unit_withdrawn_share", "credits"],
    "all": [*ro.BASE_RATE, "credits", "n_due"],
}
AGG = [*ro.BASE_RATE, "credits", "n_due"]


def _table(X: pd.DataFrame, y: np.ndarray | None = None, zc: np.ndarray | None = None):  # noqa: ANN202
    g = X.assign(credits=X["studied_credits"]).groupby(["unit", "cutoff_day"])
    a = g[AGG].mean()
    if y is not None and zc is not None:
        a["need"] = [ro._shift_to(zc[i], y[i].mean()) for i in g.indices.values()]
    return a


class _Capture(ro.OuladRisk):
    """OuladRisk without a base rate that keeps what the base-rate fit would see."""

    def _fit_base_rate(self, X, y, zc):  # noqa: ANN001, ANN202
        self.seen_ = (X, y, zc)
        return None


def _frames(
    data: str | Path, cutoffs: tuple[int, ...]
) -> tuple[dict[int, pd.DataFrame], pd.DataFrame, list[str]]:
    """Per day the OULAD rows, the training rows (every training day) and the
    presentations whose module has no other presentation (held out one at a time)."""
    t = load_oulad([data])
    orgs = t["organizations"]
    days = train_days(cutoffs, 15, int(orgs["length_days"].max()))
    frames = {d: ro.oulad_frame(t, d) for d in sorted(set(days) | set(cutoffs))}
    rows_all = pd.concat([frames[d] for d in days])
    counts = orgs["code_module"].value_counts()
    lone = sorted(orgs.loc[orgs["code_module"].map(counts) == 1, "org_id"])
    return frames, rows_all, lone


def sweep(data: str | Path, cutoffs: tuple[int, ...] = (60, 120)) -> pd.DataFrame:
    frames, rows_all, lone = _frames(data, cutoffs)
    folds = []
    for u in tqdm(lone, desc="new-module presentations"):
        rows = rows_all[rows_all["unit"] != u].reset_index(drop=True)
        m = _Capture().fit(rows, rows["label"].to_numpy())
        held = {d: frames[d][frames[d]["unit"] == u].reset_index(drop=True) for d in cutoffs}
        p = {d: m.predict_proba(held[d])[:, 1] for d in cutoffs}
        folds.append((u, _table(*m.seen_), held, p))
    out = [
        {"set": "none", "alpha": 0.0, "w": 0.0, "unit": u, "day": d,
         "error": p[d].mean() - held[d]["label"].mean()}
        for u, _, held, p in folds for d in cutoffs
    ]  # fmt: skip
    for name, cols in SETS.items():
        for alpha in (1.0, 10.0, 30.0, 100.0):
            for w in (0.5, 1.0):
                for u, tr, held, p in folds:
                    ridge = make_pipeline(
                        SimpleImputer(strategy="median", keep_empty_features=True),
                        StandardScaler(),
                        Ridge(alpha=alpha),
                    ).fit(tr[cols], tr["need"])
                    for d in cutoffs:
                        off = w * ridge.predict(_table(held[d])[cols])[0]
                        q = ro._expit(ro._logit(p[d]) + off)
                        err = q.mean() - held[d]["label"].mean()
                        out.append(
                            {"set": name, "alpha": alpha, "w": w, "unit": u, "day": d, "error": err}
                        )
    return pd.DataFrame(out)


def as_features(data: str | Path, cutoffs: tuple[int, ...] = (60, 120)) -> pd.DataFrame:
    """The other way: the presentation aggregates as tree inputs (no base rate), same
    held-out presentations; signed share error per presentation and day."""
    frames, rows_all, lone = _frames(data, cutoffs)
    out = []
    saved = ro.FEATURES
    ro.FEATURES = (*saved, "unit_withdrawn_share", "unit_submit_share", "unit_wscore")
    try:
        for u in tqdm(lone, desc="aggregates as inputs"):
            rows = rows_all[rows_all["unit"] != u].reset_index(drop=True)
            m = ro.OuladRisk().fit(rows, rows["label"].to_numpy())
            for d in cutoffs:
                h = frames[d][frames[d]["unit"] == u]
                err = m.predict_proba(h)[:, 1].mean() - h["label"].mean()
                out.append({"set": "as-inputs", "unit": u, "day": d, "error": err})
    finally:
        ro.FEATURES = saved
    return pd.DataFrame(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", nargs="?", default="../shared/datasets/oulad-2013")
    ap.add_argument("--out", type=Path, default=Path("var/runs/oulad-2013-baserate-sweep"))
    ap.add_argument(
        "--as-features", action="store_true", help="the aggregates as tree inputs instead"
    )
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    data = Path(args.data)
    if not data.is_absolute():  # looked up from the working directory and its parents
        data = next(
            (b / data for b in [Path.cwd(), *Path.cwd().parents] if (b / data).exists()), data
        )
    if args.as_features:
        res = as_features(data)
        print(res.round(3).to_string())  # noqa: T201
        print(res.assign(abs=res["error"].abs()).groupby("day")["abs"].mean().round(3))  # noqa: T201
        return 0
    res = sweep(data)
    args.out.mkdir(parents=True, exist_ok=True)
    res.to_csv(args.out / "baserate.csv", index=False)
    res["abs"] = res["error"].abs()
    table = res.pivot_table(index=["set", "alpha", "w"], columns="day", values="abs", dropna=False)
    print(table.sort_values(table.columns[0]).round(3).head(15).to_string())  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
