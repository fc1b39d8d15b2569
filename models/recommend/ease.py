"""EASE: embarrassingly shallow autoencoder (Steck, WWW 2019), in a few lines of numpy.

Learns an item × item weight matrix ``B`` with zero diagonal minimising
``‖X − XB‖² + λ‖B‖²`` in closed form: ``P = (XᵀX + λI)⁻¹``, ``B = −P / diag(P)``.
A person's scores are ``x B`` for their completion row ``x``; ties go by popularity
(a 1e-9-scaled term).

Cold start (documented choice, ``models.recommend.popularity.with_fallback``): a person with
no completions (all-zero ``x B``) gets the popularity ranking with score = the share of
people who completed the module, and the reason says so ("you have no completions
yet; popular: completed by 351 people").  Reasons follow the sign of ``x B`` for the
module: > 0 "people who completed your modules also completed this", < 0 they seldom
did (the module is listed only because no closer match is left), 0 popularity.

Parameters
----------
l2 : float
    The ridge penalty λ (> 0).  Tune it on a validation cut (the harness's grid).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from features.asof import Tables
from models.recommend.base import Recommender
from models.recommend.data import Interactions
from models.recommend.filters import Batch
from models.recommend.popularity import fallback_reasons, with_fallback

__all__ = ["EASE", "ease_weights"]


def ease_weights(matrix: sp.spmatrix, l2: float) -> np.ndarray:
    """EASE's item × item weights ``B = −P / diag(P)``, ``P = (XᵀX + λI)⁻¹``, zero
    diagonal, for a binary people × items ``matrix`` (the one home of the solve: the
    ``EASE`` model and the hybrid's EASE signal)."""
    x = matrix.astype(np.float64)
    gram = np.asarray((x.T @ x).todense())
    gram[np.diag_indices_from(gram)] += l2
    inv = np.linalg.inv(gram)
    b = -inv / np.diag(inv)[None, :]
    np.fill_diagonal(b, 0.0)
    return b


#: catalogue key (``reason_<key>``) where the person's completions lower the score
AGAINST = "ease_against"


class EASE(Recommender):
    reason = "similar"  # people who completed your modules also completed this

    def __init__(self, l2: float = 100.0) -> None:
        self.l2 = l2

    def _fit(self, data: Interactions, tables: Tables) -> None:
        if not self.l2 > 0:
            raise ValueError(f"l2 must be > 0, got {self.l2}")
        self.weights_ = ease_weights(data.matrix, self.l2)
        self.people_ = np.asarray(data.matrix.astype(np.float64).sum(axis=0)).ravel()

    def _collab(self, batch: Batch) -> np.ndarray:
        return np.asarray(batch.history @ self.weights_)

    def _scores(self, batch: Batch) -> np.ndarray:
        return with_fallback(self._collab(batch), self.people_, len(self.data_.users))

    def _reasons(self, batch: Batch, person: np.ndarray, item: np.ndarray) -> np.ndarray:
        collab = self._collab(batch)[person, item]
        has = np.diff(batch.history.indptr)[person] > 0
        return fallback_reasons(collab, has, self.people_[item], self.reason, AGAINST)
