"""A fitted ``HistGradientBoostingClassifier`` evaluated with numpy, for small requests."""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier

__all__ = ["LIBRARY_ROWS", "Forest"]

#: Candidate rows from which ``_scores`` uses the library's predictor instead of ``_Forest``.
LIBRARY_ROWS = 5000


class Forest:
    """The fitted trees of a ``HistGradientBoostingClassifier`` (binary, numeric
    features) as flat arrays, evaluated with numpy for every row and tree at once.

    Why: the library's predictor starts its OpenMP threads on every call, which costs
    tens of milliseconds per call on a busy machine — too slow for one person's top 10
    (≤ 5 ms).  Same rule as the library: ``x <= threshold`` goes left, NaN follows
    ``missing_go_to_left``.  ``test_recs`` checks it against ``predict_proba``."""

    def __init__(self, model: HistGradientBoostingClassifier) -> None:
        trees = [pred[0].nodes for pred in model._predictors]
        sizes = np.array([len(t) for t in trees])
        offset = np.r_[0, np.cumsum(sizes)[:-1]]
        nodes = np.concatenate(trees)
        shift = np.repeat(offset, sizes)
        self.feature = nodes["feature_idx"].astype(np.int64)
        self.threshold = nodes["num_threshold"].astype(float)
        self.nan_left = nodes["missing_go_to_left"].astype(bool)
        self.left = nodes["left"].astype(np.int64) + shift
        self.right = nodes["right"].astype(np.int64) + shift
        self.leaf = nodes["is_leaf"].astype(bool)
        self.value = nodes["value"].astype(float)
        self.roots = offset
        self.depth = int(nodes["depth"].max()) if len(nodes) else 0
        self.baseline = float(np.ravel(model._baseline_prediction)[0])

    def predict_proba1(self, x: np.ndarray) -> np.ndarray:
        idx = np.broadcast_to(self.roots, (len(x), len(self.roots))).copy()
        rows = np.arange(len(x))[:, None]
        for _ in range(self.depth):
            v = x[rows, self.feature[idx]]
            go_left = np.where(np.isnan(v), self.nan_left[idx], v <= self.threshold[idx])
            idx = np.where(self.leaf[idx], idx, np.where(go_left, self.left[idx], self.right[idx]))
        raw = self.baseline + self.value[idx].sum(axis=1)
        return 1.0 / (1.0 + np.exp(-raw))
