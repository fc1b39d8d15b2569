"""The layered layout of a learning map: one computation for the PNG and the console.

``map_layout(data)`` takes a learning map as node-link data (``features.learning_map.
node_link``, or the API's ``/learning-map`` JSON) and returns where each node goes:

- **columns** (``layer``): 0 = the person's roles, 1 = the skills they require, then
  the modules that teach those skills, by prerequisite depth (``depth`` 0 = no
  prerequisite within the map, 1 = after one, …) — so prerequisite arrows run left to
  right and never inside a column;
- **rows** (``row``, ``y`` from 0 at the top): skills with the largest gap first;
  modules ordered by the mean row of the skills they teach (the barycentre rule, which
  removes most crossings), then by id;
- **state** of each node, one of the catalogue's ``map_state`` codes (a colour each in
  ``STATE_COLORS``, the legend): skills ``gap`` (below target), ``reached``,
  ``not_assessed`` (no score yet: the mastery shown is the population's estimate);
  modules ``completed``, ``enrolled``, ``open`` (not taken, prerequisites done),
  ``locked`` (a prerequisite not done); roles ``role``;
- **collapse**: a module is *relevant* when it teaches a skill below target or not yet
  assessed, when the person took it (any status), or when it is a prerequisite of a
  relevant module; the others (teaching only skills already reached) are folded into
  ``collapsed`` (their ids and count) unless ``collapse=False``.  At most
  ``max_modules`` modules are placed (largest gap taught first); the rest are folded
  too.

``x`` is the column index and ``y`` the row, in layout units; a drawing scales them.
``Layout.positions()`` centres each column vertically (both drawings use it), and
``node_text`` / ``column_heading`` give the words a drawing writes beside a node and
above a column, from the catalogue — so the PNG (``features.map_draw``) and the
console's interactive map (``api.console.learning_map``) show the same map.
Pure Python and pandas-free at import (the catalogue is imported when words are
asked for), so the console can call it per request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

#: Colours of node states (the legend of every map drawing); text: ``map_state`` labels.
STATE_COLORS = {
    "role": "#5c6bc0",
    "gap": "#e53935",
    "not_assessed": "#bdbdbd",
    "reached": "#43a047",
    "completed": "#2e7d32",
    "enrolled": "#fbc02d",
    "open": "#90caf9",
    "locked": "#eeeeee",
}
MAX_MODULES = 60
MAX_LABEL = 16  # characters of a module title or skill name written beside its node


@dataclass
class PlacedNode:
    id: str
    kind: str
    label: str
    layer: int
    depth: int
    row: int
    x: float
    y: float
    state: str


@dataclass
class Layout:
    nodes: list[PlacedNode]
    links: list[dict[str, Any]]
    columns: list[dict[str, Any]]  # {"layer", "kind", "depth", "size"}
    collapsed: list[str] = field(default_factory=list)

    @property
    def height(self) -> int:
        """Rows of the tallest column (at least 4, so a small map is not stretched)."""
        return max([c["size"] for c in self.columns] + [4])

    def positions(self) -> dict[str, tuple[float, float]]:
        """Each node's ``(x, y)`` in layout units with every column centred vertically
        on the tallest one: what the PNG and the console draw."""
        size = {c["layer"]: c["size"] for c in self.columns}
        h = self.height
        return {n.id: (n.x, n.y + (h - size[n.layer]) / 2) for n in self.nodes}

    def to_dict(self) -> dict[str, Any]:
        return {
            "nodes": [asdict(n) for n in self.nodes],
            "links": self.links,
            "columns": self.columns,
            "collapsed": {"count": len(self.collapsed), "ids": self.collapsed},
            "colors": STATE_COLORS,
        }


def _skill_state(d: dict[str, Any], min_evidence: float) -> str:
    if float(d.get("evidence") or 0) < min_evidence:
        return "not_assessed"
    return "reached" if d.get("met") else "gap"


def _module_state(d: dict[str, Any]) -> str:
    st = d.get("status")
    if st == "completed":
        return "completed"
    if st == "enrolled":
        return "enrolled"
    return "open" if d.get("prerequisites_done", True) else "locked"


def _depths(mods: dict[str, dict[str, Any]]) -> dict[str, int]:
    """Longest chain of prerequisites within the map (cycles cannot occur: ingest
    refuses them; a guard stops at the number of modules anyway)."""
    depth: dict[str, int] = {}

    def go(n: str, seen: int) -> int:
        if n in depth:
            return depth[n]
        pre = [p for p in mods[n].get("prerequisites") or [] if f"module:{p}" in mods]
        d = 0 if not pre or seen > len(mods) else 1 + max(go(f"module:{p}", seen + 1) for p in pre)
        depth[n] = d
        return d

    for n in mods:
        go(n, 0)
    return depth


def map_layout(
    data: dict[str, Any],
    *,
    collapse: bool = True,
    max_modules: int = MAX_MODULES,
    min_evidence: float = 0.5,
) -> Layout:
    """Place the nodes of a learning map (node-link ``data``) in layers; see the module
    docstring."""
    nodes = {n["id"]: n for n in data["nodes"]}
    links = [dict(link) for link in data.get("links", data.get("edges", []))]
    roles = [n for n, d in nodes.items() if d["kind"] == "role"]
    skills = {n: d for n, d in nodes.items() if d["kind"] == "skill"}
    mods = {n: d for n, d in nodes.items() if d["kind"] == "module"}
    state = {n: "role" for n in roles}
    state |= {n: _skill_state(d, min_evidence) for n, d in skills.items()}
    state |= {n: _module_state(d) for n, d in mods.items()}
    teaches: dict[str, list[str]] = {n: [] for n in mods}
    for link in links:
        if link.get("kind") == "teaches" and link["source"] in teaches:
            teaches[link["source"]].append(link["target"])
    # skills: largest gap first, then not assessed, then reached; by id
    order = {"gap": 0, "not_assessed": 1, "reached": 2}
    skill_order = sorted(
        skills, key=lambda n: (order[state[n]], -float(skills[n].get("gap") or 0), n)
    )
    skill_row = {n: i for i, n in enumerate(skill_order)}
    # relevant modules (and their prerequisites), the biggest gap they teach first
    need = {n for n in skills if state[n] != "reached"}
    relevant = {
        n for n, d in mods.items() if set(teaches[n]) & need or d.get("status") != "not_taken"
    }
    if not collapse:
        relevant = set(mods)
    grow = list(relevant)
    while grow:
        n = grow.pop()
        for p in mods[n].get("prerequisites") or []:
            m = f"module:{p}"
            if m in mods and m not in relevant:
                relevant.add(m)
                grow.append(m)

    def priority(n: str) -> tuple:
        gap = max((float(skills[s].get("gap") or 0) for s in teaches[n]), default=0.0)
        return (mods[n].get("status") == "not_taken", -gap, n)

    kept = sorted(relevant, key=priority)[:max_modules]
    kept_set = set(kept)
    collapsed = sorted(set(mods) - kept_set)
    depth = _depths({n: mods[n] for n in kept})
    n_depth = max(depth.values(), default=-1) + 1
    placed: list[PlacedNode] = []
    for i, n in enumerate(roles):
        placed.append(PlacedNode(n, "role", str(nodes[n].get("label", n)), 0, 0, i, 0, i, "role"))
    for n in skill_order:
        r = skill_row[n]
        placed.append(
            PlacedNode(n, "skill", str(skills[n].get("label", n)), 1, 0, r, 1, r, state[n])
        )
    columns = [
        {"layer": 0, "kind": "role", "depth": 0, "size": len(roles)},
        {"layer": 1, "kind": "skill", "depth": 0, "size": len(skills)},
    ]
    for d in range(n_depth):
        col = [n for n in kept if depth[n] == d]

        def bary(n: str) -> tuple:
            rows = [skill_row[s] for s in teaches[n] if s in skill_row]
            return (sum(rows) / len(rows) if rows else len(skill_row), n)

        col.sort(key=bary)
        for r, n in enumerate(col):
            label = str(mods[n].get("label", n))
            placed.append(PlacedNode(n, "module", label, 2 + d, d, r, 2 + d, r, state[n]))
        columns.append({"layer": 2 + d, "kind": "module", "depth": d, "size": len(col)})
    shown = {p.id for p in placed}
    kept_links = [lk for lk in links if lk["source"] in shown and lk["target"] in shown]
    for n in kept:  # prerequisite arrows between placed modules
        for p in mods[n].get("prerequisites") or []:
            if f"module:{p}" in shown:
                kept_links.append({"source": f"module:{p}", "target": n, "kind": "prerequisite"})
    return Layout(placed, kept_links, columns, collapsed)


def short(s: str, n: int = MAX_LABEL) -> str:
    """``s`` cut to ``n`` characters, the cut marked with …"""
    return s if len(s) <= n else s[: n - 1] + "…"


def node_text(
    node: PlacedNode,
    data: dict[str, Any],
    lang: str | None = None,
    name: Callable[[str, str], str] | None = None,
    width: int = MAX_LABEL,
) -> str:
    """What is written beside ``node``: a role's label, a skill's name with its mastery
    against target (or 尚未评估 when not assessed), a module's title — names cut to
    ``width`` characters.  ``data`` is the node's node-link attributes; ``name(text,
    code)`` may replace a name (the PNG's pinyin when no CJK font is installed)."""
    from engine.labels import label, text

    if node.kind == "role":
        return label("role", node.label, lang)
    code = node.id.split(":", 1)[-1]
    full = name(node.label, code) if name else node.label
    shown = short(full, width)
    if node.kind == "skill":
        if node.state == "not_assessed":
            return text("chart_map_skill_prior", lang, name=shown)
        mastery, target = float(data.get("mastery") or 0), float(data.get("level") or 0)
        return text("chart_map_skill", lang, name=shown, mastery=mastery, target=target)
    return shown


def column_heading(column: dict[str, Any], lang: str | None = None) -> str:
    """The heading of a column of ``Layout.columns``: roles, skills, modules by depth."""
    from engine.labels import text

    if column["kind"] == "role":
        return text("chart_map_layer_roles", lang)
    if column["kind"] == "skill":
        return text("chart_map_layer_skills", lang)
    if column["depth"] == 0:
        return text("chart_map_module_depth0", lang)
    return text("chart_map_layer_modules", lang, depth=column["depth"])
