"""Compliance status per staff member under a policy, as of a date.

Rules (``person_times`` policies; hours and credits follow the same scheme):

- a person-time is a participation with status ``completed`` whose ``completed_on``
  lies in the policy window and on or before ``as_of``; dropped, no-show and merely
  enrolled records never count; only modules of the policy's ``modes`` count;
- the requirement is the maximum over the person's roles (0 where no rule applies,
  e.g. a party-affairs worker outside ministry-managed organizations);
- a person employed for only part of the window owes the requirement pro-rated by the
  employed fraction of the window (policy option ``prorate``; default ``ceil_min1``:
  rounded up, at least 1);
- ``met``: done ≥ required; ``overdue``: ``as_of`` is after the deadline and not met
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
from features.credits import earned_credits
from features.snapshot import Snapshot

STATUSES = ("met", "on_track", "at_risk", "overdue")
DAY = np.timedelta64(1, "D")
_EPS = 1e-9


def _d(value: object) -> np.datetime64:
    return np.datetime64(pd.Timestamp(value).date(), "D")


def employment(snap: Snapshot, start: np.datetime64, end: np.datetime64):  # noqa: ANN201
    """Per staff: first and last employed day within [start, end] and the fraction employed."""
    hired = snap.staff["hired_on"].to_numpy().astype("datetime64[D]")
    left = snap.staff["left_on"].to_numpy().astype("datetime64[D]")
    left = np.where(np.isnat(left), end, left)
    e0, e1 = np.maximum(hired, start), np.minimum(left, end)
    frac = np.clip(((e1 - e0) / DAY + 1) / ((end - start) / DAY + 1), 0.0, 1.0)
    return e0, e1, frac


def prorate(required: np.ndarray, frac: np.ndarray, how: str) -> np.ndarray:
    """The requirement of someone employed for ``frac`` of the window."""
    required = np.asarray(required, dtype=float)
    if how == "none":
        return np.where(frac > 0, required, 0.0)
    if how == "exact":
        return required * frac
    part = np.maximum(np.ceil(required * frac - _EPS), 1.0)
    return np.where(frac >= 1.0, required, np.where((frac > 0) & (required > 0), part, 0.0))


def due(
    required: np.ndarray,
    e0: np.ndarray,
    e1: np.ndarray,
    day: np.datetime64 | np.ndarray,
    pace: str = "floor",
) -> np.ndarray:
    """What is due by ``day`` (included) of a requirement spread over [e0, e1]."""
    span = (e1 - e0) / DAY + 1
    elapsed = np.where(
        span > 0, np.clip(((np.minimum(day, e1) - e0) / DAY + 1) / np.maximum(span, 1), 0, 1), 1
    )
    amount = np.asarray(required, dtype=float) * elapsed
    return np.floor(amount + _EPS) if pace == "floor" else amount


def classify(
    required: np.ndarray,
    done: np.ndarray,
    deadline: np.ndarray,
    as_of: np.datetime64,
    e0: np.ndarray,
    e1: np.ndarray,
    pace: str = "floor",
) -> np.ndarray:
    """met / on_track / at_risk / overdue (see the module docstring)."""
    met = done >= required - _EPS
    past = as_of > deadline
    on_track = done >= due(required, e0, e1, as_of, pace) - _EPS
    return np.select([met, past, on_track], ["met", "overdue", "on_track"], "at_risk")


def data_start(snap: Snapshot) -> np.datetime64:
    """The first day the records cover: the earliest completion (NaT without any).
    Enrolments are not used: a course that starts in January is often enrolled in
    December, which says nothing about the training completed that December."""
    completed = snap.part["completed_on"]
    return _d(completed.min()) if completed.notna().any() else np.datetime64("NaT", "D")


def _applicable(frac: np.ndarray, year_end: np.datetime64, first: np.datetime64) -> np.ndarray:
    """Whether a year can be judged: the person was employed and the data covers it."""
    covered = np.isnat(first) or year_end >= first
    return (frac > 0) & covered


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


def _counted(snap: Snapshot, policy: Policy, start: np.datetime64, end: np.datetime64):  # noqa: ANN202
    """Completed participations counted by the policy within [start, end] and ≤ as_of."""
    done = snap.done()
    mode_ok = snap.modules["mode"].isin(policy.modes).to_numpy()
    c = done["completed_on"].to_numpy().astype("datetime64[D]")
    keep = (c >= start) & (c <= end) & mode_ok[done["m"].to_numpy()]
    return done[keep]


def _base(snap: Snapshot, policy: Policy) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "staff_id": snap.staff["staff_id"].to_numpy(),
            "org_id": snap.staff["org_id"].to_numpy(),
            "role": snap.staff["role"].to_numpy(),
            "employed": snap.employed,
            "policy": policy.name,
        }
    )


def _finish(
    frame: pd.DataFrame,
    required,
    done,
    deadline,
    status,
    frac,  # noqa: ANN001
) -> pd.DataFrame:
    frame["required"] = required
    frame["done"] = done
    frame["remaining"] = np.maximum(np.asarray(required) - np.asarray(done), 0)
    frame["deadline"] = pd.to_datetime(deadline)
    frame["status"] = pd.Categorical(status, categories=STATUSES)
    frame["employed_fraction"] = np.round(frac, 4)
    return frame


def person_time_status(snap: Snapshot, policy: Policy) -> pd.DataFrame:
    start, end, as_of = _d(policy.start), _d(policy.end), _d(snap.as_of)
    e0, e1, frac = employment(snap, start, end)
    done_rows = _counted(snap, policy, start, min(end, as_of))
    s = done_rows["s"].to_numpy()
    done = np.bincount(s, minlength=snap.n_staff)
    offline = np.bincount(s, weights=done_rows["offline"].to_numpy(float), minlength=snap.n_staff)
    required = prorate(role_requirement(snap, policy), frac, policy.prorate)
    if policy.prorate != "exact":
        required = required.astype(int)
    deadline = np.full(snap.n_staff, end)
    status = classify(required, done, deadline, as_of, e0, e1, policy.pace)
    out = _finish(_base(snap, policy), required, done, deadline, status, frac)
    out["done_offline"] = offline.astype(int)
    out["done_online"] = done - out["done_offline"]
    return out


def _year_bounds(policy: Policy) -> list[tuple[int, np.datetime64, np.datetime64]]:
    start, end = _d(policy.start), _d(policy.end)
    return [
        (y, max(start, np.datetime64(f"{y}-01-01")), min(end, np.datetime64(f"{y}-12-31")))
        for y in policy.years
    ]


def _per_year(
    snap: Snapshot, s: np.ndarray, on: pd.Series, values: np.ndarray, policy: Policy
) -> np.ndarray:
    """staff × window years: sum of ``values`` by the year of ``on``."""
    years = policy.years
    yi = pd.DatetimeIndex(on).year.to_numpy() - years[0]
    ok = (yi >= 0) & (yi < len(years))
    flat = s[ok] * len(years) + yi[ok]
    sums = np.bincount(flat, weights=values[ok], minlength=snap.n_staff * len(years))
    return sums.reshape(snap.n_staff, len(years))


def _current_year(policy: Policy, as_of: np.datetime64) -> int:
    y = int(str(as_of)[:4])
    return int(np.clip(y, policy.years[0], policy.years[-1])) - policy.years[0]


def _qualified(met: np.ndarray, applicable: np.ndarray) -> pd.Series:
    """Whether a year's requirement was met; empty where the year does not apply."""
    return pd.Series(met, dtype="boolean").where(applicable, pd.NA)


def hours_status(snap: Snapshot, policy: Policy) -> pd.DataFrame:
    rule = policy.hours
    assert rule is not None
    start, end, as_of = _d(policy.start), _d(policy.end), _d(snap.as_of)
    rows = _counted(snap, policy, start, min(end, as_of))
    hours = _per_year(
        snap, rows["s"].to_numpy(), rows["completed_on"], rows["hours"].to_numpy(float), policy
    )
    bounds = _year_bounds(policy)
    cy = _current_year(policy, as_of)
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
    out = _finish(_base(snap, policy), required, np.round(done, 2), deadline, status, wfrac)
    out["leader"] = leader
    first = data_start(snap)
    so_far = np.cumsum(hours, axis=1)
    for i, (y, a, b) in enumerate(bounds):
        out[f"hours_{y}"] = np.round(hours[:, i], 2)
        if b < as_of:
            frac = employment(snap, a, b)[2]
            annual = prorate(np.full(snap.n_staff, rule.annual), frac, policy.prorate)
            # leaders: had they done, by the end of the year, what the cycle had due then?
            cycle_due = due(cycle_req, we0, we1, b, policy.pace)
            ok = np.where(leader, so_far[:, i] >= cycle_due - _EPS, hours[:, i] >= annual - _EPS)
            out[f"qualified_{y}"] = _qualified(ok, _applicable(frac, b, first))
    return out


def _carry(available: np.ndarray, required: np.ndarray, earned: np.ndarray, policy: Policy):  # noqa: ANN202
    """Credits carried from a year into the next (第十五条; policy ``carry_over_horizon``)."""
    rule = policy.credits
    assert rule is not None
    if not rule.carry_over:
        return np.zeros_like(available)
    surplus = np.maximum(available - required, 0.0)
    if rule.carry_over_horizon == "next_year":
        # credits carried in are used first; only this year's own surplus moves on
        surplus = np.minimum(surplus, earned)
    return surplus


def credits_status(snap: Snapshot, policy: Policy) -> pd.DataFrame:
    rule = policy.credits
    assert rule is not None
    start, end, as_of = _d(policy.start), _d(policy.end), _d(snap.as_of)
    ev = earned_credits(snap, policy)
    on = ev["earned_on"].to_numpy().astype("datetime64[D]")
    ev = ev[(on >= start) & (on <= end)]
    earned = _per_year(
        snap, ev["s"].to_numpy(), ev["earned_on"], ev["credits"].to_numpy(float), policy
    )
    bounds = _year_bounds(policy)
    cy = _current_year(policy, as_of)
    first = data_start(snap)
    out = _base(snap, policy)
    carry = np.zeros(snap.n_staff)
    for i, (y, a, b) in enumerate(bounds):
        e0, e1, frac = employment(snap, a, b)
        req = prorate(np.full(snap.n_staff, rule.annual), frac, policy.prorate)
        available = earned[:, i] + carry
        if i == cy:
            status = classify(req, available, np.full(snap.n_staff, b), as_of, e0, e1, policy.pace)
            current = (req, available, b, status)
        if b < as_of:
            out[f"credits_{y}"] = np.round(earned[:, i], 2)
            met = available >= req - _EPS
            out[f"qualified_{y}"] = _qualified(met, _applicable(frac, b, first))
        if i >= cy:
            break
        carry = _carry(available, req, earned[:, i], policy)
    we0, we1, wfrac = employment(snap, start, end)
    req, available, b, status = current
    out = _finish(out, req, np.round(available, 2), np.full(snap.n_staff, b), status, wfrac)
    out["carried_in"] = np.round(available - earned[:, cy], 2)
    cycle_req = prorate(np.full(snap.n_staff, rule.cycle), wfrac, policy.prorate)
    cycle_done = earned.sum(axis=1)
    out["cycle_required"] = cycle_req
    out["cycle_done"] = np.round(cycle_done, 2)
    out["cycle_status"] = pd.Categorical(
        classify(cycle_req, cycle_done, np.full(snap.n_staff, end), as_of, we0, we1, policy.pace),
        categories=STATUSES,
    )
    return out


def compliance(snap: Snapshot, policy: Policy) -> pd.DataFrame:
    """One row per staff member (hired by the snapshot date) with ``staff_id``,
    ``org_id``, ``required``, ``done``, ``remaining``, ``deadline``, ``status``."""
    if policy.kind == "person_times":
        out = person_time_status(snap, policy)
    elif policy.kind == "hours":
        out = hours_status(snap, policy)
    else:
        out = credits_status(snap, policy)
    return out
