"""Compliance status per staff member under a policy, as of a date.

Rules (``person_times`` policies; hours and credits follow the same scheme):

- a person-time is a participation with status ``completed`` whose ``completed_on``
  lies in the policy window and on or before ``as_of``; dropped, no-show and merely
  enrolled records never count; only modules of the policy's ``modes`` count;
- the requirement is the maximum over the person's roles (0 where no rule applies,
  e.g. a party-affairs worker outside ministry-managed organizations);
- a person employed for only part of the window owes the requirement pro-rated by the
  employed fraction of the window (policy option ``prorate``; default ``ceil_min1``:
  rounded up, at least 1); a departure (``left_on``) dated after ``as_of`` is not known
  on ``as_of`` and is ignored — a person leaving next month owes what a stayer owes;
- ``none`` (无要求): nothing is required (no rule applies to the person's roles, or
  they were not employed in the window) — kept apart from ``met``;
- ``met``: done ≥ required > 0; ``overdue``: ``as_of`` is after the deadline and not met
  (the deadline day itself still counts as in time); ``on_track``: not met, not past
  the deadline, and done ≥ what is due by now — policy option ``pace``: ``floor``
  (default) = floor(required × elapsed) in whole units, ``exact`` = required × elapsed,
  with elapsed the share of the person's employed part of the period up to and
  including ``as_of``; ``at_risk``: otherwise.

The deadline is the end of the policy window (person-times, leaders' hour cycle), or
the end of the current year within the window (yearly hours and credits).  For
``hours`` the yearly status is that of the as-of year; ``leader_roles`` are held to the
cycle instead, and their ``qualified_<year>`` columns say whether, at the end of that
year, their hours since the window opened had reached what the cycle had due by then
(the same ``pace`` rule), not the annual minimum.  For ``credits`` (see
``features.credits`` for what earns them) the status is that of the as-of year, with
credits carried over from earlier years; ``cycle_*`` columns give the 5-year cycle,
and ``credits_<year>`` / ``qualified_<year>`` the years already ended.  Hours and
credits count completed participations only.

``qualified_<year>`` is empty (not applicable) for a year the person was not employed
in and for a year that ended before the data starts — the earliest completion recorded
in the data — since nothing can be known about it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.policy import Policy
from features.credits import credits_status
from features.periods import (
    ALL_STATUSES,
    EPS,
    NO_REQUIREMENT,
    STATUSES,
    applicable,
    base_frame,
    classify,
    counted,
    current_year,
    data_start,
    day_of,
    due,
    employment,
    finish,
    per_year,
    prorate,
    qualified,
    year_bounds,
)
from features.snapshot import Snapshot

__all__ = [
    "ALL_STATUSES",
    "NO_REQUIREMENT",
    "STATUSES",
    "classify",
    "compliance",
    "credits_status",
    "due",
    "employment",
    "hours_status",
    "person_time_status",
    "prorate",
    "role_requirement",
]


def role_requirement(snap: Snapshot, policy: Policy) -> np.ndarray:
    """Max quota over each person's roles; ministry-only roles count only there."""
    mm = snap.orgs["ministry_managed"].to_numpy(dtype=bool)[snap.staff["org"].to_numpy()]
    roles = snap.staff["role"].to_numpy()
    out = np.zeros(len(roles))
    for combo in pd.unique(roles):
        parts = combo.split("|")
        for in_mm in (True, False):
            q = max(
                (
                    policy.quotas.get(r, 0.0)
                    for r in parts
                    if in_mm or not policy.ministry_managed_only.get(r, False)
                ),
                default=0.0,
            )
            out[(roles == combo) & (mm == in_mm)] = q
    return out


def person_time_status(snap: Snapshot, policy: Policy) -> pd.DataFrame:
    """Person-times done in the window against the role quota (with ``done_offline``)."""
    start, end, as_of = day_of(policy.start), day_of(policy.end), day_of(snap.as_of)
    e0, e1, frac = employment(snap, start, end)
    done_rows = counted(snap, policy, start, min(end, as_of))
    s = done_rows["s"].to_numpy()
    done = np.bincount(s, minlength=snap.n_staff)
    offline = np.bincount(s, weights=done_rows["offline"].to_numpy(float), minlength=snap.n_staff)
    required = prorate(role_requirement(snap, policy), frac, policy.prorate)
    if policy.prorate != "exact":
        required = required.astype(int)
    deadline = np.full(snap.n_staff, end)
    status = classify(required, done, deadline, as_of, e0, e1, policy.pace)
    out = finish(base_frame(snap, policy), required, done, deadline, status, frac)
    out["done_offline"] = offline.astype(int)
    out["done_online"] = done - out["done_offline"]
    return out


def hours_status(
    snap: Snapshot, policy: Policy, first: np.datetime64 | None = None
) -> pd.DataFrame:
    """This year's hours (leaders: the cycle's), ``hours_<year>`` for the years begun by
    the snapshot date (a later year would read as 0 hours done) and ``qualified_<year>``
    for those ended (``first``: as in ``compliance``)."""
    rule = policy.hours
    assert rule is not None
    start, end, as_of = day_of(policy.start), day_of(policy.end), day_of(snap.as_of)
    rows = counted(snap, policy, start, min(end, as_of))
    hours = per_year(
        snap, rows["s"].to_numpy(), rows["completed_on"], rows["hours"].to_numpy(float), policy
    )
    bounds = year_bounds(policy)
    cy = current_year(policy, as_of)
    _, y0, y1 = bounds[cy]
    ye0, ye1, yfrac = employment(snap, y0, y1)
    we0, we1, wfrac = employment(snap, start, end)
    roles = snap.staff["role"].str.split("|")
    leader = roles.map(lambda rs: any(r in rule.leader_roles for r in rs)).to_numpy(bool)
    cycle_req = prorate(np.full(snap.n_staff, rule.cycle), wfrac, policy.prorate)
    required = np.where(
        leader, cycle_req, prorate(np.full(snap.n_staff, rule.annual), yfrac, policy.prorate)
    )
    done = np.where(leader, hours.sum(axis=1), hours[:, cy])
    deadline = np.where(leader, end, y1)
    status = classify(
        required,
        done,
        deadline,
        as_of,
        np.where(leader, we0, ye0),
        np.where(leader, we1, ye1),
        policy.pace,
    )
    out = finish(base_frame(snap, policy), required, np.round(done, 2), deadline, status, wfrac)
    out["leader"] = leader
    first = data_start(snap) if first is None else first
    so_far = np.cumsum(hours, axis=1)
    for i, (y, a, b) in enumerate(bounds):
        if a > as_of:  # a year that has not begun on the date is not reported
            continue
        out[f"hours_{y}"] = np.round(hours[:, i], 2)
        if b < as_of:
            frac = employment(snap, a, b)[2]
            annual = prorate(np.full(snap.n_staff, rule.annual), frac, policy.prorate)
            # leaders: had they done, by the end of the year, what the cycle had due then?
            cycle_due = due(cycle_req, we0, we1, b, policy.pace)
            ok = np.where(leader, so_far[:, i] >= cycle_due - EPS, hours[:, i] >= annual - EPS)
            out[f"qualified_{y}"] = qualified(ok, applicable(frac, b, first))
    return out


def compliance(snap: Snapshot, policy: Policy, first: np.datetime64 | None = None) -> pd.DataFrame:
    """One row per staff member (hired by the snapshot date) with ``staff_id``,
    ``org_id``, ``required``, ``done``, ``remaining``, ``deadline``, ``status``.

    Every row depends on that person's records only, the catalogue and the policy —
    and on one population statistic, ``first``: the first day the records cover
    (``periods.data_start``; which years ``qualified_<year>`` can judge).  Left out, it
    is taken from ``snap``; the Dask engine (``features.partitioned``) computes it once
    over everyone and passes it to each partition, so a partition's rows equal the
    same people's rows computed on the whole population."""
    if policy.kind == "person_times":
        return person_time_status(snap, policy)
    if policy.kind == "hours":
        return hours_status(snap, policy, first)
    return credits_status(snap, policy, first)


def uses_data_start(policy: Policy) -> bool:
    """Whether ``compliance`` under ``policy`` reads ``first`` (person-times do not)."""
    return policy.kind in ("hours", "credits")
