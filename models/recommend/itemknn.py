"""Item-kNN: modules similar (cosine over who completed them) to the person's modules.

``S[i, j] = |U_i ∩ U_j| / (sqrt(|U_i| |U_j|) + shrink)`` over the people ``U`` who
completed each module, keeping each module's ``k`` nearest neighbours.  A person's
score for ``j`` is ``Σ_{i in history} S[i, j]``; ties go by popularity (a 1e-9-scaled
term).

Cold start (documented choice, ``models.recommend.popularity.with_fallback``): a person with
nothing to go on — no completions, or only modules with no neighbours — gets the
popularity ranking with score = the share of people who completed the module, and the
reason says so ("you have no completions yet; popular: completed by 351 people").
"similar to modules you completed" is said only where the person's completions
really raise the score; elsewhere the reason names popularity.

Parameters
----------
k : int       neighbours kept per module (≥ 1).
shrink : float  damping of similarities supported by few people (≥ 0).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from features.asof import Tables
from models.recommend.base import Recommender
from models.recommend.data import Interactions
from models.recommend.filters import Batch
from models.recommend.popularity import fallback_reasons, with_fallback

__all__ = ["ItemKNN", "cosine_neighbours"]


def cosine_neighbours(matrix: sp.csr_matrix, k: int, shrink: float = 0.0) -> np.ndarray:
    """Dense item × item cosine similarity with only each row's ``k`` largest kept and a
    zero diagonal (``matrix``: people × items, binary)."""
    x = matrix.astype(np.float64)
    co = np.asarray((x.T @ x).todense())
    n = np.sqrt(np.diag(co))
    sim = co / (np.outer(n, n) + shrink + 1e-12)
    np.fill_diagonal(sim, 0.0)
    if 0 < k < sim.shape[1]:
        cut = np.argpartition(-sim, k - 1, axis=1)[:, k:]
        np.put_along_axis(sim, cut, 0.0, axis=1)
    return sim


class ItemKNN(Recommender):
    reason = "itemknn"  # similar to modules you completed

    def __init__(self, k: int = 50, shrink: float = 10.0) -> None:
        self.k = k
        self.shrink = shrink

    def _fit(self, data: Interactions, tables: Tables) -> None:
        if self.k < 1:
            raise ValueError(f"k must be at least 1, got {self.k}")
        if self.shrink < 0:
            raise ValueError(f"shrink must be ≥ 0, got {self.shrink}")
        self.sim_ = cosine_neighbours(data.matrix, self.k, self.shrink)
        self.people_ = np.asarray(data.matrix.sum(axis=0), dtype=np.float64).ravel()

    def _collab(self, batch: Batch) -> np.ndarray:
        return np.asarray(batch.history @ self.sim_)

    def _scores(self, batch: Batch) -> np.ndarray:
        return with_fallback(self._collab(batch), self.people_, len(self.data_.users))

    def _reasons(self, batch: Batch, person: np.ndarray, item: np.ndarray) -> np.ndarray:
        collab = self._collab(batch)[person, item]
        has = np.diff(batch.history.indptr)[person] > 0
        # similarities are ≥ 0: nothing lowers a score
        return fallback_reasons(collab, has, self.people_[item], self.reason, self.reason)
