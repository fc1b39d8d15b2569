"""EASE: embarrassingly shallow autoencoder (Steck, WWW 2019), in a few lines of numpy.

Learns an item × item weight matrix ``B`` with zero diagonal minimising
``‖X − XB‖² + λ‖B‖²`` in closed form: ``P = (XᵀX + λI)⁻¹``, ``B = −P / diag(P)``.
A person's scores are ``x B`` for their completion row ``x``.  People with no
history get all-zero scores; ties are broken by popularity (a 1e-9-scaled term).

Parameters
----------
l2 : float
    The ridge penalty λ (> 0).  Tune it on a validation cut (the harness's grid).
"""

from __future__ import annotations

import numpy as np

from models.base import Batch, Interactions, Recommender, Tables


class EASE(Recommender):
    reason = "people who completed your modules also completed this"

    def __init__(self, l2: float = 100.0) -> None:
        self.l2 = l2

    def _fit(self, data: Interactions, tables: Tables) -> None:
        if not self.l2 > 0:
            raise ValueError(f"l2 must be > 0, got {self.l2}")
        x = data.matrix.astype(np.float64)
        gram = np.asarray((x.T @ x).todense())
        gram[np.diag_indices_from(gram)] += self.l2
        inv = np.linalg.inv(gram)
        b = -inv / np.diag(inv)[None, :]
        np.fill_diagonal(b, 0.0)
        self.weights_ = b
        pop = np.asarray(x.sum(axis=0)).ravel()
        self.tiebreak_ = 1e-9 * pop / max(pop.max(), 1.0)

    def _scores(self, batch: Batch) -> np.ndarray:
        return np.asarray(batch.history @ self.weights_) + self.tiebreak_[None, :]
