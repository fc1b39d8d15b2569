"""A fitted ``HistGradientBoostingClassifier``'s P(class 1), fast for small requests."""

from __future__ import annotations

import numpy as np
from scipy.special import expit
from sklearn.ensemble import HistGradientBoostingClassifier

__all__ = ["LIBRARY_ROWS", "predict_proba1"]

#: Candidate rows from which the library's threaded predictor is used as it is.
LIBRARY_ROWS = 5000


def predict_proba1(model: HistGradientBoostingClassifier, x: np.ndarray) -> np.ndarray:
    """``model.predict_proba(x)[:, 1]``; under ``LIBRARY_ROWS`` rows on one thread.

    Why: the library's predictor starts its OpenMP threads on every call, which costs
    tens of milliseconds per call on a busy machine — too slow for one person's top 10
    (≤ 5 ms).  Its compiled predictor on one thread takes ~4 ms for 350 rows × 175
    trees, a numpy evaluation of the same trees ~20 ms (measured on this machine,
    loaded).  ``_raw_predict(x, n_threads=…)`` is private but has been there since
    scikit-learn 1.1; ``test_recs`` checks it against ``predict_proba``, and
    ``threadpoolctl`` (the public way) costs more than it saves (~11 ms per call)."""
    if len(x) >= LIBRARY_ROWS:
        return model.predict_proba(x)[:, 1]
    return expit(np.ravel(model._raw_predict(x, n_threads=1)))
