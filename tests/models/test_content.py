"""ContentModel: a module nobody has taken gets a score from what it is.

A world with a planted topic: two groups of people, each choosing modules of one topic
(skill and title words) every quarter; next quarter brings modules nobody has taken.
The right answer is known: each group's new module of its own topic first."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from models.recommend.content import ContentModel
from models.recommend.filters import Filters
from tests.helpers import typed_tables

QUARTERS = ["2025-01-01", "2025-04-01", "2025-07-01", "2025-10-01"]
TOPICS = {"A": "财务管理与预算", "B": "新闻传播与舆情"}


def world(skills: bool = True, titles: bool = True, n: int = 30, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    modules, sessions, ms, parts = [], [], [], []
    for q, day in enumerate(QUARTERS):
        for t in TOPICS:
            mid = f"{t}{q}"
            title = f"{TOPICS[t]}（第{q + 1}期）" if titles else f"课程{q}{t}"
            modules.append(
                {
                    "module_id": mid,
                    "title": title,
                    "mode": "offline",
                    "hours": "8",
                    "tier": "elective",
                    "prerequisites": "",
                }
            )
            sessions.append(
                {
                    "session_id": f"S{mid}",
                    "module_id": mid,
                    "starts_on": day,
                    "ends_on": day,
                    "capacity": "",
                }
            )
            if skills:
                ms.append({"module_id": mid, "skill_id": f"K{t}", "weight": "1"})
    people = [(f"{t}{i}", t) for t in TOPICS for i in range(n)]
    for q, day in enumerate(QUARTERS[:3]):
        for sid, t in people:
            if rng.random() < 0.8:  # 80 % take a module that quarter, 90 % of their topic
                other = "B" if t == "A" else "A"
                pick = t if rng.random() < 0.9 else other
                parts.append(
                    {
                        "participation_id": f"P{len(parts)}",
                        "staff_id": sid,
                        "module_id": f"{pick}{q}",
                        "session_id": f"S{pick}{q}",
                        "enrolled_on": day,
                        "completed_on": "",
                        "status": "enrolled",
                        "hours": "0",
                    }
                )
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
            {"staff_id": s, "org_id": "O1", "role": "other", "hired_on": "2024-01-01"}
            for s, _ in people
        ],
        "skills": [{"skill_id": f"K{t}", "name": TOPICS[t][:4], "parent_id": ""} for t in TOPICS],
        "modules": modules,
        "module_skills": ms,
        "role_requirements": [],
        "sessions": sessions,
        "participations": parts,
        "assessments": [],
        "outcomes": [],
    }
    return typed_tables(data)


NEW = Filters(exclude_modules=frozenset(f"{t}{q}" for t in TOPICS for q in range(3)))


@pytest.mark.parametrize(("skills", "titles"), [(True, False), (False, True), (True, True)])
def test_new_modules_ranked_by_the_planted_topic(skills: bool, titles: bool) -> None:
    tables = world(skills, titles)
    model = ContentModel(holdout_days=90).fit(tables, "2025-09-30")
    assert model.new_[model.data_.items.get_indexer(["A3", "B3"])].all()  # nobody took them
    people = [f"A{i}" for i in range(30)] + [f"B{i}" for i in range(30)]
    recs = model.recommend(people, k=1, filters=NEW).set_index("staff_id")
    # the known answer: the topic most of the person's own choices were in
    p = tables["participations"]
    a_share = p["module_id"].str[0].eq("A").groupby(p["staff_id"]).mean()
    clear = a_share[(a_share - 0.5).abs() > 0.2]
    want = np.where(clear > 0.5, "A", "B")
    got = recs.loc[clear.index, "module_id"].str[0].to_numpy()
    assert len(clear) >= 40 and (got == want).mean() >= 0.95, recs.head(10)
    assert recs["reason"].str.startswith("新课程：").all()
    if skills:
        assert recs["reason"].str.contains("同一领域").mean() >= 0.9


def test_reason_counts_the_person_s_own_modules_of_that_field() -> None:
    tables = world(skills=True, titles=False)
    model = ContentModel().fit(tables, "2025-09-30")
    p = tables["participations"]
    mine = p[p["staff_id"] == "A0"]["module_id"].str[0].eq("A").sum()
    rec = model.recommend(["A0"], k=1, filters=NEW).iloc[0]
    assert rec["module_id"] == "A3"
    assert f"与您报名的{mine}门课程同一领域" in rec["reason"]


def test_clone_batch_equals_single_and_unknown_people() -> None:
    tables = world()
    model = clone(ContentModel(C=1.0)).fit(tables, "2025-09-30")
    people = ["B3", "stranger", "A1"]
    batch = model.recommend(people, k=3)
    single = [model.recommend([p], k=3) for p in people]
    import pandas as pd

    pd.testing.assert_frame_equal(batch, pd.concat(single, ignore_index=True))
    assert set(batch["staff_id"]) == set(people)


def test_bad_parameters_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="holdout_days"):
        ContentModel(holdout_days=0).fit(world(), "2025-09-30")
    with pytest.raises(ValueError, match="windows"):
        ContentModel(windows=0).fit(world(), "2025-09-30")


@pytest.mark.parametrize("events", ["enrolled", "completed"])
def test_hybrid_ranks_new_modules_by_content_and_says_so(events: str) -> None:
    """The Hybrid folds the content model in: on the planted world the new module of
    the person's topic comes first and the reason names it as a new course; without
    the content signal it has nothing to tell the two new modules apart (no skills:
    the topic is only in the titles, which only the content model reads)."""
    from models.recommend.hybrid import Hybrid

    tables = world(skills=False, titles=True, n=40)
    if events == "completed":  # the same choices, completed a month later
        p = tables["participations"]
        p["status"] = "completed"
        p["completed_on"] = p["enrolled_on"] + np.timedelta64(30, "D")
    people = [f"A{i}" for i in range(40)] + [f"B{i}" for i in range(40)]
    p = tables["participations"]
    a_share = p["module_id"].str[0].eq("A").groupby(p["staff_id"]).mean()
    clear = a_share[(a_share - 0.5).abs() > 0.2]
    want = np.where(clear > 0.5, "A", "B")

    def hits(model: Hybrid) -> float:
        recs = model.recommend(people, k=1, filters=NEW).set_index("staff_id")
        return float((recs.loc[clear.index, "module_id"].str[0].to_numpy() == want).mean())

    with_content = Hybrid(events=events, holdout_days=90).fit(tables, "2025-11-30")
    without = Hybrid(events=events, holdout_days=90, content=False).fit(tables, "2025-11-30")
    assert hits(with_content) >= 0.9
    assert hits(without) <= 0.7  # ties between the two new modules: about half right
    recs = with_content.recommend(["A0", "B0"], k=1, filters=NEW)
    assert recs["reason"].str.startswith("新课程：").all(), recs


def test_hybrid_refuses_an_unknown_event_kind() -> None:
    from models.recommend.hybrid import Hybrid

    with pytest.raises(ValueError, match="events must be"):
        Hybrid(events="viewed").fit(world(), "2025-09-30")
    with pytest.raises(ValueError, match="windows must be"):
        Hybrid(windows=0).fit(world(), "2025-09-30")
    with pytest.raises(ValueError, match=r"cold_dropout must be in \[0, 1\)"):
        Hybrid(cold_dropout=1.0).fit(world(), "2025-09-30")


def test_skills_chosen_together_carry_interest_to_a_new_module() -> None:
    """A topic spans several skills: people who choose skill KA1 also choose KA2, and
    KB1 goes with KB2.  A person whose history is KA1 only shares no skill with either
    new module (KA2 or KB2) — ``share`` cannot tell them apart — but ``related`` ranks
    the new module of their topic's other skill first."""
    import scipy.sparse as sp

    from models.recommend.content import PairDesign, skill_links
    from models.recommend.content_features import ItemContent

    # modules: 0 KA1, 1 KA2, 2 KB1, 3 KB2 (old); 4 KA2, 5 KB2 (new)
    skill = np.zeros((6, 4))
    skill[[0, 1, 2, 3, 4, 5], [0, 1, 2, 3, 1, 3]] = 1.0
    rng = np.random.default_rng(1)
    # 60 topic-A people choose each of modules 0, 1 with p = 0.7; 60 topic-B people 2, 3
    rows = np.zeros((120, 6))
    rows[:60, :2] = rng.random((60, 2)) < 0.7
    rows[60:, 2:4] = rng.random((60, 2)) < 0.7
    hist = sp.csr_matrix(rows)
    links = skill_links(hist, skill, 0.1)
    content = ItemContent(skill, None, sp.csr_matrix((6, 0)), np.zeros((6, 0)), np.zeros((6, 0)))
    me = sp.csr_matrix(np.array([[1.0, 0, 0, 0, 0, 0]]))  # KA1 only
    d = PairDesign(content, me, np.zeros((1, 0)), sp.csr_matrix((6, 6)), links)
    assert d.share[0, 4] == d.share[0, 5] == 0.0
    assert d.related[0, 4] > d.related[0, 5] + 0.1


def test_training_negatives_are_what_was_offered_self_paced_included() -> None:
    """The content model's and the re-ranker's "enrolled" negatives are the modules
    offered in the training window by the product's definition: a session opening
    then, or a self-paced online module (no sessions), which is always available — not
    only session-bound ones (else a self-paced module is only ever a positive)."""
    import pandas as pd

    from models.recommend.content import offered_between as _offered

    tables = world()
    mods = tables["modules"].copy()
    extra = mods.iloc[[0, 0]].assign(module_id=["SELF", "LATER"], title="自学课程", mode="online")
    tables["modules"] = pd.concat([mods, extra], ignore_index=True)
    p = tables["participations"]
    first = p.iloc[[0]].assign(participation_id="PSELF", module_id="SELF", session_id=None)
    tables["participations"] = pd.concat([p, first], ignore_index=True)
    items = pd.Index(tables["modules"]["module_id"].astype(str))
    got = _offered(tables, items, pd.Timestamp("2025-06-01"), pd.Timestamp("2025-07-01"))
    # Q3's classes open 07-01, and SELF (taken since January).  LATER has no dates and
    # no enrolment: in an as-of view that is what a course whose classes start after
    # the as-of date looks like (its sessions dropped), so it was not on offer then
    assert set(items[got]) == {"A2", "B2", "SELF"}
