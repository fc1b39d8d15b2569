"""Every metric against a plain reference implementation (one person, one pair, one
bin at a time, written from the definitions in ``experiments.metrics``'s docstring)
on random inputs, plus the edge cases a user meets."""

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


# -- plain reference implementations ---------------------------------------------------
def naive_ranking(
    rows: list[tuple[str, int, str]],
    truth: list[tuple[str, str]],
    k: int,
    n_catalogue: int,
    admissible: list[bool] | None = None,
) -> dict[str, float]:
    """The ranking metrics one person at a time, from their definitions."""
    relevant: dict[str, set[str]] = {}
    for person, module in truth:
        relevant.setdefault(person, set()).add(module)
    shown: dict[str, list[tuple[int, str]]] = {}
    for person, rank, module in rows:
        if rank <= k:
            shown.setdefault(person, []).append((rank, module))
    totals = {"ndcg": 0.0, "recall": 0.0, "precision": 0.0, "map": 0.0, "mrr": 0.0}
    for person, wanted in relevant.items():
        ranked = sorted(shown.get(person, []))
        dcg = ap = rr = 0.0
        hits = 0
        for rank, module in ranked:
            if module in wanted:
                hits += 1
                dcg += 1 / math.log2(rank + 1)
                ap += hits / rank
                if rr == 0.0:
                    rr = 1 / rank
        ideal = sum(1 / math.log2(i + 1) for i in range(1, min(len(wanted), k) + 1))
        totals["ndcg"] += dcg / ideal
        totals["recall"] += hits / len(wanted)
        totals["precision"] += hits / k
        totals["map"] += ap / min(len(wanted), k)
        totals["mrr"] += rr
    n = len(relevant)
    out = {
        f"ndcg@{k}": totals["ndcg"] / n,
        f"recall@{k}": totals["recall"] / n,
        f"precision@{k}": totals["precision"] / n,
        f"map@{k}": totals["map"] / n,
        "mrr": totals["mrr"] / n,
        "coverage": len({m for _, rank, m in rows if rank <= k}) / n_catalogue,
    }
    if admissible is not None:
        flags = [a for (_, rank, _), a in zip(rows, admissible, strict=True) if rank <= k]
        out["admissible"] = sum(flags) / len(flags) if flags else float("nan")
    return out


def naive_risk(y: list[int], p: list[float], unit: list[int]) -> dict[str, float]:
    """The probability metrics pair by pair, threshold by threshold, bin by bin."""
    n = len(y)
    pos = [pi for yi, pi in zip(y, p, strict=True) if yi == 1]
    neg = [pi for yi, pi in zip(y, p, strict=True) if yi == 0]
    out: dict[str, float] = {"base_rate": len(pos) / n}
    if pos and neg:
        wins = sum(1.0 if a > b else 0.5 if a == b else 0.0 for a in pos for b in neg)
        out["roc_auc"] = wins / (len(pos) * len(neg))
        ap, last_recall = 0.0, 0.0
        for t in sorted(set(p), reverse=True):  # every distinct score as a threshold
            flagged = [yi for yi, pi in zip(y, p, strict=True) if pi >= t]
            recall = sum(flagged) / len(pos)
            ap += (recall - last_recall) * sum(flagged) / len(flagged)
            last_recall = recall
        out["pr_auc"] = ap
    out["brier"] = sum((pi - yi) ** 2 for yi, pi in zip(y, p, strict=True)) / n
    ece_sum = 0.0
    for b in range(10):  # [b/10, (b+1)/10), the last bin closed at 1
        rows = [(yi, pi) for yi, pi in zip(y, p, strict=True) if min(int(pi * 10), 9) == b]
        if rows:
            ece_sum += abs(sum(pi for _, pi in rows) - sum(yi for yi, _ in rows))
    out["ece"] = ece_sum / n
    top = sorted(range(n), key=lambda i: (-p[i], i))[: max(1, math.ceil(0.1 * n))]
    rate = sum(y[i] for i in top) / len(top)
    out["lift@10%"] = rate / out["base_rate"] if pos else float("nan")
    errors = []
    for u in sorted(set(unit)):
        members = [i for i in range(n) if unit[i] == u]
        mean_p = sum(p[i] for i in members) / len(members)
        mean_y = sum(y[i] for i in members) / len(members)
        errors.append(abs(mean_p - mean_y))
    out["share_error"] = sum(errors) / len(errors)
    return out


def _same(got: dict[str, float], want: dict[str, float]) -> None:
    for name, value in want.items():
        if math.isnan(value):
            assert math.isnan(got[name]), name
        else:
            assert got[name] == pytest.approx(value, rel=1e-9, abs=1e-12), name


PEOPLE = st.sampled_from(["u", "v", "w", "x"])
MODULES = st.sampled_from(list("abcdefgh"))


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(PEOPLE, st.lists(MODULES, max_size=6, unique=True)),
        max_size=4,
        unique_by=lambda r: r[0],
    ),
    st.lists(st.tuples(PEOPLE, MODULES), min_size=1, max_size=12),
    st.integers(1, 6),
    st.randoms(use_true_random=False),
)
def test_ranking_metrics_match_the_plain_reference(
    lists: list, truth: list, k: int, rnd: object
) -> None:
    rows = [(s, r + 1, m) for s, ms in lists for r, m in enumerate(ms)]
    rnd.shuffle(rows)  # row order must not matter  # type: ignore[attr-defined]
    flags = [rnd.random() < 0.7 for _ in rows]  # type: ignore[attr-defined]
    frame = pd.DataFrame(rows, columns=["staff_id", "rank", "module_id"])
    got = ranking_metrics(frame, test_pairs(truth), k=k, n_catalogue=8, admissible_pairs=flags)
    _same(got, naive_ranking(rows, truth, k, 8, flags))


SCORES = st.one_of(st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.9, 1.0]), st.floats(0, 1))


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 1), SCORES, st.integers(0, 3)), min_size=1, max_size=40)
)
def test_risk_metrics_match_the_plain_reference(rows: list[tuple[int, float, int]]) -> None:
    y, p, unit = (list(col) for col in zip(*rows, strict=True))
    got = risk_metrics(np.array(y), np.array(p), np.array(unit))
    want = naive_risk(y, p, unit)
    _same(got, want)
    if not (0 < sum(y) < len(y)):  # one class only: no ranking to judge
        assert math.isnan(got["roc_auc"]) and math.isnan(got["pr_auc"])
