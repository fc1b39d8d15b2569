"""The paired comparison: known answers, and the interval's coverage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from experiments.significance import best_peer_table, paired_bootstrap


def test_identical_models_have_a_zero_difference_and_interval() -> None:
    a = pd.Series(np.linspace(0, 1, 50), index=[f"p{i}" for i in range(50)])
    assert paired_bootstrap(a, a.copy(), seed=0) == (0.0, 0.0, 0.0)


def test_pairing_detects_a_small_shift_that_unpaired_noise_would_hide() -> None:
    rng = np.random.default_rng(1)
    base = pd.Series(rng.random(400), index=[f"p{i}" for i in range(400)])
    better = base + 0.02  # everyone a little better: a tiny, certain difference
    d, lo, hi = paired_bootstrap(better, base.sample(frac=1.0, random_state=3), seed=0)
    assert d == pytest.approx(0.02) and lo == pytest.approx(0.02) and hi == pytest.approx(0.02)
    noisy = better + rng.normal(0, 0.01, 400)
    d, lo, hi = paired_bootstrap(noisy, base, seed=0)
    assert 0 < lo < d < hi


def test_the_interval_covers_the_true_difference_about_95_percent_of_the_time() -> None:
    rng = np.random.default_rng(7)
    hits = 0
    for trial in range(200):
        a = pd.Series(rng.normal(0.3, 0.2, 80))
        b = pd.Series(a + rng.normal(0.05, 0.1, 80))
        _, lo, hi = paired_bootstrap(b, a, seed=trial, n_boot=400)
        hits += lo <= 0.05 <= hi
    assert 0.88 <= hits / 200 <= 0.99


def test_each_model_meets_the_best_other_model_and_the_oracle_is_no_peer() -> None:
    idx = [f"p{i}" for i in range(6)]
    people = {
        "hybrid": pd.Series([1, 1, 1, 0, 0, 1.0], index=idx),
        "ease": pd.Series([1, 0, 1, 0, 0, 0.0], index=idx),
        "random": pd.Series([0, 0, 0, 0, 1, 0.0], index=idx),
        "oracle": pd.Series([1.0] * 6, index=idx),
    }
    t = best_peer_table(people, {"all": idx, "warm": idx[:3], "cold": []}, seed=0)
    got = t[t["slice"] == "all"].set_index("model")
    assert got.loc["hybrid", "peer"] == "ease" and got.loc["ease", "peer"] == "hybrid"
    assert got.loc["oracle", "peer"] == "hybrid"  # the ceiling is compared, never a peer
    assert got.loc["hybrid", "diff"] == pytest.approx(2 / 6)
    assert set(t["slice"]) == {"all", "warm"}  # an empty slice is left out
    assert (t.loc[t["slice"] == "warm", "n"] == 3).all()
    with pytest.raises(ValueError, match="both values"):
        paired_bootstrap(people["hybrid"], people["ease"].iloc[:3], seed=0)
