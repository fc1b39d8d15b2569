"""A person's learning map as ECharts ``graph`` options, drawn from the shared layout.

``features.map_layout`` places the nodes (roles, then required skills with the largest
gap first, then modules by prerequisite depth), gives each a state (``map_state``:
gap / reached / not assessed; completed / enrolled / open / locked) with its colour,
and folds the modules not relevant to the person — the PNG (``features.map_draw``) is
drawn from the same layout, so the console and the PNG show the same map.  Here:

- positions are the layout's (``Layout.positions``) scaled to pixels, ``COL_W`` a column
  and ``ROW_H`` a row, with ``layout: 'none'``; the series box is exactly the span of
  the positions, so ECharts draws them at scale 1 and the labels (``FONT`` px, cut to
  fit a column) cannot overlap; the chart asks for its own size (``lmSize``, read by
  ``console.js``: the map scrolls sideways rather than shrinking its labels);
- each column is headed by a label-only node above it (the PNG's headings);
- colours are the node states, one legend entry each (``map_state`` labels from the
  catalogue); modules in the person's recommendations keep their state's colour and
  get a ring (``REC_RING``), with its own legend entry (an empty series of that name);
- the folded modules are counted under the title (``chart_map_collapsed``);
- prerequisites are dashed arrows, other links thin grey lines.

Node dragging is off (the positions are the layout's); the reader can zoom and pan.
"""

from __future__ import annotations

from typing import Any

from api.console.i18n import Lang
from engine.labels import label, text
from features.map_layout import STATE_COLORS, Layout, column_heading, map_layout, node_text

COL_W = 260  # px between columns (a 16-character title or a skill with its figures fits)
ROW_H = 24  # px between rows (two lines of 12 px text would need 29)
FONT = 12  # px, node labels
LABEL_GAP = 6  # px between a node's symbol and its label
SYMBOL = {"role": 22, "skill": 14, "module": 12}
REC_RING = "#1565c0"
MARGIN = {"left": 24, "top": 76, "bottom": 64}  # title above, legend below
HEAD = 1.4  # rows between a column's heading and its first row


def text_width(s: str, font: float = FONT) -> float:
    """A generous estimate of the drawn width of ``s`` in px: a full em for CJK and
    other wide characters, 0.65 em for the rest (the widest Latin capitals ~0.8 em are
    rare in these labels; digits and lower case ~0.55)."""
    return sum(font if ord(ch) >= 0x2E80 else 0.65 * font for ch in s)


def _fit(node: Any, d: dict[str, Any], lang: str) -> str:  # noqa: ANN401
    """The node's text, names cut until it fits a column beside its symbol."""
    room = COL_W - SYMBOL[node.kind] / 2 - LABEL_GAP - 12
    width = 16
    s = node_text(node, d, lang, width=width)
    while text_width(s) > room and width > 4:
        width -= 1
        s = node_text(node, d, lang, width=width)
    return s


def _detail(node: Any, d: dict[str, Any], rec: bool, L: Lang) -> str:  # noqa: ANN401
    """The tooltip: full name, the numbers behind the node and its state in words."""
    state = label("map_state", node.state, L.code)
    if node.kind == "role":
        return label("node_kind", "role", L.code)
    if node.kind == "skill":
        return " · ".join(
            [
                node.label,
                L.t(
                    "map.skill_value",
                    mastery=L.num(d.get("mastery") or 0, 2),
                    target=L.num(d.get("level") or 0, 2),
                ),
                state,
            ]
        )
    parts = [
        f"{node.id.split(':', 1)[1]} {node.label}",
        f"{L.label('mode', d.get('mode'))} {L.num(d.get('hours'), 1)} {L.unit('hours')}",
        state,
    ]
    if rec:
        parts.append(label("map_state", "recommended", L.code))
    return " · ".join(parts)


def map_options(graph: dict, recommended: set[str], L: Lang, layout: Layout | None = None) -> dict:
    """ECharts options of the learning map given as node-link ``graph``; ``recommended``
    holds module ids (without ``module:``) in the person's current recommendations."""
    lay = layout or map_layout(graph)
    by_id = {n["id"]: n for n in graph["nodes"]}
    pos = lay.positions()
    states = [s for s in STATE_COLORS if any(n.state == s for n in lay.nodes)]
    cat = {s: i for i, s in enumerate(states)}
    nodes: list[dict[str, Any]] = []
    for c in lay.columns:
        nodes.append(
            {
                "id": f"column:{c['layer']}",
                "name": column_heading(c, L.code),
                "x": c["layer"] * COL_W,
                "y": -HEAD * ROW_H,
                "symbol": "circle",  # 'none' would drop the label with the symbol
                "symbolSize": 0,
                "itemStyle": {"color": "rgba(0,0,0,0)"},
                "label": {"fontWeight": "bold", "fontSize": FONT + 1, "position": "right"},
                "tooltip": {"show": False},
            }
        )
    for n in lay.nodes:
        d = by_id[n.id]
        x, y = pos[n.id]
        rec = n.kind == "module" and n.id.split(":", 1)[1] in recommended
        item: dict[str, Any] = {
            "id": n.id,
            "name": _fit(n, d, L.code),
            "x": x * COL_W,
            "y": y * ROW_H,
            "category": cat[n.state],
            "symbolSize": SYMBOL[n.kind],
            "value": _detail(n, d, rec, L),
        }
        if rec:
            item["itemStyle"] = {"borderColor": REC_RING, "borderWidth": 3}
            item["label"] = {"fontWeight": "bold"}
        nodes.append(item)
    links = []
    for e in lay.links:
        if e["kind"] == "prerequisite":
            style = {"type": "dashed", "color": "#616161", "opacity": 0.8, "width": 1}
            links.append(
                {"source": e["source"], "target": e["target"], "symbol": ["none", "arrow"],
                 "symbolSize": 7, "lineStyle": style}
            )  # fmt: skip
        else:
            style = {"color": "#9e9e9e", "opacity": 0.3, "width": 0.6}
            links.append({"source": e["source"], "target": e["target"], "lineStyle": style})
    xs = [n["x"] for n in nodes]
    ys = [n["y"] for n in nodes]
    span_w, span_h = max(xs) - min(xs), max(ys) - min(ys)
    right = max(  # the right end of the rightmost label
        n["x"] + n["symbolSize"] / 2 + LABEL_GAP + text_width(n["name"], FONT + 1) for n in nodes
    )
    categories = [
        {
            "name": label("map_state", s, L.code),
            "itemStyle": {"color": STATE_COLORS[s], "borderColor": "#424242", "borderWidth": 0.5},
        }
        for s in states
    ]
    rec_name = label("map_state", "recommended", L.code)
    legend = [c["name"] for c in categories]
    series: list[dict[str, Any]] = [
        {
            "type": "graph",
            "name": L.t("person.map"),
            "layout": "none",
            "roam": True,
            "draggable": False,
            "left": MARGIN["left"],
            "top": MARGIN["top"],
            "height": span_h,
            "label": {"show": True, "position": "right", "fontSize": FONT, "distance": LABEL_GAP},
            "emphasis": {"focus": "adjacency"},
            "categories": categories,
            "data": nodes,
            "links": links,
        }
    ]
    if span_w:  # else one column: ECharts places it
        series[0]["width"] = span_w
    if any(n.get("itemStyle", {}).get("borderColor") == REC_RING for n in nodes):
        legend.append(rec_name)
        series.append(
            {
                "type": "graph",
                "name": rec_name,
                "layout": "none",
                "data": [],
                "links": [],
                "itemStyle": {"color": "#ffffff", "borderColor": REC_RING, "borderWidth": 3},
            }
        )
    title = {"text": L.t("person.map"), "left": "center"}
    if lay.collapsed:
        title["subtext"] = text("chart_map_collapsed", L.code, n=len(lay.collapsed))
    return {
        "title": title,
        "tooltip": {"formatter": "{b}：{c}", "renderMode": "richText"},
        "legend": {"bottom": 8, "data": legend, "selectedMode": False},
        "series": series,
        # read by console.js: the chart's own size (scale 1; the page scrolls sideways)
        "lmSize": {
            "width": int(MARGIN["left"] + right - min(xs) + 16),
            "height": int(MARGIN["top"] + span_h + ROW_H + MARGIN["bottom"]),
        },
    }
