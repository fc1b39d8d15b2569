"""Periods, pace and status: the rules every compliance status shares.

A requirement spreads over the part of a period (the policy window, or one year of
it) a person was employed in.  ``due`` is what of it is due by a day under the
policy's ``pace`` (see ``engine.policy``), and ``classify`` turns required / done /
deadline into met / on_track / at_risk / overdue (``features.compliance``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.policy import Policy
from features.snapshot import Snapshot

STATUSES = ("met", "on_track", "at_risk", "overdue")
#: The status of a person who owes nothing under the policy (no rule applies to their
#: roles, or they were not employed in the window): 无要求 — not "met", which would count
#: them among those who did what they owed.
NO_REQUIREMENT = "none"
#: Every value of a ``status`` column: the four of staff who owe something, then ``none``.
ALL_STATUSES = (*STATUSES, NO_REQUIREMENT)
DAY = np.timedelta64(1, "D")
EPS = 1e-9


def day_of(value: object) -> np.datetime64:
    """A date-like value as a numpy day."""
    return np.datetime64(pd.Timestamp(value).date(), "D")


def employment(snap: Snapshot, start: np.datetime64, end: np.datetime64):  # noqa: ANN201
    """Per staff: first and last employed day within [start, end] and the fraction employed.

    A departure dated after the snapshot date is not known on that date: the person
    counts as employed to the end of the period, like anyone still employed."""
    hired = snap.staff["hired_on"].to_numpy().astype("datetime64[D]")
    left = snap.staff["left_on"].to_numpy().astype("datetime64[D]")
    known = ~np.isnat(left) & (left <= day_of(snap.as_of))
    left = np.where(known, left, end)
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
    part = np.maximum(np.ceil(required * frac - EPS), 1.0)
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
    return np.floor(amount + EPS) if pace == "floor" else amount


def classify(
    required: np.ndarray,
    done: np.ndarray,
    deadline: np.ndarray,
    as_of: np.datetime64,
    e0: np.ndarray,
    e1: np.ndarray,
    pace: str = "floor",
) -> np.ndarray:
    """met / on_track / at_risk / overdue, or ``none`` where nothing is required (see
    the module docstring)."""
    required = np.asarray(required, dtype=float)
    met = done >= required - EPS
    past = as_of > deadline
    on_track = done >= due(required, e0, e1, as_of, pace) - EPS
    return np.select(
        [required <= EPS, met, past, on_track],
        [NO_REQUIREMENT, "met", "overdue", "on_track"],
        "at_risk",
    )


def data_start(snap: Snapshot) -> np.datetime64:
    """The first day the records cover: the earliest completion (NaT without any).
    Enrolments are not used: a course that starts in January is often enrolled in
    December, which says nothing about the training completed that December."""
    completed = snap.part["completed_on"]
    return day_of(completed.min()) if completed.notna().any() else np.datetime64("NaT", "D")


def applicable(frac: np.ndarray, year_end: np.datetime64, first: np.datetime64) -> np.ndarray:
    """Whether a year can be judged: the person was employed and the data covers it."""
    covered = np.isnat(first) or year_end >= first
    return (frac > 0) & covered


def counted(snap: Snapshot, policy: Policy, start: np.datetime64, end: np.datetime64):  # noqa: ANN202
    """Completed participations counted by the policy within [start, end] and ≤ as_of."""
    done = snap.done()
    mode_ok = snap.modules["mode"].isin(policy.modes).to_numpy()
    c = done["completed_on"].to_numpy().astype("datetime64[D]")
    keep = (c >= start) & (c <= end) & mode_ok[done["m"].to_numpy()]
    return done[keep]


def base_frame(snap: Snapshot, policy: Policy) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "staff_id": snap.staff["staff_id"].to_numpy(),
            "org_id": snap.staff["org_id"].to_numpy(),
            "role": snap.staff["role"].to_numpy(),
            "employed": snap.employed,
            "policy": policy.name,
        }
    )


def finish(
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
    frame["status"] = pd.Categorical(status, categories=ALL_STATUSES)
    frame["employed_fraction"] = np.round(frac, 4)
    return frame


def year_bounds(policy: Policy) -> list[tuple[int, np.datetime64, np.datetime64]]:
    start, end = day_of(policy.start), day_of(policy.end)
    return [
        (y, max(start, np.datetime64(f"{y}-01-01")), min(end, np.datetime64(f"{y}-12-31")))
        for y in policy.years
    ]


def per_year(
    snap: Snapshot, s: np.ndarray, on: pd.Series, values: np.ndarray, policy: Policy
) -> np.ndarray:
    """staff × window years: sum of ``values`` by the year of ``on``."""
    years = policy.years
    yi = pd.DatetimeIndex(on).year.to_numpy() - years[0]
    ok = (yi >= 0) & (yi < len(years))
    flat = s[ok] * len(years) + yi[ok]
    sums = np.bincount(flat, weights=values[ok], minlength=snap.n_staff * len(years))
    return sums.reshape(snap.n_staff, len(years))


def current_year(policy: Policy, as_of: np.datetime64) -> int:
    y = int(str(as_of)[:4])
    return int(np.clip(y, policy.years[0], policy.years[-1])) - policy.years[0]


def qualified(met: np.ndarray, applicable: np.ndarray) -> pd.Series:
    """Whether a year's requirement was met; empty where the year does not apply."""
    return pd.Series(met, dtype="boolean").where(applicable, pd.NA)
