"""The simulation's calendar: the window's months, employed days in a span, and the
dates of a scheduled class (held the month after the period it was chosen in)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.demo.choice import ChoiceModel

DAY = np.timedelta64(1, "D")


@dataclass
class Months:
    first: np.ndarray  # datetime64[D] first day (clipped to the window)
    last: np.ndarray
    year: np.ndarray  # calendar year
    year_index: np.ndarray  # 0 for the window's first year
    month: np.ndarray  # 1..12


def months_of(start: np.datetime64, end: np.datetime64) -> Months:
    m0 = start.astype("datetime64[M]")
    m1 = end.astype("datetime64[M]")
    ms = np.arange(m0, m1 + 1)
    first = np.maximum(ms.astype("datetime64[D]"), start)
    last = np.minimum((ms + 1).astype("datetime64[D]") - 1, end)
    year = ms.astype("datetime64[Y]").astype(int) + 1970
    return Months(first, last, year, year - year[0], ms.astype(int) % 12 + 1)


def month_index(days: np.ndarray, start: np.datetime64) -> np.ndarray:
    """Months since the window's first month (dates as datetime64[D])."""
    return (days.astype("datetime64[M]") - start.astype("datetime64[M]")).astype(np.int64)


def employed_days(
    hired: np.ndarray, left: np.ndarray, a: np.datetime64, b: np.datetime64
) -> np.ndarray:
    e0, e1 = np.maximum(hired, a), np.minimum(left, b)
    return np.clip((e1 - e0) / DAY + 1, 0, None).astype(float)


def class_period(t: np.ndarray, every: int) -> np.ndarray:
    return np.asarray(t) // every


def class_dates(
    model: ChoiceModel, m: np.ndarray, t: np.ndarray, mo: Months, seed: int, every: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Start and end of the class of module ``m`` chosen in month ``t``: held in the month
    after the ``every``-month period of ``t``."""
    period = class_period(np.asarray(t, dtype=np.int64), every)
    m = np.asarray(m, dtype=np.int64)
    h = (m * 7919 + period * 104729 + seed * 31) % 9973
    nxt = (mo.first[0].astype("datetime64[M]") + (period + 1) * every).astype("datetime64[D]")
    live = model.mode[m] == "live"
    s0 = nxt + np.where(live, h % 14, h % 20) * DAY
    days = np.where(live, 1, np.ceil(model.hours[m] / 8.0).astype(int))
    return s0, s0 + (days - 1) * DAY
