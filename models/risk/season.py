"""Calendar intensity of training: how much of a year's completions fall in each month.

Training is seasonal where the rules are yearly (cadre systems: slow in January and
February, a rush before the year closes); a person's rate measured over part of a year,
or the time left in one, must be weighed by that calendar, or a model that has seen only
a year or two of history reads the quiet first half-year as a low rate and the months
left as ordinary months (measured: with 18 months of cadre history, ``StaffRisk``
predicted 0.62 of staff would miss against 0.24 observed; see ``models.risk.estimator``).

:func:`season_profile` estimates the intensity per calendar month from the records
themselves — completions (in the policy's units) per employed staff member per day, in
each whole month of the record, averaged over the years for each month of the year and
scaled to mean 1.  :meth:`Season.exposure` turns a span of days into *seasonal days*:
the sum of the intensity over those days (a flat season gives the plain day count).

Choices: the estimate needs every month of the year at least once and
``MIN_COMPLETIONS`` completions; otherwise the season is flat (no adjustment).  The
month holding the as-of date counts only when the as-of date is its last day (a part
month would read low).  Monthly intensities are kept within [``FLOOR``, ``CEILING``] ×
the mean, so a month with almost no records cannot make a span weigh nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

MIN_COMPLETIONS = 500
FLOOR, CEILING = 0.2, 5.0


@dataclass(frozen=True)
class Season:
    """Intensity per calendar month (index 0 = January), mean 1."""

    month: np.ndarray

    @classmethod
    def flat(cls) -> Season:
        return cls(np.ones(12))

    @property
    def is_flat(self) -> bool:
        return bool(np.allclose(self.month, 1.0))

    def exposure(self, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        """Seasonal days in ``[start, end)`` per element (0 where ``end <= start``; NaN
        where either is missing).  ``start`` / ``end``: datetime64 arrays or scalars."""
        a = np.asarray(start, dtype="datetime64[ns]").astype("datetime64[D]")
        b = np.asarray(end, dtype="datetime64[ns]").astype("datetime64[D]")
        a, b = np.broadcast_arrays(a, b)
        ok = ~(np.isnat(a) | np.isnat(b))
        out = np.full(a.shape, np.nan)
        if not ok.any():
            return out
        ai, bi = a[ok].astype(np.int64), b[ok].astype(np.int64)
        lo, hi = int(min(ai.min(), bi.min())), int(max(ai.max(), bi.max()))
        days = np.arange(lo, hi + 1).astype("datetime64[D]")
        moy = days.astype("datetime64[M]").astype(np.int64) % 12
        cum = np.concatenate([[0.0], np.cumsum(self.month[moy])])
        out[ok] = np.maximum(cum[bi - lo] - cum[ai - lo], 0.0)
        return out


def season_profile(
    completed_on: np.ndarray,
    units: np.ndarray,
    hired_on: np.ndarray,
    left_on: np.ndarray,
    first: pd.Timestamp,
    as_of: pd.Timestamp,
) -> Season:
    """The calendar intensity of completions between ``first`` and ``as_of``.

    ``completed_on`` / ``units``: each completion's date and what it counts for;
    ``hired_on`` / ``left_on``: every staff member's employment (NaT = open)."""
    first, as_of = pd.Timestamp(first).normalize(), pd.Timestamp(as_of).normalize()
    lo = first.to_period("M") if first.day == 1 else first.to_period("M") + 1
    hi = as_of.to_period("M") if as_of.is_month_end else as_of.to_period("M") - 1
    if hi < lo or len(units) < MIN_COMPLETIONS:
        return Season.flat()
    months = pd.period_range(lo, hi, freq="M")
    if len(set(months.month)) < 12:
        return Season.flat()
    when = pd.to_datetime(pd.Series(completed_on)).dt.to_period("M")
    per_month = pd.Series(np.asarray(units, float)).groupby(when.to_numpy()).sum()
    per_month = per_month.reindex(months, fill_value=0.0)
    hired = pd.to_datetime(pd.Series(hired_on)).to_numpy()
    left = pd.to_datetime(pd.Series(left_on)).to_numpy()
    mid = (months.start_time + pd.Timedelta(days=14)).to_numpy()
    staff = np.array(
        [np.sum((hired <= m) & (np.isnat(left) | (left > m))) for m in mid], dtype=float
    )
    days = months.days_in_month.to_numpy(float)
    rate = per_month.to_numpy(float) / np.maximum(staff * days, 1.0)
    by_moy = pd.Series(rate).groupby(months.month.to_numpy() - 1).mean().reindex(range(12))
    prof = by_moy.to_numpy(float)
    if not np.isfinite(prof).all() or prof.mean() <= 0:
        return Season.flat()
    prof = np.clip(prof / prof.mean(), FLOOR, CEILING)
    return Season(prof / prof.mean())
