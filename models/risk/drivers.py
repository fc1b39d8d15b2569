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

The words are the label catalogue's (``models.risk.words``): Chinese by default —
"尚需 3/4 次，剩余 13 个月；本人近12个月每年完成 0.4 次（风险升高 30 个百分点）" —
the English above with ``LEARNMAP_LANG=en``.  In Chinese the direction is the verb
(升高 / 降低) and the size carries no sign; in English both say it (raises … +30 pts).

Vectorised over rows with numpy string arithmetic: a million rows take seconds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.risk import words
from models.risk.explain import GROUPS
from models.risk.words import vchoose, vtext

__all__ = ["describe", "drivers", "situation"]


def _fmt(values: np.ndarray, spec: str) -> np.ndarray:
    """``format(v, spec)`` for each value, formatting each distinct value once."""
    values = np.asarray(values, float)
    uniq, inv = np.unique(values, return_inverse=True)
    return np.array([format(v, spec) for v in uniq], dtype=object)[inv.reshape(-1)]


def _one(count: np.ndarray, key: str, rows: int, /, **fields: np.ndarray | str) -> np.ndarray:
    """``key`` where ``count`` is not 1, ``key_one`` where it is (the English singular)."""
    return np.where(count == 1, vtext(f"{key}_one", rows, **fields), vtext(key, rows, **fields))


def situation(f: pd.DataFrame, unit: str) -> np.ndarray:
    """Where each person stands on the requirement (the first part of ``drivers``).
    ``unit``: the policy kind or its English word (``models.risk.words.unit``)."""
    n = len(f)
    rem, req = f["remaining"].to_numpy(float), f["required"].to_numpy(float)
    days_left = f["days_left"].to_numpy(float)
    owe = rem > 1e-9
    nums = dict(
        remaining=_fmt(rem, "g"),
        required=_fmt(req, "g"),
        done=_fmt(f["done"].to_numpy(float), "g"),
        unit=words.unit(unit),
    )
    left = _fmt(np.round(np.maximum(days_left, 0) / 30.44), ".0f")
    return np.where(
        owe,
        np.where(
            days_left < 0,
            vtext("driver_missing", n, **nums),
            vtext("driver_due", n, months=left, **nums),
        ),
        np.where(req > 0, vtext("driver_met", n, **nums), vtext("driver_none", n)),
    ).astype(object)


def describe(f: pd.DataFrame, unit: str) -> dict[str, np.ndarray]:
    """Per driver group: the person's own value, in words (one array per group)."""
    n = len(f)
    col = {c: f[c].to_numpy() for c in f.columns}
    num = {c: np.asarray(col[c], float) for c in GROUPS_FEATURES if c in col}
    u = words.unit(unit)
    since = num["days_since_last"]
    never = col["never_completed"].astype(bool)
    ns, dr, pe = num["no_shows_365"], num["dropped_365"], num["pending"]
    org, role, score = num["org_rate"], num["role_rate"], num["mean_score"]
    months = _fmt(np.round(np.maximum(num["days_left"], 0) / 30.44), ".0f")
    return {
        "standing": vtext(
            "driver_standing",
            n,
            pct=_fmt(np.round(100 * np.nan_to_num(num["remaining_share"])), ".0f"),
        ),
        "time_left": vtext("driver_time_left", n, months=months),
        "pace_recent": vtext("driver_pace_recent", n, rate=_fmt(num["rate_365"], ".1f"), unit=u),
        "pace_all": vtext("driver_pace_all", n, rate=_fmt(num["rate_all"], ".1f"), unit=u),
        "last_completion": np.where(
            never,
            vtext("driver_never_completed", n),
            vtext(
                "driver_last_completion",
                n,
                months=_fmt(np.round(np.nan_to_num(since) / 30.44), ".0f"),
            ),
        ),
        "tenure": vtext("driver_tenure", n, years=_fmt(num["tenure_days"] / 365.25, ".1f")),
        "no_shows": _one(ns, "driver_no_shows", n, n=_fmt(ns, ".0f")),
        "dropped": vtext("driver_dropped", n, n=_fmt(dr, ".0f")),
        "pending": _one(pe, "driver_pending", n, n=_fmt(pe, ".0f")),
        "colleagues": np.where(
            np.isnan(org),
            vtext("driver_colleagues_none", n),
            vtext("driver_colleagues", n, rate=_fmt(np.nan_to_num(org), ".1f"), unit=u),
        ),
        "role": np.where(
            np.isnan(role),
            vtext("driver_role_none", n),
            vtext("driver_role", n, rate=_fmt(np.nan_to_num(role), ".1f"), unit=u),
        ),
        "registration": np.where(
            num["ministry_managed"] > 0,
            vtext("driver_ministry", n),
            vtext("driver_not_ministry", n),
        ).astype(object),
        "scores": np.where(
            np.isnan(score),
            vtext("driver_scores_none", n),
            vtext("driver_scores", n, score=_fmt(np.nan_to_num(score), ".0f")),
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
    said = describe(f, unit)
    names = list(GROUPS)
    order = np.argsort(-np.abs(raw), axis=1, kind="stable")[:, :top]
    rows = np.arange(n)
    join = vtext("driver_join", n)
    for r in range(order.shape[1]):
        g = order[:, r]
        e_raw, e_cal = raw[rows, g], effects[rows, g]
        pts = np.round(np.abs(e_cal) * 100)
        up, small, one = e_raw > 0, pts < 1, pts == 1
        size = vchoose(
            n,
            [
                (small, "driver_small"),
                (up & one, "driver_up_pt"),
                (up, "driver_up_pts"),
                (one, "driver_down_pt"),
                (np.ones(n, bool), "driver_down_pts"),
            ],
            n=_fmt(pts, ".0f"),
        )
        what = np.empty(n, dtype=object)
        for j, name in enumerate(names):
            here = g == j
            if here.any():
                what[here] = said[name][here]
        add = np.abs(e_raw) > 1e-6
        phrase = vchoose(
            n, [(add & up, "driver_raises"), (add, "driver_lowers")], what=what, size=size
        )
        out = np.where(add, out + join + phrase, out)
    return out.tolist()
