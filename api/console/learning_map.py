"""A person's learning map as ECharts ``graph`` options, laid out in columns:

roles (left) → the skills they require (mastery against target; red when below) ←
the modules that teach them (right; by prerequisite depth, so a module stands to the
right of its prerequisites).  Modules are coloured completed / recommended (in the
person's current list) / teaching a skill gap / other; prerequisites are arrows.
Positions are fixed (``layout: none``) so the map reads the same every time; the
reader can zoom, pan and drag."""

from __future__ import annotations

from api.console.i18n import Lang

CATEGORIES = ("role", "skill_met", "skill_gap", "completed", "recommended", "gap", "other")
COLORS = {
    "role": "#5e35b1",
    "skill_met": "#2e7d32",
    "skill_gap": "#c62828",
    "completed": "#66bb6a",
    "recommended": "#1565c0",
    "gap": "#ef9a9a",
    "other": "#bdbdbd",
}
DY = 36


def _depths(modules: dict[str, dict]) -> dict[str, int]:
    """Prerequisite depth of each module among those on the map (0 = none on it)."""
    memo: dict[str, int] = {}

    def depth(m: str, seen: frozenset[str]) -> int:
        if m in memo:
            return memo[m]
        pre = [p for p in modules[m].get("prerequisites") or [] if p in modules and p not in seen]
        memo[m] = 0 if not pre else 1 + max(depth(p, seen | {m}) for p in pre)
        return memo[m]

    return {m: depth(m, frozenset({m})) for m in modules}


def map_options(graph: dict, recommended: set[str], L: Lang) -> dict:
    nodes = {n["id"]: n for n in graph["nodes"]}
    roles = [n for n in graph["nodes"] if n["kind"] == "role"]
    skills = [n for n in graph["nodes"] if n["kind"] == "skill"]
    skills.sort(key=lambda n: (str(n.get("parent") or ""), str(n["id"])))
    mods = {n["id"][len("module:") :]: n for n in graph["nodes"] if n["kind"] == "module"}
    gap_skills = {n["id"] for n in skills if not n.get("met")}
    teaches: dict[str, list[str]] = {}
    for e in graph["links"]:
        if e.get("kind") == "teaches":
            teaches.setdefault(e["source"], []).append(e["target"])
    depth = _depths(mods)
    srow = {n["id"]: i for i, n in enumerate(skills)}
    out_nodes = []
    for i, n in enumerate(roles):
        out_nodes.append(
            {
                "id": n["id"],
                "name": L.label("role", n.get("label")),
                "x": 0,
                "y": (i + 0.5) * DY * max(1, len(skills)) / max(1, len(roles)),
                "category": CATEGORIES.index("role"),
                "symbolSize": 26,
            }
        )
    for n in skills:
        met = bool(n.get("met"))
        out_nodes.append(
            {
                "id": n["id"],
                "name": str(n.get("label")),
                "x": 260,
                "y": srow[n["id"]] * DY,
                "category": CATEGORIES.index("skill_met" if met else "skill_gap"),
                "symbolSize": 18,
                "value": L.t(
                    "map.skill_value",
                    mastery=f"{n.get('mastery') or 0:.2f}",
                    target=f"{n.get('level') or 0:.2f}",
                ),
            }
        )
    placed: dict[int, int] = {}
    order = sorted(
        mods,
        key=lambda m: (
            min((srow.get(s, 0) for s in teaches.get(f"module:{m}", [])), default=0),
            depth[m],
            m,
        ),
    )
    for m in order:
        n = mods[m]
        if n.get("status") == "completed":
            cat = "completed"
        elif m in recommended:
            cat = "recommended"
        elif gap_skills & set(teaches.get(n["id"], [])):
            cat = "gap"
        else:
            cat = "other"
        col = depth[m]
        row = placed.get(col, 0)
        placed[col] = row + 1
        out_nodes.append(
            {
                "id": n["id"],
                "name": f"{m} {n.get('label')}",
                "x": 560 + col * 300,
                "y": row * DY * 0.8,
                "category": CATEGORIES.index(cat),
                "symbolSize": 14,
                "value": f"{L.label('mode', n.get('mode'))} · {L.num(n.get('hours'), 1)} {L.unit('hours')}",
            }
        )
    links = []
    for e in graph["links"]:
        if e["source"] in nodes and e["target"] in nodes:
            links.append(
                {"source": e["source"], "target": e["target"], "lineStyle": {"opacity": 0.35}}
            )
    for n in mods.values():
        for p in n.get("prerequisites") or []:
            if p in mods:
                links.append(
                    {
                        "source": f"module:{p}",
                        "target": n["id"],
                        "symbol": ["none", "arrow"],
                        "lineStyle": {"type": "dashed", "color": "#1565c0", "opacity": 0.8},
                    }
                )
    return {
        "title": {"text": L.t("person.map"), "left": "center"},
        "tooltip": {"formatter": "{b}：{c}", "renderMode": "richText"},
        "legend": {"bottom": 0, "data": [L.t(f"map.{k}") for k in CATEGORIES]},
        "series": [
            {
                "type": "graph",
                "layout": "none",
                "roam": True,
                "draggable": True,
                "label": {"show": True, "position": "right", "fontSize": 11},
                "categories": [
                    {"name": L.t(f"map.{k}"), "itemStyle": {"color": COLORS[k]}} for k in CATEGORIES
                ],
                "data": out_nodes,
                "links": links,
            }
        ],
    }
