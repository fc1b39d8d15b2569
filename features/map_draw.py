"""A learning map as a PNG people read, drawn from ``features.map_layout``.

Columns left to right: roles, required skills (largest gap first, with mastery/target
or 尚未评估), then modules by prerequisite depth; each column is headed.  Node colours
are the layout's states, explained in a legend below the drawing (never over it);
modules irrelevant to the person are folded and counted under the title.  Labels are
shortened to fit their column; a map of 60 modules stays legible (about 0.3 inch a row).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.labels import label, text
from features import plotting
from features.map_layout import STATE_COLORS, Layout, column_heading, map_layout, node_text


def _node_text(node: Any, data: dict[str, dict], lang: str | None) -> str:  # noqa: ANN401
    return node_text(
        node, data[node.id], lang, name=lambda s, code: plotting.label(s, fallback=code)
    )


def map_figure(data: dict[str, Any], lang: str | None = None, layout: Layout | None = None):  # noqa: ANN201
    """The matplotlib Figure of a learning map given as node-link ``data``."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    plotting.setup()
    lay = layout or map_layout(data)
    by_id = {n["id"]: n for n in data["nodes"]}
    height = lay.height
    n_cols = len(lay.columns)
    fig, ax = plt.subplots(figsize=(2.9 * n_cols + 1, 0.3 * height + 2.2))
    pos = {n: (x * 3.0, y) for n, (x, y) in lay.positions().items()}
    for link in lay.links:
        (x0, y0), (x1, y1) = pos[link["source"]], pos[link["target"]]
        if link["kind"] == "prerequisite":
            ax.annotate(
                "",
                xy=(x1 - 0.08, y1),
                xytext=(x0 + 2.1, y0),  # after the source's label
                arrowprops={"arrowstyle": "->", "color": "#616161", "lw": 0.8, "ls": "--"},
            )
        else:
            ax.plot([x0, x1], [y0, y1], color="#9e9e9e", lw=0.5, alpha=0.35, zorder=1)
    for node in lay.nodes:
        x, y = pos[node.id]
        ax.scatter(
            [x],
            [y],
            s=160 if node.kind == "role" else 70,
            color=STATE_COLORS[node.state],
            edgecolors="#424242",
            linewidths=0.5,
            zorder=3,
        )
        ax.text(x + 0.12, y, _node_text(node, by_id, lang), va="center", fontsize=8, zorder=4)
    for c in lay.columns:
        head = column_heading(c, lang)
        ax.text(c["layer"] * 3.0, -1.0, head, fontsize=9, fontweight="bold", va="bottom")
    ax.set_xlim(-0.4, 3.0 * (n_cols - 1) + 2.8)
    ax.set_ylim(height, -1.6)
    ax.axis("off")
    title = text(
        "chart_map_title",
        lang,
        name=data.get("graph", {}).get("staff_id", ""),
        day=data.get("graph", {}).get("as_of", ""),
    )
    if lay.collapsed:
        title += "\n" + text("chart_map_collapsed", lang, n=len(lay.collapsed))
    ax.set_title(title, fontsize=10)
    present = [s for s in STATE_COLORS if any(n.state == s for n in lay.nodes)]
    handles = [
        Line2D(
            [],
            [],
            marker="o",
            ls="",
            color=STATE_COLORS[s],
            markeredgecolor="#424242",
            markersize=8,
            label=label("map_state", s, lang),
        )
        for s in present
    ]
    if any(lk["kind"] == "prerequisite" for lk in lay.links):
        handles.append(
            Line2D([], [], color="#616161", ls="--", label=label("link_kind", "prerequisite", lang))
        )
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        ncol=min(5, len(handles)),
        fontsize=8,
        frameon=False,
    )
    fig.tight_layout()
    return fig


def draw_map(data: dict[str, Any], path: str | Path, lang: str | None = None) -> Path:
    """Write the PNG of a learning map given as node-link ``data``."""
    return plotting.save(map_figure(data, lang), path)
