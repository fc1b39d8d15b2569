"""The implicit peers (``peers`` extra; installed by ``make test`` through ``dev``) run
through our interface on tiny data whose right answer is known."""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.base import clone

pytest.importorskip("implicit")

from experiments.peers import ImplicitALS, ImplicitBPR, ImplicitCosine  # noqa: E402
from tests.models.test_baselines import checkerboard  # noqa: E402

PEERS = [
    ImplicitALS(factors=2, iterations=30, regularization=1.0, alpha=1.0),
    ImplicitBPR(factors=4, iterations=200, learning_rate=0.05),
    ImplicitCosine(K=10),
]


@pytest.fixture(scope="module")
def board() -> dict:
    return checkerboard()


@pytest.mark.parametrize("model", PEERS, ids=lambda m: type(m).__name__)
def test_peer_recommends_the_person_s_own_group(model: object, board: dict) -> None:
    rec = clone(model).fit(board).recommend(["a0_partial", "newA", "newB"], k=2)
    got = rec.groupby("staff_id")["module_id"].apply(set)
    assert got["newA"] == {"A2", "A3"}
    assert "B1" in got["newB"]  # B3 is blocked until B1 is done


@pytest.mark.parametrize("model", PEERS, ids=lambda m: type(m).__name__)
def test_peer_is_reproducible_and_batch_equals_single(model: object, board: dict) -> None:
    a = clone(model).fit(board)
    b = clone(model).fit(board)
    people = ["newA", "newB", "stranger"]
    pd.testing.assert_frame_equal(a.recommend(people, k=3), b.recommend(people, k=3))
    single = pd.concat([a.recommend([p], k=3) for p in people], ignore_index=True)
    pd.testing.assert_frame_equal(a.recommend(people, k=3), single)
