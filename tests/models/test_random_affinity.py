"""The two reference peers: ``random`` (seeded, uniform, per person) and
``content-affinity`` (share of past participations sharing a skill), on tiny tables
whose right answers are known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from models.recommend.filters import Filters
from models.registry import create

D = pd.Timestamp


def _tables() -> dict[str, pd.DataFrame]:
    mods = ["A1", "A2", "A3", "B1", "B2", "N1"]  # A*: skill a, B*: skill b, N1: none
    modules = pd.DataFrame(
        {
            "module_id": mods,
            "title": mods,
            "mode": "online",
            "hours": 1.0,
            "tier": "elective",
            "prerequisites": "",
        }
    )
    module_skills = pd.DataFrame(
        {"module_id": ["A1", "A2", "A3", "B1", "B2"], "skill_id": list("aaabb"), "weight": 1.0}
    )
    staff = pd.DataFrame(
        {
            "staff_id": ["P", "Q", "R"],
            "org_id": "O",
            "role": "other",
            "hired_on": D("2020-01-01"),
            "left_on": pd.NaT,
        }
    )
    rows = [  # P: two a's (one dropped) and one b; Q: one b; R: nothing
        ("1", "P", "A1", "completed"),
        ("2", "P", "A2", "dropped"),
        ("3", "P", "B1", "enrolled"),
        ("4", "Q", "B1", "completed"),
        ("5", "Q", "A1", "no_show"),
    ]
    p = pd.DataFrame(rows, columns=["participation_id", "staff_id", "module_id", "status"])
    p["session_id"] = None
    p["enrolled_on"] = D("2021-01-01")
    p["completed_on"] = np.where(p["status"] == "completed", D("2021-02-01"), pd.NaT)
    p["completed_on"] = pd.to_datetime(p["completed_on"])
    p["hours"] = 1.0
    return {
        "organizations": pd.DataFrame(
            {
                "org_id": ["O"],
                "name": ["O"],
                "org_type": ["foundation"],
                "region": ["x"],
                "ministry_managed": [False],
                "rating": [np.nan],
            }
        ),
        "staff": staff,
        "skills": pd.DataFrame(
            {"skill_id": ["a", "b"], "name": ["财务", "项目"], "parent_id": None}
        ),
        "modules": modules,
        "module_skills": module_skills,
        "role_requirements": pd.DataFrame({"role": [], "skill_id": [], "level": []}),
        "sessions": pd.DataFrame(
            columns=["session_id", "module_id", "starts_on", "ends_on", "capacity"]
        ),
        "participations": p,
        "assessments": pd.DataFrame(
            columns=["assessment_id", "staff_id", "module_id", "taken_on", "score"]
        ),
        "outcomes": pd.DataFrame(
            columns=["outcome_id", "staff_id", "module_id", "measured_on", "kind", "value"]
        ),
    }


def _scores(model: object, who: str) -> pd.Series:
    recs = model.recommend(
        [who], k=10, filters=Filters(exclude_completed=False, prerequisites=False)
    )
    return recs.set_index("module_id")["score"]


def test_content_affinity_is_the_weighted_share_of_past_participations(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LEARNMAP_LANG", "en")  # the reason's words are read back below
    m = create("content-affinity", dropped_weight=0.5).fit(_tables())
    p = _scores(m, "P")  # weights: A1 1 (a), A2 0.5 (a), B1 1 (b); total 2.5
    assert p["A3"] == pytest.approx(1.5 / 2.5)
    assert p["B2"] == pytest.approx(1.0 / 2.5)
    assert p["N1"] == 0.0  # shares no skill with anything P took
    q = _scores(m, "Q")  # the no-show does not count: only B1
    assert q["B2"] == pytest.approx(1.0) and q["A3"] == 0.0
    assert (_scores(m, "R") == 0).all()  # no history: nothing to go on
    recs = m.recommend(["P"], k=2)
    # A1 completed: excluded by default; the dropped A2 may be taken again (tie: by id)
    assert list(recs["module_id"]) == ["A2", "A3"]
    assert "60% of your past modules share a skill" in recs["reason"].iloc[0]
    assert "财务" in recs["reason"].iloc[0]
    with pytest.raises(ValueError, match="dropped_weight"):
        create("content-affinity", dropped_weight=2.0).fit(_tables())


def test_random_is_seeded_per_person_and_the_same_in_a_batch() -> None:
    t = _tables()
    a = create("random", random_state=3).fit(t)
    batch = a.recommend(["P", "Q", "R"], k=6, filters=Filters(exclude_completed=False))
    alone = pd.concat(
        [a.recommend([s], k=6, filters=Filters(exclude_completed=False)) for s in "PQR"]
    )
    pd.testing.assert_frame_equal(batch.reset_index(drop=True), alone.reset_index(drop=True))
    again = clone(a).fit(t).recommend(["P"], k=6)
    assert again.equals(a.recommend(["P"], k=6))
    other = create("random", random_state=4).fit(t).recommend(["P"], k=6)
    assert list(other["module_id"]) != list(again["module_id"]) or list(other["score"]) != list(
        again["score"]
    )


def test_random_is_uniform_over_the_candidates() -> None:
    """Over many people each of 6 modules is ranked first about 1/6 of the time."""
    t = _tables()
    people = [f"X{i}" for i in range(3000)]
    first = create("random", random_state=0).fit(t).recommend(people, k=1)["module_id"]
    share = first.value_counts(normalize=True)
    assert len(share) == 6 and (abs(share - 1 / 6) < 0.03).all()
