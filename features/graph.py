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

from engine.errors import NotFoundError
from features.mastery import MasteryTable, skill_mastery
from features.profile import MIN_EVIDENCE
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
    """One person's learning map (see the module docstring)."""
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


def to_json(g: nx.DiGraph) -> dict:
    return nx.node_link_data(g, edges="links")


_STATUS_COLOR = {
    "completed": "#2e7d32",
    "enrolled": "#fbc02d",
    "dropped": "#ef6c00",
    "no_show": "#ef6c00",
    "not_taken": "#bdbdbd",
}


def draw(g: nx.DiGraph, path: str | Path) -> Path:
    """A PNG of a learning map: roles → required skills (coloured by mastery vs target)
    ← modules (coloured by the person's status)."""
    import matplotlib.pyplot as plt

    from features import plotting  # matplotlib: only when drawing

    plotting.setup()
    layer = {"role": 0, "skill": 1, "module": 2}
    for _, d in g.nodes(data=True):
        d["layer"] = layer[d["kind"]]
    pos = nx.multipartite_layout(g, subset_key="layer")
    n_rows = max(sum(1 for _, d in g.nodes(data=True) if d["kind"] == k) for k in layer)
    fig, ax = plt.subplots(figsize=(12, max(4, 0.32 * n_rows + 1)))
    colors, sizes = [], []
    cmap = plt.get_cmap("RdYlGn")
    for _, d in g.nodes(data=True):
        if d["kind"] == "role":
            colors.append("#5c6bc0")
        elif d["kind"] == "skill":
            ratio = d["mastery"] / d["level"] if d["level"] else 1.0
            colors.append(
                cmap(min(max((ratio - 0.7) / 0.6, 0), 1)) if d["evidence"] > 0 else "#e0e0e0"
            )
        else:
            colors.append(_STATUS_COLOR.get(d["status"], "#bdbdbd"))
        sizes.append(500 if d["kind"] == "role" else 220)
    nx.draw_networkx_edges(g, pos, ax=ax, alpha=0.25, arrows=False)
    nx.draw_networkx_nodes(g, pos, ax=ax, node_color=colors, node_size=sizes)
    labels = {}
    for n, d in g.nodes(data=True):
        ident = n.split(":", 1)[1]
        text = plotting.label(str(d.get("label", ident)), fallback=ident)
        if d["kind"] == "skill":
            text += f"  {d['mastery']:.2f}/{d['level']:.2f}"
        labels[n] = text
    nx.draw_networkx_labels(g, pos, labels=labels, ax=ax, font_size=7)
    ax.set_title(
        f"Learning map of {g.graph.get('staff_id')} (as of {g.graph.get('as_of')}): "
        "roles → skills (mastery/target) ← modules (green done, yellow enrolled, "
        "grey not taken)",
        fontsize=9,
    )
    ax.axis("off")
    return plotting.save(fig, path)
