"""The drivers column of staff risk: the main reasons behind each prediction, in words."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["drivers"]


def _fmt(values: np.ndarray, spec: str) -> np.ndarray:
    """``format(v, spec)`` for each value, formatting each distinct value once."""
    values = np.asarray(values, float)
    uniq, inv = np.unique(values, return_inverse=True)
    return np.array([format(v, spec) for v in uniq], dtype=object)[inv.reshape(-1)]


def _plural(n: np.ndarray, one: str, many: str) -> np.ndarray:
    return np.where(n == 1, one, many).astype(object)


def drivers(f: pd.DataFrame, unit: str) -> list[str]:
    """The main reasons behind each prediction, in words (at most four, most important
    first; vectorised: a million rows take seconds)."""
    n = len(f)
    if n == 0:
        return []
    col = {c: f[c].to_numpy() for c in f.columns}
    rem, req = col["remaining"].astype(float), col["required"].astype(float)
    days_left, since = col["days_left"].astype(float), col["days_since_last"].astype(float)
    owe = rem > 1e-9
    r_s, q_s, d_s = _fmt(rem, "g"), _fmt(req, "g"), _fmt(col["done"], "g")
    left = _fmt(np.round(np.maximum(days_left, 0) / 30.44), ".0f")
    u = f" {unit}"
    first = np.where(
        owe,
        np.where(
            days_left < 0,
            r_s + " of " + q_s + u + " missing, deadline passed",
            r_s + " of " + q_s + u + " still due, " + left + " months left",
        ),
        np.where(
            req > 0, "requirement met (" + d_s + " of " + q_s + u + ")", "no requirement applies"
        ),
    )
    months = _fmt(np.round(np.nan_to_num(since) / 30.44), ".0f")
    never = col["never_completed"].astype(bool) & (col["tenure_days"].astype(float) >= 90)
    lapse = np.where(
        never,
        "no completion in " + months + " months on record",
        np.where(since >= 180, "no completion in " + months + " months", ""),
    )
    ns, dr, pe = (col[c].astype(float) for c in ("no_shows_365", "dropped_365", "pending"))
    org = col["org_rate"].astype(float)
    extra = [
        lapse,
        np.where(ns > 0, _fmt(ns, ".0f") + _plural(ns, " no-show", " no-shows") + " this year", ""),
        np.where(dr > 0, _fmt(dr, ".0f") + " dropped this year", ""),
        np.where(
            pe > 0, _fmt(pe, ".0f") + _plural(pe, " enrolment", " enrolments") + " pending", ""
        ),
        np.where(np.isnan(org), "", "colleagues complete " + _fmt(org, ".1f") + u + " a year"),
    ]
    out = first.astype(object)
    count = np.ones(n, int)
    for part in extra:
        add = owe & (part != "") & (count < 4)
        out = np.where(add, out + "; " + part.astype(object), out)
        count += add
    return out.tolist()
