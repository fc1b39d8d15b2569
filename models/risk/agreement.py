"""How to read a staff-risk row: ``status`` is today's pace, ``p_miss`` the forecast.

The two answer different questions and may disagree:

- ``status`` (``features.compliance``) is the **pace rule today**: met, on track (done at
  least the pro-rata share of the requirement for the time elapsed), at risk (behind that
  pace), overdue (deadline passed, not met), or none (no requirement);
- ``p_miss`` is the **forecast for the deadline**: the calibrated probability that the
  person still misses the requirement when the deadline comes.

``forecast_vs_status`` says which case a row is (codes; labels in ``engine.labels``,
kind ``forecast_vs_status``):

- ``agree`` — the forecast says what the status says: on track and p_miss < 0.5,
  at risk and p_miss ≥ 0.5, and every met / none / overdue row (p_miss is 0 or 1 there);
- ``worse_than_pace`` — on track today, but the forecast says the person will more
  likely than not miss (p_miss ≥ 0.5): e.g. a pace kept by one early completion while
  their completion rate will not reach the rest in the time left;
- ``better_than_pace`` — at risk today, but the forecast says the person will more
  likely than not make it (p_miss < 0.5): e.g. behind now, with enrolments pending and a
  history of year-end catch-up.

Choice: the cut is 0.5 ("more likely than not"), the only threshold that needs no
per-programme tuning; ``DISAGREE_AT`` holds it.  Status values outside the five above
(e.g. ``not_employed``) read as ``agree``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["AGREEMENT", "DISAGREE_AT", "STATUS_MEANS", "forecast_vs_status"]

DISAGREE_AT = 0.5
AGREEMENT = ("agree", "worse_than_pace", "better_than_pace")
#: One sentence per column, for outputs and API descriptions.
STATUS_MEANS = {
    "status": "today's pace: met / on track / at risk (behind the pro-rata pace) / overdue",
    "p_miss": "forecast: probability of still missing the requirement at the deadline",
    "forecast_vs_status": "agree, worse_than_pace (on track today but p_miss >= 0.5) or "
    "better_than_pace (at risk today but p_miss < 0.5)",
}


def forecast_vs_status(status: pd.Series | np.ndarray, p_miss: np.ndarray) -> np.ndarray:
    """Per row: ``agree``, ``worse_than_pace`` or ``better_than_pace`` (module docstring)."""
    st = np.asarray(status).astype(str)
    p = np.asarray(p_miss, float)
    likely = p >= DISAGREE_AT
    out = np.full(len(st), "agree", dtype=object)
    out[(st == "on_track") & likely] = "worse_than_pace"
    out[(st == "at_risk") & ~likely] = "better_than_pace"
    return out
