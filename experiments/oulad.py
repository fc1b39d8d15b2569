"""OULAD risk experiment: Fail or Withdrawn as of day 60 and day 120 of a presentation.

Config (TOML, the experiment contract)::

    task = "risk"
    seeds = [0]
    [data]
    format = "oulad"
    train = ["../shared/datasets/oulad-2013#2013B"]   # directories of OULAD's original files;
    test = ["../shared/datasets/oulad-2013#2013J"]    #   "#CODES" keeps only those presentations
    [split]
    cutoffs = [60, 120]
    # train_every = 15; train_window = [30, 180]   (backtest days; default near the cut-offs)
    [[models]]
    name = "risk"      # also "logreg", "rule"; other keys are OuladRisk parameters

``python -m experiments.oulad CONFIG --out DIR [--lopo]``: ``--lopo`` leaves one
*training* presentation out at a time instead (cross-validation inside the training
data, :func:`lopo`), the figure to choose a model by; the test presentations are not read.

Relative data paths are looked up from the working directory, then from the config
file's folder and its parents.  Choices (documented here, listed in the report):

- ``risk`` and ``logreg`` are trained on *backtests*: snapshots of the training
  presentations every ``train_every`` days (default 15) from 30 days before the first
  cut-off to 60 days after the last (:func:`train_days`), each with its
  still-registered population and the final result as label, and the cut-off's share
  of the presentation as a feature.  One model serves every cut-off; no test
  presentation is looked at before scoring.
- ``risk`` is ``OuladRisk()``: gradient-boosted trees calibrated on
  out-of-presentation predictions, with half of each known module's learned offset
  (see ``models.risk.course``; chosen by leave-one-presentation-out over the nine 2013
  presentations); ``logreg`` the tuned logistic regression on the same features and
  rows (C by log-loss over presentation-grouped folds).
- ``rule`` is untrained: 1 − weighted score to date / 100, missing due work as 0.
- Metrics are experiments.metrics' (DESIGN.md's names); ``share_error`` is the mean over
  presentations of |mean predicted − observed share| (``share_error_max`` adds the worst).

Modules: ``experiments.oulad_data`` (data directories, reading, backtest rows),
``experiments.oulad_report`` (metrics, per-presentation table, report, plot); here the
runs (``run``, ``lopo``, ``run_config``) and the command line.  The names this module
held before the split are re-exported here.
"""

from __future__ import annotations

import argparse
import json
import logging
import tomllib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from experiments.oulad_data import (
    DATA_PATH_ENV,
    _resolve,
    backtest_frame,
    load_oulad,
    split_entry,
    train_days,
)
from experiments.oulad_report import (
    presentation_table,
    reliability_plot,
    report_markdown,
    risk_metrics,
)
from models.risk.course import OuladRisk, oulad_frame

__all__ = [
    "DATA_PATH_ENV",
    "MODELS",
    "backtest_frame",
    "load_oulad",
    "lopo",
    "main",
    "presentation_table",
    "reliability_plot",
    "report_markdown",
    "risk_metrics",
    "run",
    "run_config",
    "split_entry",
    "train_days",
]

log = logging.getLogger(__name__)
MODELS = ("risk", "logreg", "rule")


def run(
    train_dirs: Sequence[str | Path],
    test_dirs: Sequence[str | Path],
    cutoffs: Sequence[int] = (60, 120),
    models: Sequence[dict] = ({"name": "risk"}, {"name": "logreg"}, {"name": "rule"}),
    seed: int = 0,
    train_presentations: Sequence[str] | None = None,
    test_presentations: Sequence[str] | None = None,
    train_every: int = 15,
    progress: bool = True,
    train_window: Sequence[int] | None = None,
) -> tuple[list[dict], pd.DataFrame]:
    """Fit on the training presentations, score the test ones at each cut-off.

    Returns (metrics records ``{model, metric, value, seed, slice}``, predictions with
    columns ``model, slice, unit, learner, score, label``)."""
    train = load_oulad(train_dirs, train_presentations)
    # the models use clicks only when training has them (OuladRisk.inputs_): without
    # them in training, the test files' studentVle (10 M rows in OULAD's release) is not read
    vle = train.get("_oulad/student_vle")
    test = load_oulad(test_dirs, test_presentations, clicks=vle is not None and len(vle) > 0)
    overlap = set(train["organizations"]["org_id"]) & set(test["organizations"]["org_id"])
    if overlap:
        raise ValueError(f"presentations in both train and test: {sorted(overlap)}")
    longest = int(train["organizations"]["length_days"].max())
    rows = backtest_frame(train, days=train_days(cutoffs, train_every, longest, train_window))
    fitted = _fit_models(rows, models, seed, progress)
    records, preds = [], []
    for d in cutoffs:
        frame = oulad_frame(test, int(d))
        for spec in models:
            name = spec["name"]
            p = _score(fitted, name, frame)
            sl = f"day{int(d)}"
            for metric, value in risk_metrics(frame["label"], p, frame["unit"]).items():
                records.append(
                    {"model": name, "metric": metric, "value": value, "seed": seed, "slice": sl}
                )
            preds.append(
                pd.DataFrame(
                    {
                        "model": name,
                        "slice": sl,
                        "unit": frame["unit"],
                        "learner": frame["id_student"],
                        "score": p,
                        "label": frame["label"].astype(int),
                    }
                )
            )
    return records, pd.concat(preds, ignore_index=True)


def _fit_models(
    rows: pd.DataFrame, models: Sequence[dict], seed: int, progress: bool = False
) -> dict[str, OuladRisk]:
    fitted = {}
    for spec in tqdm(models, desc="fit", disable=not progress, leave=False):
        name = spec["name"]
        params = {k: v for k, v in spec.items() if k != "name"}
        if name == "rule":
            continue
        if name not in MODELS:
            raise ValueError(f"unknown OULAD risk model {name!r}; known: {', '.join(MODELS)}")
        kind = "logreg" if name == "logreg" else params.pop("kind", "gbm")
        fitted[name] = OuladRisk(kind=kind, random_state=seed, **params).fit(
            rows, rows["label"].to_numpy()
        )
    return fitted


def _score(fitted: dict[str, OuladRisk], name: str, frame: pd.DataFrame) -> np.ndarray:
    if name == "rule":
        return frame["rule_score"].to_numpy()
    return fitted[name].predict_proba(frame)[:, 1]


def lopo(
    train_dirs: Sequence[str | Path],
    cutoffs: Sequence[int] = (60, 120),
    models: Sequence[dict] = ({"name": "risk"}, {"name": "logreg"}, {"name": "rule"}),
    seed: int = 0,
    train_presentations: Sequence[str] | None = None,
    train_every: int = 15,
    progress: bool = True,
    train_window: Sequence[int] | None = None,
) -> tuple[list[dict], pd.DataFrame]:
    """Leave one presentation out within the training data: for each training
    presentation, fit on the others and score it at each cut-off.

    This is cross-validation inside the training set (what the 2014 judging's training
    data allows), used to choose the model; the test presentations are never read.
    Every feature is computed within its own presentation, so the frames are built once.
    Records are pooled over held-out presentations per cut-off (``slice`` ``dayD``),
    and again over the held-out presentations whose module has another presentation in
    training (``dayD-seen-module``: the situation of most 2014 presentations) and those
    whose module has none (``dayD-new-module``).  Predictions as in :func:`run`."""
    train = load_oulad(train_dirs, train_presentations)
    longest = int(train["organizations"]["length_days"].max())
    fit_days = train_days(cutoffs, train_every, longest, train_window)
    frames = {d: oulad_frame(train, d) for d in sorted(set(fit_days) | {int(d) for d in cutoffs})}
    allrows = pd.concat([frames[d] for d in fit_days])
    units = sorted(train["organizations"]["org_id"])
    module_of = train["organizations"].set_index("org_id")["code_module"]
    preds = []
    for u in tqdm(units, desc="leave one presentation out", disable=not progress):
        rows = allrows[allrows["unit"] != u].reset_index(drop=True)
        fitted = _fit_models(rows, models, seed)
        seen = bool((module_of.drop(u) == module_of[u]).any())
        for d in cutoffs:
            frame = frames[int(d)]
            frame = frame[frame["unit"] == u].reset_index(drop=True)
            for spec in models:
                preds.append(
                    pd.DataFrame(
                        {
                            "model": spec["name"],
                            "slice": f"day{int(d)}",
                            "unit": u,
                            "seen_module": seen,
                            "learner": frame["id_student"],
                            "score": _score(fitted, spec["name"], frame),
                            "label": frame["label"].astype(int),
                        }
                    )
                )
    preds = pd.concat(preds, ignore_index=True)
    records = []
    for (name, sl), g in preds.groupby(["model", "slice"], sort=False):
        for tag, part in (("", g), ("-seen-module", g[g["seen_module"]]),
                          ("-new-module", g[~g["seen_module"]])):  # fmt: skip
            if part["label"].nunique() < 2:
                continue
            m = risk_metrics(part["label"], part["score"], part["unit"])
            records += [
                {"model": name, "metric": k, "value": v, "seed": seed, "slice": sl + tag}
                for k, v in m.items()
            ]
    return records, preds


def run_config(
    config: str | Path, out: str | Path, progress: bool = True, leave_one_out: bool = False
) -> list[dict]:
    """Run an OULAD risk config and write metrics.json, predictions.csv, reliability.png
    (and presentations.csv: per presentation figures).  ``leave_one_out``: instead of
    train → test, leave one *training* presentation out at a time (:func:`lopo`)."""
    config = Path(config)
    cfg = tomllib.loads(config.read_text(encoding="utf-8"))
    data, split = cfg["data"], cfg.get("split", {})
    leave_one_out = leave_one_out or split.get("kind") == "lopo"
    if data.get("format") != "oulad":
        raise ValueError(f"{config}: [data] format must be 'oulad'")
    records, preds = [], []
    models = cfg.get("models", [{"name": "risk"}, {"name": "logreg"}, {"name": "rule"}])
    # checked before any data is read or model fitted
    for spec in models:
        if spec.get("name") == "oracle":
            raise ValueError(
                f"{config}: model 'oracle' needs the demo generator's truth; OULAD's "
                "learners are real and have none (models: risk, logreg, rule)"
            )
        if spec.get("name") not in MODELS:
            raise ValueError(
                f"{config}: unknown OULAD risk model {spec.get('name')!r}; "
                f"known: {', '.join(MODELS)}"
            )
    for seed in cfg.get("seeds", [0]):
        common = {
            "seed": int(seed),
            "train_presentations": data.get("train_presentations"),
            "train_every": int(split.get("train_every", 15)),
            "train_window": split.get("train_window"),
            "progress": progress,
        }
        train = [_resolve(d, config) for d in data["train"]]
        cutoffs = split.get("cutoffs", [60, 120])
        if leave_one_out:
            r, p = lopo(train, cutoffs, models, **common)
        else:
            if not data.get("test"):
                raise ValueError(
                    f"{config}: [data] test lists no directory; to leave one training "
                    'presentation out instead, set [split] kind = "lopo" (or --lopo)'
                )
            test = [_resolve(d, config) for d in data["test"]]
            r, p = run(
                train, test, cutoffs, models,
                test_presentations=data.get("test_presentations"), **common,
            )  # fmt: skip
        records += r
        preds.append(p.assign(seed=seed))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(records, indent=1), encoding="utf-8")
    allp = pd.concat(preds, ignore_index=True)
    allp.drop(columns="seed").to_csv(out / "predictions.csv", index=False)
    presentation_table(allp).to_csv(out / "presentations.csv", index=False)
    reliability_plot(allp, out / "reliability.png")
    return records


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Run an OULAD risk experiment config.")
    ap.add_argument("config", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument(
        "--lopo",
        action="store_true",
        help="leave one training presentation out at a time (cross-validation inside "
        "the training data; the test presentations are not read)",
    )
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    records = run_config(args.config, args.out, leave_one_out=args.lopo)
    table = pd.DataFrame(records).pivot_table(
        index=["slice", "model"], columns="metric", values="value"
    )
    print(table.round(4).to_string())  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
