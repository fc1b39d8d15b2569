"""Recommender contract (every registered recommender) and the baselines' known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from engine.errors import LearnmapError, NotFittedError
from features.asof import tables_as_of
from models.recommend.base import Recommender
from models.recommend.ease import EASE
from models.recommend.filters import Filters
from models.recommend.popularity import Popularity
from models.recommend.ranking import RECOMMEND_COLUMNS
from models.registry import create
from tests.helpers import typed_tables

# modules: A1..A3 form one taste group, B1..B3 another; B3 requires B1.
MODULES = [
    ("A1", "online", ""),
    ("A2", "online", ""),
    ("A3", "offline", ""),
    ("B1", "online", ""),
    ("B2", "live", ""),
    ("B3", "online", "B1"),
]


def tiny(parts: list[tuple[str, str, str]], staff: list[str] | None = None) -> dict:
    """parts: (staff, module, completed_on).  Every person hired 2020-01-01."""
    people = staff or sorted({s for s, _, _ in parts})
    data = {
        "organizations": [
            {
                "org_id": "O1",
                "name": "协会",
                "org_type": "social_group",
                "region": "北京",
                "ministry_managed": "true",
                "rating": "",
            }
        ],
        "staff": [
            {"staff_id": s, "org_id": "O1", "role": "finance", "hired_on": "2020-01-01"}
            for s in people
        ],
        "skills": [{"skill_id": "K1", "name": "财务", "parent_id": ""}],
        "modules": [
            {
                "module_id": m,
                "title": f"课程{m}",
                "mode": mode,
                "hours": "2",
                "tier": "elective",
                "prerequisites": pre,
            }
            for m, mode, pre in MODULES
        ],
        "module_skills": [{"module_id": m, "skill_id": "K1", "weight": "1"} for m, _, _ in MODULES],
        "role_requirements": [{"role": "finance", "skill_id": "K1", "level": "0.5"}],
        "sessions": [],
        "participations": [
            {
                "participation_id": f"P{i}",
                "staff_id": s,
                "module_id": m,
                "enrolled_on": d,
                "completed_on": d,
                "status": "completed",
                "hours": "2",
            }
            for i, (s, m, d) in enumerate(parts)
        ],
        "assessments": [],
        "outcomes": [],
    }
    return typed_tables(data)


def checkerboard() -> dict:
    """Group-A people took A modules, group-B people B modules (B1 before B3)."""
    parts = []
    for i in range(6):
        for m in ("A1", "A2", "A3"):
            parts.append((f"a{i}", m, "2025-01-10"))
        for m in ("B1", "B2", "B3"):
            parts.append((f"b{i}", m, "2025-01-10"))
    parts += [("newA", "A1", "2025-01-10"), ("newB", "B2", "2025-01-10")]
    parts += [("pop", "A1", "2025-01-10")]  # A1 is the single most popular module
    return tiny(parts)


RECOMMENDERS = [Popularity(), Popularity(window_days=30), EASE(l2=1.0)]
try:  # the implicit peers (``peers`` extra) must honour the same contract
    from experiments.peers import ImplicitALS, ImplicitBPR, ImplicitCosine

    RECOMMENDERS += [
        ImplicitALS(factors=2),
        ImplicitBPR(factors=2, iterations=20),
        ImplicitCosine(),
    ]
except ImportError:  # pragma: no cover
    pass


@pytest.fixture(scope="module")
def board() -> dict:
    return checkerboard()


@pytest.mark.parametrize("model", RECOMMENDERS, ids=repr)
class TestRecommenderContract:
    def test_not_fitted_is_a_clear_error(self, model: Recommender) -> None:
        with pytest.raises(NotFittedError, match="fit"):
            clone(model).recommend(["a0"])

    def test_columns_ranks_and_k(self, model: Recommender, board: dict) -> None:
        rec = clone(model).fit(board).recommend(["a0", "newA", "stranger"], k=2)
        assert list(rec.columns) == RECOMMEND_COLUMNS
        for _, g in rec.groupby("staff_id"):
            assert g["rank"].tolist() == list(range(1, len(g) + 1))
            assert g["score"].is_monotonic_decreasing
        assert set(rec["staff_id"]) == {"a0", "newA", "stranger"}  # unknown people answered
        assert (rec["reason"].str.len() > 0).all()

    def test_batch_equals_single(self, model: Recommender, board: dict) -> None:
        m = clone(model).fit(board)
        people = ["newB", "a1", "stranger", "b2", "newA"]
        batch = m.recommend(people, k=3)
        single = pd.concat([m.recommend([p], k=3) for p in people], ignore_index=True)
        pd.testing.assert_frame_equal(batch, single)

    def test_never_recommends_completed_or_blocked_modules(
        self, model: Recommender, board: dict
    ) -> None:
        rec = clone(model).fit(board).recommend(["newA", "newB", "a0"], k=6)
        got = set(zip(rec["staff_id"], rec["module_id"], strict=True))
        assert ("newA", "A1") not in got and ("newB", "B2") not in got
        assert not any(m.startswith("A") for s, m in got if s == "a0")  # a0 took all A
        assert ("newA", "B3") not in got and ("newB", "B3") not in got  # B1 not done

    def test_filters_restrict_modes(self, model: Recommender, board: dict) -> None:
        rec = clone(model).fit(board).recommend(["newA"], k=6, filters=Filters(modes=("online",)))
        assert set(rec["module_id"]) <= {"A2", "B1", "B3"}

    def test_as_of_hides_later_completions(self, model: Recommender) -> None:
        tables = tiny([("x", "A1", "2025-01-01"), ("x", "A2", "2025-03-01")])
        rec = clone(model).fit(tables, as_of="2025-02-01").recommend(["x"], k=6)
        assert "A2" in set(rec["module_id"])  # completed only after as_of: still a candidate


def test_popularity_ranks_by_completions(board: dict) -> None:
    rec = Popularity().fit(board).recommend(["stranger"], k=6)
    # A1: 6 + newA + pop = 8; B2: 6 + newB = 7; the rest 6 each, ties by module id
    assert rec["module_id"].tolist() == ["A1", "B2", "A2", "A3", "B1"]
    assert rec["score"].tolist()[:2] == [8.0, 7.0]


def test_popularity_window_counts_only_recent() -> None:
    tables = tiny([("p", "A1", "2024-01-01"), ("q", "A1", "2024-01-02"), ("r", "B1", "2025-06-01")])
    assert Popularity().fit(tables).recommend(["s"], k=1)["module_id"].item() == "A1"
    assert Popularity(window_days=90).fit(tables).recommend(["s"], k=1)["module_id"].item() == "B1"


def test_ease_recommends_the_person_s_own_group(board: dict) -> None:
    rec = EASE(l2=1.0).fit(board).recommend(["newA", "newB"], k=2)
    assert set(rec.loc[rec.staff_id == "newA", "module_id"]) == {"A2", "A3"}
    # B3 needs B1 first, so newB gets B1 then the best other module
    assert rec.loc[rec.staff_id == "newB", "module_id"].iloc[0] == "B1"


def test_ease_weights_match_closed_form(board: dict) -> None:
    m = EASE(l2=2.0).fit(board)
    x = m.data_.matrix.toarray()
    # the closed form minimises ‖X − XB‖² + λ‖B‖² with diag(B)=0: each column j solves
    # a ridge regression of x_j on the other columns
    for j in range(x.shape[1]):
        others = [c for c in range(x.shape[1]) if c != j]
        a = x[:, others]
        w = np.linalg.solve(a.T @ a + 2.0 * np.eye(len(others)), a.T @ x[:, j])
        np.testing.assert_allclose(m.weights_[others, j], w, atol=1e-8)
        assert m.weights_[j, j] == 0.0


def test_ease_rejects_bad_penalty(board: dict) -> None:
    with pytest.raises(ValueError, match="l2"):
        EASE(l2=0).fit(board)


def test_tables_as_of_drops_and_masks_later_records() -> None:
    tables = tiny([("x", "A1", "2025-01-01"), ("x", "A2", "2025-03-01")])
    p = tables["participations"].copy()
    p.loc[1, "enrolled_on"] = pd.Timestamp("2025-01-15")
    cut = tables_as_of({**tables, "participations": p}, "2025-02-01")["participations"]
    assert len(cut) == 2
    late = cut[cut.module_id == "A2"].iloc[0]
    assert late["status"] == "enrolled" and pd.isna(late["completed_on"]) and late["hours"] == 0


def test_registry_names_and_errors() -> None:
    assert isinstance(create("ease", l2=5.0), EASE)
    with pytest.raises(LearnmapError, match="unknown model .nope. for task"):
        create("nope")
    with pytest.raises(LearnmapError, match="bad parameters"):
        create("popularity", alpha=1)
