"""Declared splits: what a model may learn from and what it is scored on.

Recommend (``[split]`` of the config; DESIGN.md "Contracts added this round")
  ``temporal(tables, cut, horizon_days, truth=, candidates=)``: train on every record
  dated before ``cut`` (``features.asof.tables_as_of`` of the day before: a
  participation completed on or after the cut is seen as still enrolled), with the
  **whole sessions table**: sessions are the announced schedule, not an outcome, so a
  model sees those starting after the cut (they are what is on offer).
  The test items of a person are ``truth``:

  - ``"completed"`` (default): their completions dated in ``[cut, cut + horizon)``;
  - ``"enrolled"``: their enrolments of any status but ``no_show`` dated (``enrolled_on``)
    in the window — a choice is an enrolment;

  never a module the person was enrolled in or had completed at the cut (a
  participation before the cut that is ``enrolled`` or ``completed`` as of the day
  before; a dropped one does not count: taking it again is a new choice).
  Scored: everyone with a test item who is on the staff by the end of the window
  (``hired_on < cut + horizon``).  People who join during the window are unknown to
  the model, which answers them as it answers an empty history; with everyone else
  who had no participation before the cut they form the ``cold`` slice, the rest the
  ``warm`` slice (``RecommendFold.warm``).
  ``candidates = "offered"``: the modules offered in ``[cut, cut + horizon)``
  (``features.offerings``) are the only ones a model may recommend
  (``RecommendFold.offered``; the harness passes the rest as ``Filters.exclude_modules``
  and counts a recommendation outside them as not admissible).  ``"all"``: no limit.
  ``validation_fold`` repeats the same split one horizon earlier, inside the training
  data, for tuning — the test cut is never seen while tuning.

  ``leave_last(tables, truth=)``: each person's ``truth`` events (completions, or
  enrolments) on their last such date are the test set; their records dated on or
  after that day leave training, and a participation of theirs completed on or after it
  is seen as still enrolled (other people's records stay: the split is per person, for
  data whose dates are coarse).  People with a single date are not scored; the
  same exclusion (enrolled or completed before their date) and slices apply, with the
  person's own date as the cut.  Candidates are always ``"all"`` (there is no one
  window).

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
from experiments.config import CANDIDATES, TRUTHS
from features.asof import Tables, tables_as_of
from features.compliance import compliance
from features.snapshot import snapshot

#: Statuses that count as "did what was owed" at the deadline (``none``: owed nothing).
DONE = ("met", "none")

DAY = pd.Timedelta(days=1)
#: Risk labels need data up to the deadline; the last record may fall a little short of
#: it (nobody happened to complete on the final days), so a month of slack is allowed.
SLACK = pd.Timedelta(days=31)


@dataclass
class RecommendFold:
    """Training tables, the test pairs and the day the training data ends.

    ``as_of`` is one date for a temporal split; for leave-last it is per person
    (``person_as_of``: staff_id → the day before their test date).  ``warm``: the
    scored people who had a participation before their cut; ``offered``: the modules
    one may recommend (None = any; ``candidates = "offered"``)."""

    name: str
    train: Tables
    test: pd.DataFrame  # staff_id, module_id
    as_of: pd.Timestamp
    person_as_of: pd.Series | None = None
    warm: frozenset[str] = frozenset()
    offered: frozenset[str] | None = None

    @property
    def people(self) -> list[str]:
        return sorted(self.test["staff_id"].unique())

    def slice_people(self, name: str) -> list[str]:
        """The scored people of slice ``all``, ``warm`` or ``cold``."""
        if name == "all":
            return self.people
        return [p for p in self.people if (p in self.warm) == (name == "warm")]


def _check(truth: str, candidates: str) -> None:
    if truth not in TRUTHS:
        raise ValueError(f"truth must be one of {', '.join(TRUTHS)}, got {truth!r}")
    if candidates not in CANDIDATES:
        raise ValueError(f"candidates must be one of {', '.join(CANDIDATES)}, got {candidates!r}")


def _events(p: pd.DataFrame, truth: str) -> tuple[pd.DataFrame, str]:
    """The participations that are choices under ``truth`` and the column dating them."""
    if truth == "completed":
        return p[(p["status"] == "completed").to_numpy()], "completed_on"
    return p[(p["status"].astype(str) != "no_show").to_numpy()], "enrolled_on"


def _pairs(frame: pd.DataFrame) -> pd.Series:
    return frame["staff_id"].astype(str) + "\x1f" + frame["module_id"].astype(str)


def _held(train: Tables) -> pd.DataFrame:
    """staff_id, module_id enrolled in or completed as of the training data's end."""
    p = train["participations"]
    return p[p["status"].astype(str).isin(["enrolled", "completed"]).to_numpy()]


def temporal(
    tables: Tables,
    cut: str | pd.Timestamp,
    horizon_days: int,
    name: str = "test",
    truth: str = "completed",
    candidates: str = "all",
) -> RecommendFold:
    """The temporal split (module docstring) → ``RecommendFold``."""
    _check(truth, candidates)
    cut = pd.Timestamp(cut).normalize()
    if horizon_days < 1:
        raise ValueError(f"horizon_days must be at least 1, got {horizon_days}")
    end = cut + pd.Timedelta(days=horizon_days)
    train = tables_as_of(tables, cut - DAY)
    if "sessions" in tables:  # the announced schedule, future sessions included
        train = {**train, "sessions": tables["sessions"]}
    events, col = _events(tables["participations"], truth)
    when = events[col]
    window = events[((when >= cut) & (when < end)).to_numpy()]
    staff = tables["staff"]
    known = set(staff.loc[(staff["hired_on"] < end).to_numpy(), "staff_id"].astype(str))
    pairs = window[["staff_id", "module_id"]].astype(str).drop_duplicates()
    keep = pairs["staff_id"].isin(known) & ~_pairs(pairs).isin(set(_pairs(_held(train))))
    test = pairs[keep.to_numpy()].sort_values(["staff_id", "module_id"]).reset_index(drop=True)
    if test.empty:
        what = "completions" if truth == "completed" else "enrolments"
        raise ValueError(
            f"no {what} in [{cut.date()}, {end.date()}) of modules new to people on the "
            "staff: choose another split.cut or horizon_days"
        )
    warm = frozenset(train["participations"]["staff_id"].astype(str)) & set(test["staff_id"])
    offered = None
    if candidates == "offered":
        from features.offerings import offered_module_ids

        offered = offered_module_ids(tables, cut, end)
    return RecommendFold(name, train, test, cut - DAY, warm=warm, offered=offered)


def validation_fold(
    fold: RecommendFold, horizon_days: int | None, truth: str = "completed", candidates: str = "all"
) -> RecommendFold:
    """The same kind of split inside ``fold.train`` (for tuning)."""
    if fold.person_as_of is not None:
        return leave_last(fold.train, name="validation", truth=truth)
    assert horizon_days is not None
    return temporal(
        fold.train,
        fold.as_of + DAY - pd.Timedelta(days=horizon_days),
        horizon_days,
        "validation",
        truth,
        candidates,
    )


def _still_enrolled(p: pd.DataFrame, cut: pd.Series) -> pd.DataFrame:
    """Participations completed on or after their person's ``cut`` as they were known
    the day before: ``enrolled``, no completion date, no hours (as ``tables_as_of``)."""
    late = (cut.notna() & (p["completed_on"] >= cut)).to_numpy()
    if not late.any():
        return p
    p = p.copy()
    p["status"] = p["status"].astype(object).where(~late, "enrolled")
    p["completed_on"] = p["completed_on"].where(~late)
    p["hours"] = p["hours"].astype(float).where(~late, 0.0)
    return p


def leave_last(tables: Tables, name: str = "test", truth: str = "completed") -> RecommendFold:
    """The leave-last split (module docstring) → ``RecommendFold``."""
    _check(truth, "all")
    events, col = _events(tables["participations"], truth)
    sid = events["staff_id"].astype(str)
    last = events.groupby(sid)[col].max()
    n_dates = events.groupby(sid)[col].nunique()
    scored = n_dates.index[n_dates >= 2]
    cut = last.reindex(scored)
    is_test = sid.isin(scored) & (events[col] == sid.map(cut))
    test = events.loc[is_test, ["staff_id", "module_id"]].astype(str).drop_duplicates()
    train = dict(tables)
    for table, date_col in (
        ("participations", "enrolled_on"),
        ("assessments", "taken_on"),
        ("outcomes", "measured_on"),
    ):
        f = tables[table]
        person_cut = f["staff_id"].astype(str).map(cut)
        late = person_cut.notna() & (f[date_col] >= person_cut)
        f = f[~late.to_numpy()].reset_index(drop=True)
        if table == "participations":  # completed on/after the cut: still enrolled then
            f = _still_enrolled(f, f["staff_id"].astype(str).map(cut))
        train[table] = f
    p = tables["participations"]
    before = (p["enrolled_on"] < p["staff_id"].astype(str).map(cut)).to_numpy()
    test = test[~_pairs(test).isin(set(_pairs(_held({"participations": p[before]}))))]
    test = test.sort_values(["staff_id", "module_id"]).reset_index(drop=True)
    if test.empty:
        raise ValueError(
            f"leave_last: no person has {truth} events on two different dates "
            "(of modules new to them on their last date)"
        )
    warm = frozenset(train["participations"]["staff_id"].astype(str)) & set(test["staff_id"])
    return RecommendFold(name, train, test, cut.max() - DAY, person_as_of=cut - DAY, warm=warm)


# -- risk ---------------------------------------------------------------------------
@dataclass
class RiskFold:
    """Features' tables (as of ``as_of``), the status then, and labels from later."""

    as_of: pd.Timestamp
    policy: Policy
    train: Tables
    status: pd.DataFrame  # compliance as of as_of, for the scored people
    labels: pd.DataFrame  # staff_id, org_id, label
    #: the organizations' whole cohort: everyone scored plus those who had already met
    #: the requirement on as_of (label 0) and stay to the deadline — staff_id, org_id,
    #: label, met (the organization-level evaluation, ``experiments.org_eval``)
    cohort: pd.DataFrame | None = None


def risk_backtest(
    tables: Tables,
    as_of: str | pd.Timestamp,
    policy: Policy,
    deadline: str | pd.Timestamp | None = None,
) -> RiskFold:
    as_of = pd.Timestamp(as_of).normalize()
    train = tables_as_of(tables, as_of)
    now = compliance(snapshot(train, as_of), policy)
    owing = now[now["employed"] & (now["required"] > 0)]
    met = owing[owing["status"] == "met"]
    now = owing[owing["status"] != "met"]
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
                    "label": (~np.isin(later["status"].astype(str).to_numpy()[stay], DONE)).astype(
                        int
                    ),
                }
            )
        )
    labels = pd.concat(pieces, ignore_index=True).sort_values("staff_id").reset_index(drop=True)
    status = now.set_index("staff_id").loc[labels["staff_id"]].reset_index()
    return RiskFold(as_of, policy, train, status, labels, _cohort(tables, labels, met, deadline))


def _cohort(
    tables: Tables, labels: pd.DataFrame, met: pd.DataFrame, deadline: pd.Timestamp | None
) -> pd.DataFrame:
    """The scored people plus those already met on as_of (same deadline filter) who are
    still employed at their deadline: met stays met, so their label is 0."""
    if deadline is not None:
        met = met[(pd.to_datetime(met["deadline"]) == deadline).to_numpy()]
    left = tables["staff"].set_index("staff_id")["left_on"].reindex(met["staff_id"]).to_numpy()
    stay = pd.isna(left) | (left > pd.to_datetime(met["deadline"]).to_numpy())
    done = pd.DataFrame(
        {
            "staff_id": met["staff_id"].to_numpy()[stay],
            "org_id": met["org_id"].to_numpy()[stay],
            "label": 0,
            "met": True,
        }
    )
    return pd.concat([labels.assign(met=False), done], ignore_index=True)


def group_folds(groups: np.ndarray, n_folds: int, seed: int) -> np.ndarray:
    """Fold number per row, whole groups per fold, shuffled by ``seed``."""
    uniq = np.unique(groups)
    if len(uniq) < n_folds:
        raise ValueError(f"need at least {n_folds} groups for {n_folds} folds, got {len(uniq)}")
    perm = np.random.default_rng(seed).permutation(len(uniq))
    fold_of = dict(zip(uniq[perm], np.arange(len(uniq)) % n_folds, strict=True))
    return np.array([fold_of[g] for g in groups])
