"""Peers from the ``implicit`` library (optional ``peers`` extra) behind our interface.

``implicit-als`` (AlternatingLeastSquares), ``implicit-bpr`` (BayesianPersonalized
Ranking) and ``implicit-cosine`` (CosineRecommender, item kNN) are fitted on the same
person × module completion matrix as our models and scored through
``models.recommend.base.Recommender``, so the harness filters and ranks them exactly like ours.
They run single-threaded (``num_threads=1``): BPR's multi-threaded updates are not
reproducible.  People unknown at fit time (or with no history) get all-zero scores,
ties broken by popularity.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from features.asof import Tables
from models.recommend.base import Recommender
from models.recommend.data import Interactions
from models.recommend.filters import Batch
from models.recommend.popularity import fallback_reasons

try:
    import implicit.cpu.als
    import implicit.cpu.bpr
    import implicit.nearest_neighbours
except ImportError as exc:  # pragma: no cover - exercised when the extra is absent
    raise ImportError(
        "the implicit peers need the optional package 'implicit': pip install -e '.[peers]'",
        name="implicit",
    ) from exc


def _implicit():  # noqa: ANN202
    return implicit


class _ImplicitPeer(Recommender):
    def _popularity(self, data: Interactions) -> None:
        pop = np.asarray(data.matrix.sum(axis=0)).ravel()
        self.people_ = pop  # per module: how many people completed it
        self.tiebreak_ = 1e-9 * pop / max(pop.max(initial=0.0), 1.0)

    def _fit(self, data: Interactions, tables: Tables) -> None:
        self._popularity(data)
        # implicit warns when BLAS is multi-threaded and about sparse formats it converts
        with threadpool_limits(1, "blas"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self._fit_peer(sp.csr_matrix(data.matrix, copy=True))  # shared: never modified

    def _fit_peer(self, x: sp.csr_matrix) -> None:
        raise NotImplementedError

    def _factor_scores(self, batch: Batch) -> np.ndarray:
        out = np.zeros((len(batch.rows), self.item_factors_.shape[0]))
        known = (batch.rows >= 0) & (np.asarray(batch.history.sum(axis=1)).ravel() > 0)
        out[known] = self.user_factors_[batch.rows[known]] @ self.item_factors_.T
        return out + self.tiebreak_[None, :]


class ImplicitALS(_ImplicitPeer):
    reason = "mf_als"  # catalogue key: matrix factorisation (ALS) of colleagues' completions

    def __init__(
        self,
        factors: int = 64,
        regularization: float = 0.05,
        alpha: float = 10.0,
        iterations: int = 15,
        random_state: int = 0,
    ) -> None:
        self.factors = factors
        self.regularization = regularization
        self.alpha = alpha
        self.iterations = iterations
        self.random_state = random_state

    def _fit_peer(self, x: sp.csr_matrix) -> None:
        lib = _implicit()
        model = lib.cpu.als.AlternatingLeastSquares(
            factors=self.factors,
            regularization=self.regularization,
            alpha=self.alpha,
            iterations=self.iterations,
            num_threads=1,
            random_state=self.random_state,
        )
        model.fit(x, show_progress=False)
        # float64: a float32 product's rounding depends on the batch shape (batch ≠ single)
        self.user_factors_ = np.asarray(model.user_factors, dtype=np.float64)
        self.item_factors_ = np.asarray(model.item_factors, dtype=np.float64)

    def _scores(self, batch: Batch) -> np.ndarray:
        return self._factor_scores(batch)


class ImplicitBPR(_ImplicitPeer):
    reason = "mf_bpr"  # catalogue key: pairwise-ranking factorisation (BPR) of …

    def __init__(
        self,
        factors: int = 64,
        learning_rate: float = 0.05,
        regularization: float = 0.01,
        iterations: int = 100,
        random_state: int = 0,
    ) -> None:
        self.factors = factors
        self.learning_rate = learning_rate
        self.regularization = regularization
        self.iterations = iterations
        self.random_state = random_state

    def _fit_peer(self, x: sp.csr_matrix) -> None:
        lib = _implicit()
        model = lib.cpu.bpr.BayesianPersonalizedRanking(
            factors=self.factors,
            learning_rate=self.learning_rate,
            regularization=self.regularization,
            iterations=self.iterations,
            num_threads=1,
            random_state=self.random_state,
        )
        model.fit(x, show_progress=False)
        # float64: a float32 product's rounding depends on the batch shape (batch ≠ single)
        self.user_factors_ = np.asarray(model.user_factors, dtype=np.float64)
        self.item_factors_ = np.asarray(model.item_factors, dtype=np.float64)

    def _scores(self, batch: Batch) -> np.ndarray:
        return self._factor_scores(batch)


class ImplicitCosine(_ImplicitPeer):
    reason = "item_cosine"  # catalogue key: similar to modules you completed (item cosine kNN)

    def __init__(self, K: int = 50) -> None:  # noqa: N803 - implicit's own name
        self.K = K

    def _fit_peer(self, x: sp.csr_matrix) -> None:
        lib = _implicit()
        model = lib.nearest_neighbours.CosineRecommender(K=self.K, num_threads=1)
        model.fit(x, show_progress=False)
        self.similarity_ = sp.csr_matrix(model.similarity)

    def _collab(self, batch: Batch) -> np.ndarray:
        return np.asarray((batch.history @ self.similarity_).todense())

    def _scores(self, batch: Batch) -> np.ndarray:
        return self._collab(batch) + self.tiebreak_[None, :]

    def _reasons(self, batch: Batch, person: np.ndarray, item: np.ndarray) -> np.ndarray:
        """Says "similar to modules you completed" only where the person's completions raise
        the score; elsewhere the popularity it was ranked by (models.recommend.popularity)."""
        collab = self._collab(batch)[person, item]
        has = np.diff(batch.history.tocsr().indptr)[person] > 0
        return fallback_reasons(collab, has, self.people_[item], self.reason, self.reason)
