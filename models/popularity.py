"""Most-popular baseline: modules ranked by how many people completed them.

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

from models.base import Batch, Interactions, Recommender, Tables


class Popularity(Recommender):
    reason = "popular: completed by many colleagues"

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
