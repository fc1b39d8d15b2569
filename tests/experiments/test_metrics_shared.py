"""The vectorised ``RankingTruth`` scores exactly like the direct per-pair definition.

``reference`` below is the harness's earlier implementation (Python sets and
group-bys), kept here as the definition the fast path must reproduce."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from experiments.metrics import RankingTruth, ranking_metrics


def reference(recs: pd.DataFrame, test: pd.DataFrame, k: int, n_catalogue: int, adm=None):  # noqa: ANN001, ANN201
    n_true = test.drop_duplicates(["staff_id", "module_id"]).groupby("staff_id").size()
    top = recs[(recs["rank"] <= k) & recs["staff_id"].isin(n_true.index)]
    truth = set(zip(test["staff_id"], test["module_id"], strict=True))
    hit = np.array(
        [(s, m) in truth for s, m in zip(top["staff_id"], top["module_id"], strict=True)], bool
    )
    top = top.assign(hit=hit)
    users = n_true.index
    rank = top["rank"].to_numpy()
    disc = 1.0 / np.log2(rank + 1.0)
    dcg = pd.Series(disc * hit, index=top["staff_id"]).groupby(level=0).sum()
    ideal_disc = np.cumsum(1.0 / np.log2(np.arange(2, k + 2)))
    idcg = pd.Series(ideal_disc[np.minimum(n_true.to_numpy(), k) - 1], index=users)
    n_hit = pd.Series(hit.astype(float), index=top["staff_id"]).groupby(level=0).sum()
    cum = top.groupby("staff_id")["hit"].cumsum()
    ap_terms = pd.Series(np.where(hit, cum.to_numpy() / rank, 0.0), index=top["staff_id"])
    ap = ap_terms.groupby(level=0).sum().reindex(users, fill_value=0.0) / np.minimum(n_true, k)
    rr = 1.0 / top[hit].groupby("staff_id")["rank"].min()

    def mean(s: pd.Series) -> float:
        return float(s.reindex(users, fill_value=0.0).mean())

    out = {
        f"ndcg@{k}": mean(dcg.reindex(users, fill_value=0.0) / idcg),
        f"recall@{k}": mean(n_hit.reindex(users, fill_value=0.0) / n_true),
        f"precision@{k}": mean(n_hit / k),
        f"map@{k}": mean(ap),
        "mrr": mean(rr),
        "coverage": recs.loc[recs["rank"] <= k, "module_id"].nunique() / n_catalogue,
    }
    if adm is not None:
        vals = np.asarray(adm, bool)[(recs["rank"] <= k).to_numpy()]
        out["admissible"] = float(vals.mean()) if len(vals) else float("nan")
    return out


PEOPLE = [f"s{i}" for i in range(6)]
MODULES = [f"m{i}" for i in range(9)]


@settings(max_examples=150, deadline=None)
@given(
    lists=st.dictionaries(
        st.sampled_from(PEOPLE + ["stranger"]),
        st.lists(st.sampled_from(MODULES + ["unseen"]), max_size=8, unique=True),
        min_size=1,
    ),
    truth=st.lists(st.tuples(st.sampled_from(PEOPLE), st.sampled_from(MODULES)), min_size=1),
    k=st.integers(1, 6),
    seed=st.integers(0, 10_000),
)
def test_fast_metrics_equal_the_direct_definition(lists, truth, k, seed) -> None:  # noqa: ANN001
    rows = [(s, r + 1, m) for s, ms in lists.items() for r, m in enumerate(ms)]
    recs = pd.DataFrame(rows, columns=["staff_id", "rank", "module_id"])
    # row order must not matter (a model may emit rows in any order)
    recs = recs.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    recs_sorted = recs.sort_values(["staff_id", "rank"]).reset_index(drop=True)
    test = pd.DataFrame(truth, columns=["staff_id", "module_id"])
    adm = np.random.default_rng(seed).random(len(recs)) < 0.8
    got = RankingTruth(test, k).score(recs, 12, adm)
    adm_sorted = adm[recs.sort_values(["staff_id", "rank"]).index.to_numpy()]
    want = reference(recs_sorted, test, k, 12, adm_sorted)
    assert got.keys() == want.keys()
    for name, value in want.items():
        assert got[name] == pytest.approx(value, rel=1e-12, abs=1e-15, nan_ok=True), name
    again = ranking_metrics(recs, test, k, 12, adm)
    assert again == pytest.approx(got, nan_ok=True)


def test_one_truth_scores_many_lists_like_fresh_ones() -> None:
    rng = np.random.default_rng(3)
    test = pd.DataFrame({"staff_id": rng.choice(PEOPLE, 30), "module_id": rng.choice(MODULES, 30)})
    truth = RankingTruth(test, 5)
    for _ in range(5):
        rows = [
            (s, r + 1, m)
            for s in PEOPLE
            for r, m in enumerate(rng.choice(MODULES, 5, replace=False))
        ]
        recs = pd.DataFrame(rows, columns=["staff_id", "rank", "module_id"])
        assert truth.score(recs, 9) == ranking_metrics(recs, test, 5, 9)
