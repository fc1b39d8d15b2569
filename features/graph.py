"""The skills graph and each person's learning map (学习图谱).

``skills_graph`` is a ``networkx.MultiDiGraph`` with typed nodes — ``skill:<id>``,
``module:<id>``, ``role:<key>`` (attribute ``kind``) — and typed edges (the edge key
is the kind):

``teaches``       module → skill, ``weight`` (module_skills)
``parent``        skill → parent skill
``prerequisite``  prerequisite module → module
``requires``      role → skill, ``level`` (role_requirements)
``co_enrolled``   module → module, both directions, ``weight`` = staff who took both
``followed_by``   module → module, ``weight`` = staff whose next completion after the
                  first was the second (the order in which staff take modules)

Learned edges need ``min_support`` staff (default 3) and keep the ``top_k`` strongest
per module, so the graph stays readable at national scale.  Prerequisite cycles are
rejected at ingest (``engine.validate``); ``skills_graph`` re-checks and names one.

``learning_map(snap, staff_id)`` is the person's view: their roles, the skills the
roles require (target level, the person's mastery and evidence, gap, parent skill)
and the modules that teach those skills (completed / enrolled / not taken, score,
whether their prerequisites are done) — exportable as node-link JSON or a PNG.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from features.mastery import MasteryTable
from features.snapshot import Snapshot

MIN_SUPPORT = 3
TOP_K = 10


def _prereq_edges(modules: pd.DataFrame) -> list[tuple[str, str]]:
    out = []
    for mid, pre in zip(modules["module_id"], modules["prerequisites"].fillna(""), strict=True):
        out += [(p, mid) for p in str(pre).split("|") if p]
    return out


def _check_acyclic(edges: list[tuple[str, str]]) -> None:
    g = nx.DiGraph(edges)
    try:
        cycle = nx.find_cycle(g)
    except nx.NetworkXNoCycle:
        return
    path = " → ".join([u for u, _ in cycle] + [cycle[0][0]])
    raise ValueError(f"module prerequisites form a cycle: {path}")


def co_enrolment(snap: Snapshot, min_support: int = MIN_SUPPORT) -> pd.DataFrame:
    """Module pairs (a < b by code) taken by the same staff: a, b, weight."""
    p = snap.part.drop_duplicates(["s", "m"])
    n_m = len(snap.modules)
    from scipy import sparse  # imported here: one person's map does not need it

    x = sparse.csr_matrix(
        (np.ones(len(p)), (p["s"].to_numpy(), p["m"].to_numpy())), shape=(snap.n_staff, n_m)
    )
    c = sparse.triu(x.T @ x, k=1).tocoo()
    keep = c.data >= min_support
    return pd.DataFrame({"a": c.row[keep], "b": c.col[keep], "weight": c.data[keep].astype(int)})


def sequences(snap: Snapshot, min_support: int = MIN_SUPPORT) -> pd.DataFrame:
    """Directed module pairs: a completion of ``a`` immediately followed by ``b``."""
    done = snap.done().sort_values(["s", "completed_on", "m"], kind="stable")
    s, m = done["s"].to_numpy(), done["m"].to_numpy()
    same = s[1:] == s[:-1]
    pairs = pd.DataFrame({"a": m[:-1][same], "b": m[1:][same]})
    pairs = pairs[pairs["a"] != pairs["b"]]
    counts = pairs.groupby(["a", "b"]).size().rename("weight").reset_index()
    return counts[counts["weight"] >= min_support]


def _top_k(edges: pd.DataFrame, k: int) -> pd.DataFrame:
    return edges.sort_values("weight", ascending=False, kind="stable").groupby("a").head(k)


def skills_graph(
    snap: Snapshot, min_support: int = MIN_SUPPORT, top_k: int = TOP_K
) -> nx.MultiDiGraph:
    """The typed skills graph (see the module docstring)."""
    g = nx.MultiDiGraph()
    for sid, name, parent in snap.skills[["skill_id", "name", "parent_id"]].itertuples(index=False):
        g.add_node(f"skill:{sid}", kind="skill", id=sid, label=name)
        if isinstance(parent, str) and parent:
            g.add_edge(f"skill:{sid}", f"skill:{parent}", key="parent", kind="parent")
    mods = snap.modules
    for row in mods[["module_id", "title", "mode", "hours", "tier"]].itertuples(index=False):
        g.add_node(
            f"module:{row.module_id}",
            kind="module",
            id=row.module_id,
            label=row.title,
            mode=row.mode,
            hours=float(row.hours),
            tier=row.tier,
        )
    for mid, sid, w in snap.module_skills[["module_id", "skill_id", "weight"]].itertuples(
        index=False
    ):
        g.add_edge(f"module:{mid}", f"skill:{sid}", key="teaches", kind="teaches", weight=float(w))
    edges = _prereq_edges(mods)
    _check_acyclic(edges)
    for a, b in edges:
        g.add_edge(f"module:{a}", f"module:{b}", key="prerequisite", kind="prerequisite")
    for role, sid, level in snap.role_requirements[["role", "skill_id", "level"]].itertuples(
        index=False
    ):
        g.add_node(f"role:{role}", kind="role", id=role, label=role)
        g.add_edge(
            f"role:{role}", f"skill:{sid}", key="requires", kind="requires", level=float(level)
        )
    ids = mods["module_id"].to_numpy()
    co = co_enrolment(snap, min_support)
    both = pd.concat([co, co.rename(columns={"a": "b", "b": "a"})], ignore_index=True)
    learned = (("co_enrolled", both), ("followed_by", sequences(snap, min_support)))
    for kind, edges in learned:
        for a, b, w in _top_k(edges, top_k).itertuples(index=False):
            g.add_edge(f"module:{ids[a]}", f"module:{ids[b]}", key=kind, kind=kind, weight=int(w))
    return g


def learning_map(snap: Snapshot, staff_id: str, mastery: MasteryTable | None = None) -> nx.DiGraph:
    """One person's learning map (see the module docstring) as a networkx graph: built by
    ``features.learning_map.person_map`` (which needs no networkx) and converted."""
    from features.learning_map import person_map, to_networkx

    return to_networkx(person_map(snap, staff_id, mastery))


def to_json(g: nx.DiGraph) -> dict:
    return nx.node_link_data(g, edges="links")


def draw(g: nx.DiGraph, path: str | Path, lang: str | None = None) -> Path:
    """A PNG of a learning map in layers: roles → required skills ← modules by
    prerequisite depth (``features.map_layout``, drawn by ``features.map_draw``)."""
    from features.map_draw import draw_map  # matplotlib: only when drawing

    return draw_map(to_json(g), path, lang)
