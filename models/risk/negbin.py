"""Negative-binomial helpers: future completions over the time left are a Poisson rate
with gamma-distributed uncertainty (``models.risk.estimator``, step 3)."""

from __future__ import annotations

import numpy as np
from scipy import stats
from scipy.optimize import minimize_scalar

__all__ = ["fit_shape", "nb_cdf_below", "nb_shortfall"]


def nb_cdf_below(k: np.ndarray, mean: np.ndarray, shape: float) -> np.ndarray:
    """P(X < k) for X negative binomial with ``mean`` and gamma ``shape`` (k may be fractional)."""
    k = np.ceil(np.asarray(k, float) - 1e-9)
    mean = np.maximum(np.asarray(mean, float), 1e-9)
    p = shape / (shape + mean)
    return np.where(k <= 0, 0.0, stats.nbinom.cdf(k - 1, shape, p))


def nb_shortfall(k: np.ndarray, mean: np.ndarray, shape: float, kmax: int = 400) -> np.ndarray:
    """E[max(k − X, 0)] for the same X (k on the count scale)."""
    k = np.asarray(k, float)
    mean = np.maximum(np.asarray(mean, float), 1e-9)
    p = shape / (shape + mean)
    out = np.zeros_like(k)
    top = int(min(np.ceil(k.max(initial=0)), kmax))
    for j in range(top):  # Σ_{x<k} (k − x) P(X = x)
        out += np.where(j < k, (k - j) * stats.nbinom.pmf(j, shape, p), 0.0)
    return out


def fit_shape(y: np.ndarray, mean: np.ndarray) -> float:
    """Maximum-likelihood gamma shape of a negative binomial with known means."""
    mean = np.maximum(mean, 1e-6)

    def nll(log_r: float) -> float:
        r = np.exp(log_r)
        return -float(np.sum(stats.nbinom.logpmf(y, r, r / (r + mean))))

    res = minimize_scalar(nll, bounds=(np.log(0.05), np.log(1000)), method="bounded")
    return float(np.exp(res.x))
