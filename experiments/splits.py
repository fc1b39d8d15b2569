"""Declared splits: what a model may learn from and what it is scored on.

Recommend
  ``temporal(tables, cut, horizon_days)``: train on every record dated before ``cut``
  (``features.asof.tables_as_of`` of the day before: a participation completed on or
  after the cut is seen as still enrolled); test = each person's completions in
  ``[cut, cut + horizon)`` of modules they had not completed before the cut.  Only
  people on the staff before the cut are scored, and only if they have a test item.
  ``validation_fold`` repeats the same split one horizon earlier, inside the training
  data, for tuning — the test cut is never seen while tuning.

  ``leave_last(tables)``: each person's completions on their last completion date are
  the test set; their records dated on or after that day leave training (other
  people's records stay: the split is per person, for data whose dates are coarse).
  People with a single completion date are not scored.

Risk
  ``risk_backtest(tables, as_of, policy)``: features come from ``tables_as_of(as_of)``;
  the label is whether the person still misses the requirement at their deadline, from
  the full tables.  Scored: staff employed on ``as_of`` with a requirement not yet met
  and still employed at the deadline (a leaver's label is undefined).  With
  ``deadline`` (config ``[split] deadline``) only people whose deadline is that date are
  scored — e.g. the cadre rules' yearly hours, leaving out leaders held to a 5-year
  cycle whose deadline lies beyond the data.
  ``group_folds``: people split by organization (no organization in both sides), for
  the models that learn from labels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.policy import Policy
from features.asof import Tables, tables_as_of
from features.compliance import compliance
from features.snapshot import snapshot

DAY = pd.Timedelta(days=1)
#: Risk labels need data up to the deadline; the last record may fall a little short of
#: it (nobody happened to complete on the final days), so a month of slack is allowed.
SLACK = pd.Timedelta(days=31)


@dataclass
class RecommendFold:
    """Training tables, the test pairs and the day the training data ends.

    ``as_of`` is one date for a temporal split; for leave-last it is per person
    (``person_as_of``: staff_id → the day before their test date)."""

    name: str
    train: Tables
    test: pd.DataFrame  # staff_id, module_id
    as_of: pd.Timestamp
    person_as_of: pd.Series | None = None

    @property
    def people(self) -> list[str]:
        return sorted(self.test["staff_id"].unique())


def _completed(tables: Tables) -> pd.DataFrame:
    p = tables["participations"]
    return p[(p["status"] == "completed").to_numpy()]


def temporal(tables: Tables, cut: str | pd.Timestamp, horizon_days: int, name: str = "test"):  # noqa: ANN201
    """The temporal split (module docstring) → ``RecommendFold``."""
    cut = pd.Timestamp(cut).normalize()
    if horizon_days < 1:
        raise ValueError(f"horizon_days must be at least 1, got {horizon_days}")
    train = tables_as_of(tables, cut - DAY)
    done = _completed(tables)
    when = done["completed_on"]
    window = done[(when >= cut) & (when < cut + pd.Timedelta(days=horizon_days))]
    known = set(train["staff"]["staff_id"].astype(str))
    before = set(
        zip(
            _completed(train)["staff_id"].astype(str),
            _completed(train)["module_id"].astype(str),
            strict=True,
        )
    )
    pairs = window[["staff_id", "module_id"]].astype(str).drop_duplicates()
    keep = np.fromiter(
        (
            s in known and (s, m) not in before
            for s, m in zip(pairs["staff_id"], pairs["module_id"], strict=True)
        ),
        dtype=bool,
        count=len(pairs),
    )
    test = pairs[keep].sort_values(["staff_id", "module_id"]).reset_index(drop=True)
    if test.empty:
        raise ValueError(
            f"no completions in [{cut.date()}, {(cut + pd.Timedelta(days=horizon_days)).date()}) "
            "by staff known before the cut: choose another split.cut or horizon_days"
        )
    return RecommendFold(name, train, test, cut - DAY)


def validation_fold(fold: RecommendFold, horizon_days: int | None) -> RecommendFold:
    """The same kind of split inside ``fold.train`` (for tuning)."""
    if fold.person_as_of is not None:
        return leave_last(fold.train, name="validation")
    return temporal(
        fold.train, fold.as_of + DAY - pd.Timedelta(days=horizon_days), horizon_days, "validation"
    )


def leave_last(tables: Tables, name: str = "test") -> RecommendFold:
    done = _completed(tables)
    sid = done["staff_id"].astype(str)
    last = done.groupby(sid)["completed_on"].max()
    n_dates = done.groupby(sid)["completed_on"].nunique()
    scored = n_dates.index[n_dates >= 2]
    cut = last.reindex(scored)
    is_test = sid.isin(scored) & (done["completed_on"] == sid.map(cut))
    test = (
        done.loc[is_test, ["staff_id", "module_id"]]
        .astype(str)
        .drop_duplicates()
        .sort_values(["staff_id", "module_id"])
        .reset_index(drop=True)
    )
    if test.empty:
        raise ValueError("leave_last: no person has completions on two different dates")
    train = dict(tables)
    for table, col in (
        ("participations", "enrolled_on"),
        ("assessments", "taken_on"),
        ("outcomes", "measured_on"),
    ):
        f = tables[table]
        person_cut = f["staff_id"].astype(str).map(cut)
        late = person_cut.notna() & (f[col] >= person_cut)
        if table == "participations":
            late |= person_cut.notna() & (f["completed_on"] >= person_cut)
        train[table] = f[~late.to_numpy()].reset_index(drop=True)
    return RecommendFold(name, train, test, cut.max() - DAY, person_as_of=cut - DAY)


# -- risk ---------------------------------------------------------------------------
@dataclass
class RiskFold:
    """Features' tables (as of ``as_of``), the status then, and labels from later."""

    as_of: pd.Timestamp
    policy: Policy
    train: Tables
    status: pd.DataFrame  # compliance as of as_of, for the scored people
    labels: pd.DataFrame  # staff_id, org_id, label


def risk_backtest(
    tables: Tables,
    as_of: str | pd.Timestamp,
    policy: Policy,
    deadline: str | pd.Timestamp | None = None,
) -> RiskFold:
    as_of = pd.Timestamp(as_of).normalize()
    train = tables_as_of(tables, as_of)
    now = compliance(snapshot(train, as_of), policy)
    now = now[now["employed"] & (now["required"] > 0) & (now["status"] != "met")]
    if now.empty:
        raise ValueError(f"risk split: nobody has an unmet requirement on {as_of.date()}")
    if deadline is not None:
        deadline = pd.Timestamp(deadline).normalize()
        due = pd.to_datetime(now["deadline"]) == deadline
        if not due.any():
            found = ", ".join(sorted({str(pd.Timestamp(d).date()) for d in now["deadline"]}))
            raise ValueError(
                f"risk split: nobody with an unmet requirement on {as_of.date()} has the "
                f"deadline {deadline.date()} (their deadlines: {found})"
            )
        now = now[due.to_numpy()]
    last = max(
        pd.to_datetime(tables["participations"][c]).max() for c in ("enrolled_on", "completed_on")
    )
    pieces = []
    for deadline, group in now.groupby("deadline", observed=True):
        if deadline - SLACK > last:
            raise ValueError(
                f"risk split: the data end on {last.date()}, before the deadline "
                f"{deadline.date()}: labels are unknown; choose an earlier split.as_of or policy"
            )
        later = compliance(snapshot(tables, deadline), policy).set_index("staff_id")
        later = later.reindex(group["staff_id"])
        stay = later["employed"].fillna(False).to_numpy(dtype=bool)
        pieces.append(
            pd.DataFrame(
                {
                    "staff_id": group["staff_id"].to_numpy()[stay],
                    "org_id": group["org_id"].to_numpy()[stay],
                    "label": (later["status"].astype(str).to_numpy()[stay] != "met").astype(int),
                }
            )
        )
    labels = pd.concat(pieces, ignore_index=True).sort_values("staff_id").reset_index(drop=True)
    status = now.set_index("staff_id").loc[labels["staff_id"]].reset_index()
    return RiskFold(as_of, policy, train, status, labels)


def group_folds(groups: np.ndarray, n_folds: int, seed: int) -> np.ndarray:
    """Fold number per row, whole groups per fold, shuffled by ``seed``."""
    uniq = np.unique(groups)
    if len(uniq) < n_folds:
        raise ValueError(f"need at least {n_folds} groups for {n_folds} folds, got {len(uniq)}")
    perm = np.random.default_rng(seed).permutation(len(uniq))
    fold_of = dict(zip(uniq[perm], np.arange(len(uniq)) % n_folds, strict=True))
    return np.array([fold_of[g] for g in groups])
