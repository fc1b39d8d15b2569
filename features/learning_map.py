"""One person's learning map without networkx: the fast path of ``learnmap profile``
and ``learnmap learning-map --out X.json`` (issue 6, item 11).

Importing networkx costs a process 0.06-0.2 s (it loads every algorithm module), more
than the person's whole answer once the population statistics are cached.  The map
itself needs no graph algorithm: it lists the roles of the person, the skills those
roles require (target, mastery, evidence, gap) and the modules that teach them (the
person's status, score and whether the module's *direct* prerequisites are done).  So
it is built here on ``MapGraph``, a few dicts with the insertion and update rules of
``networkx.DiGraph`` for ``add_node`` / ``add_edge``, and:

- ``node_link(g)`` equals ``networkx.node_link_data(g, edges="links")`` of the
  ``features.graph.learning_map`` graph key for key, in the same order;
- ``skill_gaps(g)`` is the profile's list of skills below target, largest gap first;
- ``to_networkx(g)`` gives the ``networkx.DiGraph`` (for ``features.graph.draw``, the
  PNG).

``features.graph.learning_map`` (the networkx graph the API serves) holds the same
computation; ``tests/features/test_profile_map_nx.py`` checks on
hypothesis-generated catalogues (random skill trees, prerequisite graphs, roles and
records) that both give the same node-link data and skill gaps.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from engine.errors import NotFoundError
from features.mastery import MasteryTable, skill_mastery
from features.profile import MIN_EVIDENCE
from features.snapshot import Snapshot

if TYPE_CHECKING:
    import networkx as nx


class MapGraph:
    """A directed graph with node and edge attributes, ordered like ``nx.DiGraph``:
    nodes in order of first appearance (``add_node`` or as an edge's end), each
    node's successors in order of their first edge; adding again updates attributes."""

    def __init__(self, **attr: Any) -> None:
        self.graph: dict[str, Any] = dict(attr)
        self._node: dict[str, dict[str, Any]] = {}
        self._succ: dict[str, dict[str, dict[str, Any]]] = {}

    def add_node(self, n: str, **attr: Any) -> None:
        if n not in self._node:
            self._node[n] = {}
            self._succ[n] = {}
        self._node[n].update(attr)

    def add_edge(self, u: str, v: str, **attr: Any) -> None:
        self.add_node(u)
        self.add_node(v)
        self._succ[u].setdefault(v, {}).update(attr)

    def nodes(self, data: bool = False) -> Iterator:
        """Node ids, or ``(id, attributes)`` pairs with ``data=True`` (as networkx)."""
        return iter(self._node.items()) if data else iter(self._node)

    def node(self, n: str) -> dict[str, Any]:
        return self._node[n]

    def edges(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """``(u, v, attributes)`` in networkx's order (by ``u``, then first edge)."""
        for u, succ in self._succ.items():
            for v, d in succ.items():
                yield u, v, d


def person_map(
    snap: Snapshot, staff_id: str, mastery: MasteryTable | None = None, modules: bool = True
) -> MapGraph:
    """One person's learning map (``features.graph`` module docstring), as a ``MapGraph``;
    ``modules=False`` leaves out the modules (all ``skill_gaps`` needs)."""
    idx = pd.Index(snap.staff["staff_id"])
    if staff_id not in idx:
        raise NotFoundError(
            f"no staff member {staff_id!r} (hired on or before {snap.as_of.date()})"
        )
    s = int(idx.get_loc(staff_id))
    mastery = mastery or skill_mastery(snap)
    person = snap.staff.iloc[s]
    roles = str(person["role"]).split("|")
    g = MapGraph(staff_id=staff_id, org_id=person["org_id"], as_of=snap.as_of.date().isoformat())
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
    if not modules:
        return g
    mine = snap.part[snap.part["s"] == s]
    m_ids = snap.modules["module_id"].to_numpy()
    state = {}
    for row in mine.sort_values("enrolled_on").itertuples(index=False):
        state[m_ids[row.m]] = (row.status, row.completed_on)
    scores = snap.assess[snap.assess["s"] == s].groupby("m")["score"].max()
    scores.index = m_ids[scores.index.to_numpy()]
    completed = {mid for mid, (st, _) in state.items() if st == "completed"}
    teach = snap.module_skills[snap.module_skills["skill_id"].isin(level.index)]
    # the modules' attributes as plain arrays and the taught skills grouped in Python:
    # a map holds up to a few hundred modules, and a pandas row lookup per module
    # (``.loc``, ``groupby`` iteration) cost most of a map (the console draws one per
    # request); the same values in the same order (groups by sorted module id)
    row_of = {mid: i for i, mid in enumerate(m_ids)}
    cols = {c: snap.modules[c].to_numpy() for c in ("title", "mode", "tier", "hours")}
    cols["prerequisites"] = snap.modules["prerequisites"].to_numpy()
    taught: dict[Any, list[tuple[Any, Any]]] = {}
    for mid, sid, w in zip(
        teach["module_id"].to_numpy(),
        teach["skill_id"].to_numpy(),
        teach["weight"].to_numpy(),
        strict=True,
    ):
        taught.setdefault(mid, []).append((sid, w))
    for mid in sorted(taught):
        info = {c: v[row_of[mid]] for c, v in cols.items()}
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
        for sid, w in taught[mid]:
            g.add_edge(f"module:{mid}", f"skill:{sid}", kind="teaches", weight=float(w))
    return g


def node_link(g: MapGraph) -> dict:
    """``networkx.node_link_data(g, edges="links")`` of the same graph."""
    return {
        "directed": True,
        "multigraph": False,
        "graph": g.graph,
        "nodes": [{**d, "id": n} for n, d in g.nodes(data=True)],
        "links": [{**d, "source": u, "target": v} for u, v, d in g.edges()],
    }


def skill_gaps(g: MapGraph | nx.DiGraph) -> list[dict]:
    """The required skills below target, largest gap first (ties: by skill name, then
    mastery and target, all descending): ``skill``, ``mastery``, ``target``, ``gap`` and
    ``evidence`` — ``measured`` when the person's scores carry at least
    ``MIN_EVIDENCE``, else ``prior``: the mastery is then the population's estimate,
    not a measurement of this person (shown as 尚未评估)."""
    gaps = sorted(
        (
            (d["gap"], d["label"], d["mastery"], d["level"], d.get("evidence", 0.0))
            for _, d in g.nodes(data=True)
            if d["kind"] == "skill"
        ),
        reverse=True,
    )
    return [
        {
            "skill": lbl,
            "mastery": mi,
            "target": lv,
            "gap": gp,
            "evidence": "measured" if ev >= MIN_EVIDENCE else "prior",
        }
        for gp, lbl, mi, lv, ev in gaps
        if gp > 0
    ]


def to_networkx(g: MapGraph) -> nx.DiGraph:
    """The same graph as a ``networkx.DiGraph`` (imports networkx)."""
    import networkx as nx

    out = nx.DiGraph(**g.graph)
    for n, d in g.nodes(data=True):
        out.add_node(n, **d)
    for u, v, d in g.edges():
        out.add_edge(u, v, **d)
    return out
