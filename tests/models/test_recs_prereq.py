"""Offering a missing prerequisite instead of a module one cannot take yet."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.demo import DemoSpec, generate
from models.recommend.filters import Batch, Filters, admissible, offer_prerequisites
from models.registry import create


@pytest.fixture(autouse=True)
def _english_reasons(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests read the reasons' evidence back from the English texts, which keep
    the data's codes (models.recommend.reason_text); Chinese is tested on its own."""
    monkeypatch.setenv("LEARNMAP_LANG", "en")

AS_OF = "2026-07-01"
OFFER = Filters(offer_prerequisites=True)


def _brute(scores, done, prereq, allowed, rounds):  # noqa: ANN001, ANN202
    """Per person and module: the best score reachable by following missing
    prerequisites from blocked modules, at most ``rounds`` links."""
    n, m = scores.shape
    need = [np.flatnonzero(prereq[j]) for j in range(m)]
    out = np.full((n, m), -np.inf)
    for u in range(n):
        blocked = [not done[u, j] and any(not done[u, p] for p in need[j]) for j in range(m)]

        def walk(u: int, blocked: list[bool], j: int, value: float, depth: int) -> None:
            for p in need[j]:
                if allowed[p] and not done[u, p]:
                    out[u, p] = max(out[u, p], value)
                    if blocked[p] and depth + 1 < rounds:
                        walk(u, blocked, p, value, depth + 1)

        for j in range(m):
            if blocked[j] and np.isfinite(scores[u, j]):
                walk(u, blocked, j, scores[u, j], 0)
    return out


@settings(max_examples=120, deadline=None)
@given(
    n_items=st.integers(2, 7),
    data=st.data(),
)
def test_offered_scores_equal_a_brute_force_walk(n_items: int, data: st.DataObject) -> None:
    # a random DAG: j may require any p < j
    pairs = [(j, p) for j in range(n_items) for p in range(j)]
    edges = data.draw(st.lists(st.sampled_from(pairs), unique=True, max_size=8)) if pairs else []
    prereq = np.zeros((n_items, n_items), bool)
    for j, p in edges:
        prereq[j, p] = True
    n = 3
    done = np.array(data.draw(st.lists(st.booleans(), min_size=n * n_items, max_size=n * n_items)))
    done = done.reshape(n, n_items)
    vals = st.one_of(st.just(-np.inf), st.integers(0, 5).map(float))
    scores = np.array(data.draw(st.lists(vals, min_size=n * n_items, max_size=n * n_items)))
    scores = scores.reshape(n, n_items)
    allowed = np.array(data.draw(st.lists(st.booleans(), min_size=n_items, max_size=n_items)))
    hist = sp.csr_matrix(done.astype(np.float32))
    batch = Batch(np.array(["u"] * n, dtype=object), np.arange(n), hist, sp.csr_matrix(prereq))
    out, via = offer_prerequisites(scores.copy(), batch, allowed, rounds=4)
    adm = admissible(hist, sp.csr_matrix(prereq))
    best = _brute(scores, done, prereq, allowed, rounds=4)
    want = np.where(adm & (best > scores), best, scores)
    np.testing.assert_array_equal(out, want)
    for u, p in zip(*np.nonzero(via >= 0), strict=True):
        j = via[u, p]
        assert adm[u, p] and prereq[j, p] and not done[u, j] and not adm[u, j]
    assert ((via >= 0) == (adm & (best > scores))).all()


@pytest.fixture(scope="module")
def cadre() -> dict[str, pd.DataFrame]:
    """The cadre demo where the most taken module now requires a rarely taken one:
    many people cannot take it yet, and its prerequisite is worth offering."""
    tables = generate(DemoSpec(scenario="cadre", orgs=6, seed=3))
    p = tables["participations"]
    counts = p[p["status"] == "completed"]["module_id"].astype(str).value_counts()
    mods = tables["modules"].copy()
    free = mods.loc[mods["prerequisites"].fillna("") == "", "module_id"].astype(str)
    top = counts.index[0]
    rare = counts.reindex(free).fillna(0).drop(top, errors="ignore").idxmin()
    mods.loc[mods["module_id"].astype(str) == top, "prerequisites"] = rare
    return {**tables, "modules": mods}


_DEMO_III = pytest.mark.xfail(
    strict=True,
    reason="demo III (issue 20) changed the catalogue's prerequisite structure: with "
    "these models this fixture no longer recommends an offered prerequisite; to be "
    "rebuilt on a hand-made world (round-5 closing note)",
)


@pytest.mark.parametrize(
    "name",
    [pytest.param("popularity", marks=_DEMO_III), pytest.param("itemknn", marks=_DEMO_III),
     "hybrid"],
)  # fmt: skip
def test_offered_prerequisites_are_takeable_and_explained(name: str, cadre) -> None:  # noqa: ANN001
    model = create(name).fit(cadre, AS_OF)
    data = model.data_
    people = list(data.users[:60])
    plain = model.recommend(people, k=10)
    pd.testing.assert_frame_equal(plain, model.recommend(people, k=10, filters=Filters()))
    recs = model.recommend(people, k=10, filters=OFFER)
    r = data.rows(recs["staff_id"].to_numpy(dtype=object))
    c = data.items.get_indexer(recs["module_id"])
    hist = data.history(r)
    adm = admissible(hist, data.prereq)
    assert adm[np.arange(len(recs)), c].all()  # still only modules one can take now
    offered = recs[recs["reason"].str.startswith("prerequisite for ")]
    assert len(offered), "the most taken module is blocked for many: its prerequisite is offered"
    titles = data.modules.set_index("module_id")["title"].astype(str)
    by_title = {t: m for m, t in titles.items()}
    done = np.asarray(hist.todense()) > 0
    for i in offered.index:
        target = by_title[offered.at[i, "reason"].removeprefix("prerequisite for ")]
        j = data.items.get_loc(target)
        assert data.prereq[j, c[i]], "offered module is a prerequisite of the one named"
        assert not done[i, j], "the named module is not completed yet"
    one = model.recommend([people[5]], k=10, filters=OFFER)
    pd.testing.assert_frame_equal(one, recs[recs["staff_id"] == people[5]].reset_index(drop=True))


@pytest.mark.xfail(
    strict=True,
    reason="demo III (issue 20) changed the catalogue's prerequisite structure: this "
    "fixture no longer has a much-taken module blocked by an offered prerequisite; "
    "to be rebuilt on a hand-made world (round-5 closing note)",
)
def test_offering_ranks_a_prerequisite_where_the_module_it_unlocks_would_be(cadre) -> None:  # noqa: ANN001
    model = create("popularity").fit(cadre, AS_OF)
    data = model.data_
    prereq = data.prereq.tocsr()
    counts = pd.Series(model.counts_, index=data.items)
    blocked = data.items[np.flatnonzero(np.diff(prereq.indptr))]  # for a newcomer
    recs = model.recommend(["NEWCOMER"], k=len(data.items), filters=OFFER)
    assert not set(blocked) & set(recs["module_id"])  # none recommended directly
    offered = recs[recs["reason"].str.startswith("prerequisite for ")]
    assert len(offered)
    titles = data.modules.set_index("module_id")["title"].astype(str)
    by_title = {t: m for m, t in titles.items()}
    for _, row in offered.iterrows():
        own = counts[row["module_id"]]
        target = by_title[row["reason"].removeprefix("prerequisite for ")]
        assert row["score"] > own  # it ranks higher than it would on its own …
        assert row["score"] >= counts[target]  # … at least where the module it unlocks would
        assert row["score"] in set(counts[blocked])  # carrying a blocked module's score
    plain = model.recommend(["NEWCOMER"], k=len(data.items))
    moved = plain.set_index("module_id")["rank"] - recs.set_index("module_id")["rank"]
    assert moved[offered["module_id"]].gt(0).all()  # offered prerequisites moved up
