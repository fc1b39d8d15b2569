"""``random``: seeded uniform scores — the floor any recommender must clear.

Every module gets a uniform score drawn per person from ``(random_state, a CRC-32 of
the person's id)``: the same person gets the same list in a batch or alone, and another
seed another list.  Over the candidates a filter leaves (e.g. the modules offered in a
window) this is a uniform random ranking.
"""

from __future__ import annotations

import zlib

import numpy as np

from features.asof import Tables
from models.recommend.base import Recommender
from models.recommend.data import Interactions
from models.recommend.filters import Batch

__all__ = ["RandomRecommender"]


class RandomRecommender(Recommender):
    """Seeded uniform scores (module docstring).

    Parameters
    ----------
    random_state : int
        The seed; with the person's id it fixes their scores.
    """

    reason = "random"  # random (a baseline)

    def __init__(self, random_state: int = 0) -> None:
        self.random_state = random_state

    def _fit(self, data: Interactions, tables: Tables) -> None:
        self.n_items_ = len(data.items)

    def _scores(self, batch: Batch) -> np.ndarray:
        out = np.empty((len(batch.staff_ids), self.n_items_))
        for i, sid in enumerate(batch.staff_ids):
            key = zlib.crc32(str(sid).encode("utf-8"))
            out[i] = np.random.default_rng([int(self.random_state), key]).random(self.n_items_)
        return out
