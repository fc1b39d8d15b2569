"""Most-popular baseline: modules ranked by how many people completed them.

Also the popularity fallback of the collaborative models (``ItemKNN``, ``EASE``):
``with_fallback`` and ``fallback_reasons`` (see there).

Parameters
----------
window_days : int or None
    Count only completions in the last ``window_days`` days before the newest
    completion in the training data (None = all of it).  Recent popularity is the
    stronger baseline when a catalogue changes over time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.asof import Tables
from models.recommend.base import Recommender
from models.recommend.data import Interactions
from models.recommend.filters import Batch
from models.recommend.reason_text import words

__all__ = ["Popularity", "fallback_reasons", "with_fallback"]

#: Weight of the popularity tie-break added to collaborative scores.
TIEBREAK = 1e-9


def with_fallback(collab: np.ndarray, people: np.ndarray, n_users: int) -> np.ndarray:
    """Scores of a collaborative model from its raw scores ``collab`` (people × modules)
    and ``people`` (per module: how many people completed it).

    A person with something to go on (some non-zero ``collab``) gets ``collab`` plus a
    ``TIEBREAK``-scaled popularity term (ties, and modules their history says nothing
    about, go by popularity).  A person with nothing to go on — no completions, or only
    modules no neighbour relates to: an all-zero row — gets the popularity ranking
    itself with a readable score: the share of people who completed the module (0–1),
    not a ~1e-9 tie-break."""
    top = max(float(people.max(initial=0.0)), 1.0)
    out = collab + (TIEBREAK * people / top)[None, :]
    cold = ~np.any(collab != 0, axis=1)
    if cold.any():
        out[cold] = people[None, :] / max(n_users, 1)
    return out


def fallback_reasons(
    collab: np.ndarray, has_history: np.ndarray, people: np.ndarray, related: str, against: str
) -> np.ndarray:
    """Reasons that say what really ranked each recommended module (one per pair):
    ``related`` where the person's completions raise its score (``collab > 0``),
    ``against`` where they lower it (``collab < 0``) — both catalogue keys
    (``reason_text.words``) — and where they say nothing (``collab == 0``: no
    completions, or none related) the popularity it was ranked by — "you have no
    completions yet; popular: completed by 351 people" (您尚无结业课程；按热门程度推荐：
    已有 351 人完成).  Never a claim about completions the person does not have."""
    out = np.empty(len(collab), dtype=object)
    said = {"related": words(related), "against": words(against)}
    why = {True: words("cold_unrelated"), False: words("cold_no_history")}
    for n, (c, hist, pop) in enumerate(zip(collab, has_history, people, strict=True)):
        if c > 0:
            out[n] = said["related"]
        elif c < 0:
            out[n] = said["against"]
        elif pop > 0:
            out[n] = words("cold_popular", why=why[bool(hist)], n=f"{pop:g}")
        else:
            out[n] = words("cold_nobody", why=why[bool(hist)])
    return out


class Popularity(Recommender):
    """Reasons: "popular: completed N times" / 热门课程：已完成 N 人次 (in the last
    ``window_days`` days when windowed); a module no one completed (ranked only by
    module id) says so."""

    def __init__(self, window_days: int | None = None) -> None:
        self.window_days = window_days

    def _fit(self, data: Interactions, tables: Tables) -> None:
        p = tables["participations"]
        done = p[(p["status"] == "completed").to_numpy()]
        if self.window_days is not None and len(done):
            if self.window_days < 1:
                raise ValueError(f"window_days must be at least 1, got {self.window_days}")
            last = done["completed_on"].max()
            done = done[done["completed_on"] > last - pd.Timedelta(days=self.window_days)]
        counts = done["module_id"].astype(str).value_counts()
        self.counts_ = counts.reindex(data.items, fill_value=0).to_numpy(dtype=np.float64)

    def _scores(self, batch: Batch) -> np.ndarray:
        return np.broadcast_to(self.counts_, (len(batch.staff_ids), len(self.counts_))).copy()

    def _reasons(self, batch: Batch, person: np.ndarray, item: np.ndarray) -> np.ndarray:
        win = "" if self.window_days is None else "_window"
        days = self.window_days
        out = np.empty(len(item), dtype=object)
        for n, c in enumerate(self.counts_[item].tolist()):
            if c > 0:
                key = f"popular{win}{'_one' if c == 1 else ''}"
                out[n] = words(key, n=f"{c:g}", days=days)
            else:
                out[n] = words(f"popular_none{win}", days=days)
        return out
