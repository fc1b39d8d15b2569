"""The drivers column of staff risk: where the person stands, then what moves the forecast.

``drivers(f, unit, effects, raw)`` reads, per row:

1. **where they stand** (a fact, not a driver): "3 of 4 trainings still due, 13 months
   left", "requirement met (4 of 4 trainings)", "no requirement applies", or "… missing,
   deadline passed";
2. for rows with a forecast (something still due, deadline ahead), up to ``top`` model
   drivers, the largest first: the driver group (``models.risk.explain.GROUPS``) with the
   person's own value, whether it **raises** or **lowers** the risk, and by how many
   percentage points of ``p_miss`` (from the fitted model: ``explain.group_effects``),
   e.g. "own pace 0.0 trainings a year over the last 12 months: raises risk +18 pts".
   Ranking and direction follow the uncalibrated effect (strictly monotone); a driver
   whose calibrated size rounds to 0 says "by less than 1 pt".  Groups with no effect
   are left out.

Vectorised over rows with numpy string arithmetic: a million rows take seconds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.risk.explain import GROUPS

__all__ = ["describe", "drivers", "situation"]


def _fmt(values: np.ndarray, spec: str) -> np.ndarray:
    """``format(v, spec)`` for each value, formatting each distinct value once."""
    values = np.asarray(values, float)
    uniq, inv = np.unique(values, return_inverse=True)
    return np.array([format(v, spec) for v in uniq], dtype=object)[inv.reshape(-1)]


def _plural(n: np.ndarray, one: str, many: str) -> np.ndarray:
    return np.where(n == 1, one, many).astype(object)


def situation(f: pd.DataFrame, unit: str) -> np.ndarray:
    """Where each person stands on the requirement (the first part of ``drivers``)."""
    rem, req = f["remaining"].to_numpy(float), f["required"].to_numpy(float)
    days_left = f["days_left"].to_numpy(float)
    owe = rem > 1e-9
    r_s, q_s, d_s = _fmt(rem, "g"), _fmt(req, "g"), _fmt(f["done"].to_numpy(float), "g")
    left = _fmt(np.round(np.maximum(days_left, 0) / 30.44), ".0f")
    u = f" {unit}"
    return np.where(
        owe,
        np.where(
            days_left < 0,
            r_s + " of " + q_s + u + " missing, deadline passed",
            r_s + " of " + q_s + u + " still due, " + left + " months left",
        ),
        np.where(
            req > 0, "requirement met (" + d_s + " of " + q_s + u + ")", "no requirement applies"
        ),
    ).astype(object)


def describe(f: pd.DataFrame, unit: str) -> dict[str, np.ndarray]:
    """Per driver group: the person's own value, in words (one array per group)."""
    col = {c: f[c].to_numpy() for c in f.columns}
    num = {c: np.asarray(col[c], float) for c in GROUPS_FEATURES if c in col}
    u = f" {unit}"
    since = num["days_since_last"]
    never = col["never_completed"].astype(bool)
    ns, dr, pe = num["no_shows_365"], num["dropped_365"], num["pending"]
    org, role, score = num["org_rate"], num["role_rate"], num["mean_score"]
    return {
        "standing": "still due: "
        + _fmt(np.round(100 * np.nan_to_num(num["remaining_share"])), ".0f")
        + " % of the requirement",
        "time_left": _fmt(np.round(np.maximum(num["days_left"], 0) / 30.44), ".0f")
        + " months left",
        "pace_recent": "own pace "
        + _fmt(num["rate_365"], ".1f")
        + u
        + " a year over the last 12 months",
        "pace_all": "own pace " + _fmt(num["rate_all"], ".1f") + u + " a year on record",
        "last_completion": np.where(
            never,
            "no completion on record",
            "last completion "
            + _fmt(np.round(np.nan_to_num(since) / 30.44), ".0f")
            + " months ago",
        ),
        "tenure": _fmt(num["tenure_days"] / 365.25, ".1f") + " years on the staff",
        "no_shows": _fmt(ns, ".0f") + _plural(ns, " no-show", " no-shows") + " this year",
        "dropped": _fmt(dr, ".0f") + " dropped this year",
        "pending": _fmt(pe, ".0f") + _plural(pe, " enrolment", " enrolments") + " pending",
        "colleagues": np.where(
            np.isnan(org),
            "no colleagues on record",
            "colleagues complete " + _fmt(np.nan_to_num(org), ".1f") + u + " a year",
        ),
        "role": np.where(
            np.isnan(role),
            "role peers: none on record",
            "role peers complete " + _fmt(np.nan_to_num(role), ".1f") + u + " a year",
        ),
        "registration": np.where(
            num["ministry_managed"] > 0, "ministry-managed", "not ministry-managed"
        ).astype(object),
        "scores": np.where(
            np.isnan(score), "no scores yet", "mean score " + _fmt(np.nan_to_num(score), ".0f")
        ),
    }


GROUPS_FEATURES = tuple(sorted({c for names in GROUPS.values() for c in names}))


def drivers(
    f: pd.DataFrame,
    unit: str,
    effects: np.ndarray | None = None,
    raw: np.ndarray | None = None,
    top: int = 3,
) -> list[str]:
    """The drivers text per row (module docstring).  ``effects`` / ``raw``: calibrated and
    uncalibrated effects per row and group (``explain.group_effects``; zeros for rows
    without a forecast); without them only where the person stands."""
    n = len(f)
    if n == 0:
        return []
    out = situation(f, unit)
    if effects is None or raw is None:
        return out.tolist()
    words = describe(f, unit)
    names = list(GROUPS)
    order = np.argsort(-np.abs(raw), axis=1, kind="stable")[:, :top]
    rows = np.arange(n)
    for r in range(order.shape[1]):
        g = order[:, r]
        e_raw, e_cal = raw[rows, g], effects[rows, g]
        pts = np.round(np.abs(e_cal) * 100)
        size = np.where(
            pts >= 1, _fmt(pts, ".0f") + _plural(pts, " pt", " pts"), "by less than 1 pt"
        )
        plus = np.where(pts >= 1, np.where(e_raw > 0, "+", "−"), "")
        sign = np.where(e_raw > 0, ": raises risk ", ": lowers risk ") + plus
        text = np.empty(n, dtype=object)
        for j, name in enumerate(names):
            here = g == j
            if here.any():
                text[here] = words[name][here]
        add = np.abs(e_raw) > 1e-6
        out = np.where(add, out + "; " + text + sign + size, out)
    return out.tolist()
