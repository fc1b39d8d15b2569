"""The networkx-free learning map (features.learning_map, used by ``learnmap profile``
and ``learnmap learning-map --out X.json``) gives exactly what the networkx graph of
features.graph gives: the same node-link JSON, key for key and in the same order, and
the same skill gaps — on random catalogues (skill trees, prerequisite graphs, role
requirements) and random records."""

from __future__ import annotations

import json

import networkx as nx
import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import NotFoundError
from features.graph import learning_map as served_map
from features.graph import to_json
from features.learning_map import node_link, person_map, skill_gaps, to_networkx
from features.mastery import skill_mastery
from features.profile import MIN_EVIDENCE
from features.snapshot import snapshot
from tests.helpers import typed_tables

DAY0 = pd.Timestamp("2025-01-01")
ROLES = ("head", "finance", "spokesperson", "project_manager")
STATUSES = ("completed", "enrolled", "dropped", "no_show")


def _iso(day: int) -> str:
    return (DAY0 + pd.Timedelta(days=day)).date().isoformat()


@st.composite
def catalogues_and_records(draw) -> tuple[dict[str, pd.DataFrame], str]:  # noqa: ANN001
    n_k = draw(st.integers(1, 6))
    # skill i's parent is an earlier skill or none (a forest, as ingest requires)
    parents = [
        draw(st.one_of(st.just(""), st.integers(0, i - 1).map(lambda j: f"K{j}"))) if i else ""
        for i in range(n_k)
    ]
    # one shared name makes equal gaps tie on the label too
    names = [
        draw(st.sampled_from(["财务管理", "预算", "新闻发布", f"skill {i}"])) for i in range(n_k)
    ]
    n_m = draw(st.integers(1, 7))
    # module i's prerequisites: any earlier modules (a random DAG)
    prereqs = [
        sorted(draw(st.sets(st.integers(0, i - 1), max_size=3))) if i else [] for i in range(n_m)
    ]
    teach = draw(st.sets(st.tuples(st.integers(0, n_m - 1), st.integers(0, n_k - 1)), max_size=12))
    need = draw(
        st.dictionaries(
            st.tuples(st.sampled_from(ROLES), st.integers(0, n_k - 1)),
            st.sampled_from(["0.4", "0.6", "0.7", "0.8", "0.9", "1"]),
            max_size=10,
        )
    )
    n_s = draw(st.integers(1, 3))
    roles = [
        "|".join(draw(st.lists(st.sampled_from(ROLES), min_size=1, max_size=3, unique=True)))
        for _ in range(n_s)
    ]
    parts = draw(
        st.lists(
            st.tuples(
                st.integers(0, n_s - 1),
                st.integers(0, n_m - 1),
                st.integers(0, 300),
                st.sampled_from(STATUSES),
            ),
            max_size=15,
        )
    )
    scores = draw(
        st.lists(
            st.tuples(
                st.integers(0, n_s - 1),
                st.integers(0, n_m - 1),
                st.integers(0, 300),
                st.integers(0, 100),
            ),
            max_size=15,
        )
    )
    as_of = _iso(draw(st.integers(0, 320)))
    data = {
        "organizations": [
            {
                "org_id": "O1",
                "name": "org",
                "org_type": "social_group",
                "region": "北京",
                "ministry_managed": "true",
                "rating": "",
            }
        ],
        "staff": [
            {"staff_id": f"S{i}", "org_id": "O1", "role": r, "hired_on": "2024-01-01"}
            for i, r in enumerate(roles)
        ],
        "skills": [
            {"skill_id": f"K{i}", "name": names[i], "parent_id": parents[i]} for i in range(n_k)
        ],
        "modules": [
            {
                "module_id": f"M{i}",
                "title": f"module {i}",
                "mode": draw(st.sampled_from(["online", "offline", "live", "blended"])),
                "hours": str(draw(st.integers(1, 40))),
                "tier": draw(st.sampled_from(["foundation", "elective"])),
                "prerequisites": "|".join(f"M{j}" for j in prereqs[i]),
            }
            for i in range(n_m)
        ],
        "module_skills": [
            {
                "module_id": f"M{m}",
                "skill_id": f"K{k}",
                "weight": draw(st.sampled_from(["0.5", "1"])),
            }
            for m, k in sorted(teach)
        ],
        "role_requirements": [
            {"role": r, "skill_id": f"K{k}", "level": lvl} for (r, k), lvl in need.items()
        ],
        "sessions": [],
        "participations": [
            {
                "participation_id": f"P{i}",
                "staff_id": f"S{s}",
                "module_id": f"M{m}",
                "enrolled_on": _iso(d - 3 if status == "completed" else d),
                "completed_on": _iso(d) if status == "completed" else "",
                "status": status,
                "hours": "2" if status == "completed" else "0",
            }
            for i, (s, m, d, status) in enumerate(parts)
        ],
        "assessments": [
            {
                "assessment_id": f"A{i}",
                "staff_id": f"S{s}",
                "module_id": f"M{m}",
                "taken_on": _iso(d),
                "score": str(x),
            }
            for i, (s, m, d, x) in enumerate(scores)
        ],
        "outcomes": [],
    }
    return typed_tables(data), as_of


def learning_map(snap, staff_id: str, mastery=None) -> nx.DiGraph:  # noqa: ANN001
    """The reference: the networkx implementation ``features.graph.learning_map`` had
    before the networkx-free path (kept here, verbatim, as the test's oracle)."""
    idx = pd.Index(snap.staff["staff_id"])
    if staff_id not in idx:
        raise NotFoundError(
            f"no staff member {staff_id!r} (hired on or before {snap.as_of.date()})"
        )
    s = int(idx.get_loc(staff_id))
    mastery = mastery or skill_mastery(snap)
    person = snap.staff.iloc[s]
    roles = str(person["role"]).split("|")
    g = nx.DiGraph(staff_id=staff_id, org_id=person["org_id"], as_of=snap.as_of.date().isoformat())
    skills = snap.skills.set_index("skill_id")
    req = snap.role_requirements[snap.role_requirements["role"].isin(roles)]
    level = req.groupby("skill_id")["level"].max()
    k = mastery.skills.get_indexer(level.index)
    m, ev = mastery.lookup(np.full(len(k), s), k)
    for role in roles:
        g.add_node(f"role:{role}", kind="role", label=role)
    for r in req.itertuples(index=False):
        g.add_edge(f"role:{r.role}", f"skill:{r.skill_id}", kind="requires", level=float(r.level))
    for sid, lvl, mi, ei in zip(level.index, level.to_numpy(), m, ev, strict=True):
        parent = skills.at[sid, "parent_id"]
        g.add_node(
            f"skill:{sid}",
            kind="skill",
            label=skills.at[sid, "name"],
            level=float(lvl),
            mastery=round(float(mi), 4),
            evidence=round(float(ei), 4),
            gap=round(max(float(lvl) - float(mi), 0.0), 4),
            met=bool(mi >= lvl and ei >= MIN_EVIDENCE),
            parent=parent if isinstance(parent, str) else None,
        )
    mine = snap.part[snap.part["s"] == s]
    m_ids = snap.modules["module_id"].to_numpy()
    state = {}
    for row in mine.sort_values("enrolled_on").itertuples(index=False):
        state[m_ids[row.m]] = (row.status, row.completed_on)
    scores = snap.assess[snap.assess["s"] == s].groupby("m")["score"].max()
    scores.index = m_ids[scores.index.to_numpy()]
    completed = {mid for mid, (st, _) in state.items() if st == "completed"}
    teach = snap.module_skills[snap.module_skills["skill_id"].isin(level.index)]
    mods = snap.modules.set_index("module_id")
    for mid, group in teach.groupby("module_id"):
        info = mods.loc[mid]
        st, when = state.get(mid, ("not_taken", None))
        pre = [p for p in str(info["prerequisites"] or "").split("|") if p]
        g.add_node(
            f"module:{mid}",
            kind="module",
            label=info["title"],
            mode=info["mode"],
            tier=info["tier"],
            hours=float(info["hours"]),
            status=st,
            completed_on=None
            if when is None or pd.isna(when)
            else pd.Timestamp(when).date().isoformat(),
            score=float(scores[mid]) if mid in scores.index else None,
            prerequisites=pre,
            prerequisites_done=all(p in completed for p in pre),
        )
        for sid, w in zip(group["skill_id"], group["weight"], strict=True):
            g.add_edge(f"module:{mid}", f"skill:{sid}", kind="teaches", weight=float(w))
    return g


def _gaps_from_the_networkx_graph(g: nx.DiGraph) -> list[dict]:
    """The profile's skill gaps as ``features.cli.profile_record`` computed them from
    ``features.graph.learning_map`` before the networkx-free path."""
    from features.profile import MIN_EVIDENCE

    gaps = sorted(
        (
            (d["gap"], d["label"], d["mastery"], d["level"], d["evidence"])
            for n, d in g.nodes(data=True)
            if d["kind"] == "skill"
        ),
        reverse=True,
    )
    # issue 23: a gap says whether it was measured or is the population's prior
    return [
        {"skill": lbl, "mastery": mi, "target": lv, "gap": gp,
         "evidence": "measured" if ev >= MIN_EVIDENCE else "prior"}
        for gp, lbl, mi, lv, ev in gaps
        if gp > 0
    ]  # fmt: skip


def _text(data: dict) -> str:
    """What ``learnmap learning-map --out X.json`` writes (key order included)."""
    return json.dumps(data, ensure_ascii=False, indent=1, default=str)


@settings(max_examples=60, deadline=None)
@given(catalogues_and_records())
def test_the_light_map_equals_the_networkx_map(world) -> None:  # noqa: ANN001
    tables, as_of = world
    snap = snapshot(tables, as_of)
    mastery = skill_mastery(snap)
    for sid in snap.staff["staff_id"]:
        want = learning_map(snap, sid, mastery)
        got = person_map(snap, sid, mastery)
        assert _text(node_link(got)) == _text(to_json(want))
        assert skill_gaps(got) == _gaps_from_the_networkx_graph(want)
        assert skill_gaps(want) == skill_gaps(got)
        # the profile builds the skills part only: the same gaps
        assert skill_gaps(person_map(snap, sid, mastery, modules=False)) == skill_gaps(got)
        back = to_networkx(got)
        assert _text(to_json(back)) == _text(to_json(want))
        assert nx.utils.graphs_equal(back, want)
        # what the API serves (features.graph.learning_map) is the same graph
        assert _text(to_json(served_map(snap, sid, mastery))) == _text(to_json(want))
        # what a user reads: every skill below target, largest gap first
        below = {d["label"] for _, d in got.nodes(data=True) if d["kind"] == "skill" and d["gap"]}
        gaps = [x["gap"] for x in skill_gaps(got)]
        assert {x["skill"] for x in skill_gaps(got)} == below
        assert gaps == sorted(gaps, reverse=True) and all(x > 0 for x in gaps)
