"""A shared unit culture: staff of one organization miss together, not independently.

The organization figures (``models.risk.org``) rest on the staff probabilities.  Summed
(``expected_missing``) they need no assumption; the *spread* of the count — hence
``p_unit_rule``, P(at least a share misses) — does.  The independent version is a
Poisson-binomial.  The unit-effect version lets a unit's staff share a random shift on
the logit scale:

    P(person i misses | unit effect z) = sigmoid(a_i + σ z),   z ~ N(0, 1) per unit,

with ``a_i`` chosen so that averaging over z gives back the person's own calibrated
``p_i`` (``marginal_logits``): the staff forecasts are unchanged, only their joint
distribution within a unit is.  ``σ = 0`` is the independent model.  P(rule) =
E_z[Poisson-binomial tail] by Gauss–Hermite quadrature (``NODES`` points).

``fit_sigma`` estimates σ by maximum likelihood from the out-of-fold backtests of the
staff model (``models.risk.estimator``): each (snapshot, organization) is a unit whose
staff outcomes are observed; σ maximises Σ_units log E_z[Π p(z)^y (1 − p(z))^(1−y)].
Measured in the harness (``experiments.org_eval``: model ``risk`` against
``risk/independent`` in the same run).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import minimize_scalar
from scipy.special import expit, logit

__all__ = ["NODES", "fit_sigma", "marginal_logits", "quadrature"]

NODES = 9
_EPS = 1e-6


def quadrature(n: int = NODES) -> tuple[np.ndarray, np.ndarray]:
    """Standard-normal Gauss–Hermite nodes and weights (weights sum to 1)."""
    z, w = np.polynomial.hermite_e.hermegauss(n)
    return z, w / w.sum()


def marginal_logits(p: np.ndarray, sigma: float, n: int = NODES) -> np.ndarray:
    """``a`` with E_z[sigmoid(a + σ z)] = p (Newton steps; p of 0 or 1 give ∓inf)."""
    p = np.asarray(p, float)
    q = np.clip(p, _EPS, 1 - _EPS)
    a = logit(q)
    if sigma <= 0:
        out = a
    else:
        z, w = quadrature(n)
        a = a * np.sqrt(1 + np.pi * sigma**2 / 8)  # the probit approximation, then refine
        for _ in range(100):
            s = expit(a[:, None] + sigma * z[None, :])
            g = s @ w - q
            d = (s * (1 - s)) @ w
            # damped: near p = 0 or 1 the slope is tiny and a full step overshoots
            step = np.clip(g / np.maximum(d, 1e-12), -1.0, 1.0)
            a = a - step
            if np.abs(step).max(initial=0) < 1e-10:
                break
        out = a
    return np.where(p <= 0, -np.inf, np.where(p >= 1, np.inf, out))


def _unit_loglik(p: np.ndarray, y: np.ndarray, unit: np.ndarray, sigma: float) -> float:
    z, w = quadrature()
    a = marginal_logits(p, sigma)
    # per person and node: log P(outcome | z); summed per unit; log-mean-exp over nodes
    s = np.clip(expit(a[:, None] + sigma * z[None, :]), 1e-12, 1 - 1e-12)
    ll = np.where(y[:, None] == 1, np.log(s), np.log1p(-s))
    codes, _ = pd.factorize(unit)
    per_unit = np.zeros((codes.max(initial=-1) + 1, len(z)))
    np.add.at(per_unit, codes, ll)
    top = per_unit.max(axis=1, keepdims=True)
    return float((top[:, 0] + np.log(np.exp(per_unit - top) @ w)).sum())


def fit_sigma(p: np.ndarray, y: np.ndarray, unit: np.ndarray, max_sigma: float = 3.0) -> float:
    """Maximum-likelihood σ of the shared unit effect (0 = independent), from staff
    probabilities ``p`` (out of fold), outcomes ``y`` (1 = missed) and their ``unit``."""
    p, y = np.asarray(p, float), np.asarray(y, int)
    keep = (p > 0) & (p < 1)
    if keep.sum() < 50 or len(np.unique(np.asarray(unit)[keep])) < 10:
        return 0.0
    p, y, unit = p[keep], y[keep], np.asarray(unit)[keep]
    res = minimize_scalar(
        lambda s: -_unit_loglik(p, y, unit, s), bounds=(0.0, max_sigma), method="bounded"
    )
    at_zero = _unit_loglik(p, y, unit, 0.0)
    return float(res.x) if -res.fun > at_zero else 0.0
