"""Every metric against values computed by hand, plus properties on random inputs."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from experiments.metrics import (
    bootstrap_mean_ci,
    brier,
    ece,
    gains,
    lift_at,
    ranking_metrics,
    risk_metrics,
    share_error,
)


def recs(rows: list[tuple[str, list[str]]]) -> pd.DataFrame:
    out = [(s, r + 1, m) for s, ms in rows for r, m in enumerate(ms)]
    return pd.DataFrame(out, columns=["staff_id", "rank", "module_id"])


def test_pairs(rows: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["staff_id", "module_id"])


test_pairs.__test__ = False  # a helper, not a test

L2 = math.log2


def test_ranking_metrics_by_hand() -> None:
    # u1: hits at ranks 1 and 3 of {a, c, x}; u2: one hit at rank 2 of {q}
    r = recs([("u1", ["a", "b", "c"]), ("u2", ["p", "q", "r"])])
    t = test_pairs([("u1", "a"), ("u1", "c"), ("u1", "x"), ("u2", "q")])
    m = ranking_metrics(r, t, k=3, n_catalogue=10)
    dcg1 = 1 + 1 / L2(4)
    idcg1 = 1 + 1 / L2(3) + 1 / L2(4)
    ndcg2 = (1 / L2(3)) / 1.0
    assert m["ndcg@3"] == pytest.approx((dcg1 / idcg1 + ndcg2) / 2)
    assert m["recall@3"] == pytest.approx((2 / 3 + 1 / 1) / 2)
    assert m["precision@3"] == pytest.approx((2 / 3 + 1 / 3) / 2)
    ap1 = (1 / 1 + 2 / 3) / 3  # min(|T|=3, k=3)
    ap2 = (1 / 2) / 1
    assert m["map@3"] == pytest.approx((ap1 + ap2) / 2)
    assert m["mrr"] == pytest.approx((1 / 1 + 1 / 2) / 2)
    assert m["coverage"] == pytest.approx(6 / 10)


def test_ranking_cut_at_k_and_people_without_recommendations_score_zero() -> None:
    r = recs([("u1", ["b", "a"])])  # the hit is at rank 2, beyond k = 1
    t = test_pairs([("u1", "a"), ("u2", "z")])  # u2 got nothing at all
    m = ranking_metrics(r, t, k=1, n_catalogue=4)
    assert m["ndcg@1"] == 0 and m["recall@1"] == 0 and m["mrr"] == 0
    assert m["coverage"] == pytest.approx(1 / 4)  # only rank-1 items count


def test_people_without_test_items_are_not_scored() -> None:
    r = recs([("u1", ["a"]), ("nobody", ["a"])])
    m = ranking_metrics(r, test_pairs([("u1", "a")]), k=1, n_catalogue=1)
    assert m["ndcg@1"] == 1.0 and m["precision@1"] == 1.0


def test_admissible_share_counts_recommended_rows() -> None:
    r = recs([("u1", ["a", "b", "c", "d"])])
    m = ranking_metrics(
        r, test_pairs([("u1", "a")]), k=3, n_catalogue=4, admissible_pairs=[1, 0, 1, 0]
    )
    assert m["admissible"] == pytest.approx(2 / 3)  # the 4th row is beyond k


def test_no_test_items_is_an_error() -> None:
    with pytest.raises(ValueError, match="no person"):
        ranking_metrics(recs([("u", ["a"])]), test_pairs([]), k=1, n_catalogue=1)


def test_risk_metrics_by_hand() -> None:
    y = np.array([1, 0, 1, 0])
    p = np.array([0.9, 0.8, 0.3, 0.1])
    unit = np.array(["A", "A", "B", "B"])
    m = risk_metrics(y, p, unit)
    # positive/negative pairs ordered right: (0.9>0.8),(0.9>0.1),(0.3<0.8),(0.3>0.1) → 3/4
    assert m["roc_auc"] == pytest.approx(0.75)
    # ranks by score: 1(+), 2(−), 3(+), 4(−): AP = (1/1 + 2/3) / 2
    assert m["pr_auc"] == pytest.approx((1 + 2 / 3) / 2)
    assert m["base_rate"] == 0.5
    assert m["brier"] == pytest.approx((0.01 + 0.64 + 0.49 + 0.01) / 4)
    # bins: 0.9→9 (y1), 0.8→8 (y0), 0.3→3 (y1), 0.1→1 (y0): every bin has one row
    assert m["ece"] == pytest.approx((0.1 + 0.8 + 0.7 + 0.1) / 4)
    # top 10% of 4 = 1 row (0.9, positive): 1 / 0.5
    assert m["lift@10%"] == pytest.approx(2.0)
    # A: mean p .85 vs .5; B: .2 vs .5
    assert m["share_error"] == pytest.approx((0.35 + 0.3) / 2)


def test_ece_pools_rows_in_a_bin_and_closes_the_last_bin() -> None:
    y = np.array([1, 0, 1, 1])
    p = np.array([0.62, 0.68, 1.0, 0.95])  # bin 6 twice; 1.0 falls in bin 9 with 0.95
    expected = (2 * abs(0.65 - 0.5) + 2 * abs(0.975 - 1.0)) / 4
    assert ece(y, p) == pytest.approx(expected)
    assert brier([1, 0], [1.0, 0.0]) == 0.0


def test_lift_uses_ceil_of_ten_percent() -> None:
    y = np.array([0] * 9 + [1] * 2)  # 11 rows → top ⌈1.1⌉ = 2
    p = np.linspace(0, 1, 11)
    assert lift_at(y, p) == pytest.approx(1.0 / (2 / 11))


def test_share_error_weights_units_equally() -> None:
    y = np.array([1] * 9 + [0])
    p = np.array([1.0] * 9 + [1.0])
    unit = np.array(["big"] * 9 + ["small"])
    assert share_error(y, p, unit) == pytest.approx((0 + 1) / 2)


def test_risk_metrics_reject_bad_input() -> None:
    with pytest.raises(ValueError, match="0 or 1"):
        risk_metrics(np.array([2, 0]), np.array([0.1, 0.2]), np.array(["a", "a"]))
    with pytest.raises(ValueError, match="probabilities"):
        risk_metrics(np.array([1, 0]), np.array([1.2, 0.2]), np.array(["a", "a"]))


def test_gains_by_hand_and_interval_brackets_the_mean() -> None:
    rows = []
    for person, (pre, post, fu) in enumerate([(50, 60, 57), (40, 55, 50), (70, 74, 72)]):
        for kind, v in (("pre", pre), ("post", post), ("followup", fu)):
            rows.append((f"s{person}", "M1", kind, v))
    rows.append(("s9", "M1", "post", 99.0))  # no pre: no gain
    out = pd.DataFrame(rows, columns=["staff_id", "module_id", "kind", "value"])
    g = gains(out, seed=0, n_boot=2000).iloc[0]
    assert g["n_post"] == 3 and g["gain_post"] == pytest.approx((10 + 15 + 4) / 3)
    assert g["gain_followup"] == pytest.approx((7 + 10 + 2) / 3)
    assert 4 <= g["gain_post_lo"] < g["gain_post"] < g["gain_post_hi"] <= 15


def test_bootstrap_is_reproducible_for_a_seed() -> None:
    v = np.arange(20.0)
    a = bootstrap_mean_ci(v, np.random.default_rng(3))
    b = bootstrap_mean_ci(v, np.random.default_rng(3))
    assert a == b and a[1] < 9.5 < a[2]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 1), st.floats(0, 1)), min_size=2, max_size=60),
    st.integers(1, 5),
)
def test_risk_metric_ranges(rows: list[tuple[int, float]], n_units: int) -> None:
    y = np.array([r[0] for r in rows])
    p = np.array([r[1] for r in rows])
    unit = np.arange(len(rows)) % n_units
    m = risk_metrics(y, p, unit)
    one = 1 + 1e-12  # sums of floats may round just above 1
    assert 0 <= m["brier"] <= one and 0 <= m["ece"] <= one and 0 <= m["share_error"] <= one
    if 0 < y.sum() < len(y):
        assert 0 <= m["roc_auc"] <= one and 0 < m["pr_auc"] <= one
        assert m["lift@10%"] <= 1 / m["base_rate"] + 1e-9


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from("uvw"), st.lists(st.sampled_from("abcdefg"), max_size=5, unique=True)
        ),
        min_size=1,
        max_size=3,
        unique_by=lambda r: r[0],
    ),
    st.lists(st.tuples(st.sampled_from("uvw"), st.sampled_from("abcdefg")), min_size=1, max_size=8),
    st.integers(1, 5),
)
def test_ranking_metric_ranges(rows: list, truth: list, k: int) -> None:
    m = ranking_metrics(recs(rows), test_pairs(truth), k=k, n_catalogue=7)
    for name in (f"ndcg@{k}", f"recall@{k}", f"precision@{k}", f"map@{k}", "mrr", "coverage"):
        assert 0 <= m[name] <= 1 + 1e-12, name
    # a perfect list is scored 1
    perfect = pd.DataFrame(truth, columns=["staff_id", "module_id"]).drop_duplicates()
    ideal = [(s, list(g["module_id"])) for s, g in perfect.groupby("staff_id")]
    pm = ranking_metrics(recs(ideal), perfect, k=max(k, 7), n_catalogue=7)
    assert pm[f"ndcg@{max(k, 7)}"] == pytest.approx(1.0)
    assert pm[f"recall@{max(k, 7)}"] == pytest.approx(1.0) and pm["mrr"] == 1.0
