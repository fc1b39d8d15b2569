"""The shared unit effect: staff forecasts kept, their joint distribution in a unit
widened by σ (fitted by maximum likelihood; 0 = independent)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import expit

from experiments.metrics import ece
from models.risk.org import _batched_sf, unit_rule_probability, unit_threshold
from models.risk.unit_effect import fit_sigma, marginal_logits, quadrature


@settings(max_examples=60, deadline=None)
@given(
    p=st.lists(st.floats(0, 1, allow_nan=False), min_size=1, max_size=20),
    sigma=st.floats(0, 3),
)
def test_each_persons_probability_is_kept(p: list[float], sigma: float) -> None:
    z, w = quadrature()
    a = marginal_logits(np.array(p), sigma)
    back = expit(a[:, None] + sigma * z[None, :]) @ w
    np.testing.assert_allclose(back, np.clip(p, 0, 1), atol=2e-6)


def test_sigma_zero_is_the_independent_poisson_binomial() -> None:
    groups = [np.array([0.9, 0.2, 0.0]), np.array([0.4] * 6), np.zeros(0)]
    m = np.array([1, 2, 1])
    np.testing.assert_allclose(unit_rule_probability(groups, m, 0.0), _batched_sf(groups, m))
    # a shared effect spreads the count: the tail of an unlikely event grows, the
    # probability of a likely one shrinks
    wide = unit_rule_probability([np.full(9, 0.1), np.full(9, 0.6)], np.array([3, 3]), 1.5)
    narrow = unit_rule_probability([np.full(9, 0.1), np.full(9, 0.6)], np.array([3, 3]), 0.0)
    assert wide[0] > narrow[0] and wide[1] < narrow[1]


def _units(rng: np.random.Generator, sigma: float, n_units: int = 800, size: int = 8):
    unit = np.repeat(np.arange(n_units), size)
    p = rng.uniform(0.05, 0.6, len(unit))
    a = marginal_logits(p, sigma)
    y = (rng.uniform(size=len(unit)) < expit(a + sigma * rng.normal(size=n_units)[unit])).astype(
        int
    )
    return p, y, unit


@pytest.mark.parametrize("sigma", [0.0, 1.2])
def test_sigma_is_recovered_and_makes_the_unit_rule_calibrated(sigma: float) -> None:
    rng = np.random.default_rng(4)
    p, y, unit = _units(rng, sigma)
    got = fit_sigma(p, y, unit)
    assert got == pytest.approx(sigma, abs=0.25)
    # on fresh units of the same world, the unit rule with the fitted σ is calibrated
    p2, y2, unit2 = _units(rng, sigma)
    groups = [p2[unit2 == u] for u in np.unique(unit2)]
    m = unit_threshold(np.full(len(groups), 8), 1 / 3)
    hit = (np.bincount(unit2, weights=y2) >= m).astype(int)
    fitted = ece(hit, unit_rule_probability(groups, m, got))
    independent = ece(hit, unit_rule_probability(groups, m, 0.0))
    assert fitted < 0.05
    if sigma:
        assert fitted < independent
