"""The learning map in layers (issue 23): skills → modules by prerequisite depth,
irrelevant modules folded, states explained, readable at 60 modules."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib
from matplotlib.text import Text

from features.map_draw import map_figure
from features.map_layout import STATE_COLORS, map_layout


def _map(n_modules: int = 60) -> dict:
    """A role requiring 12 skills (half reached), n modules in prerequisite chains."""
    nodes = [{"id": "role:head", "kind": "role", "label": "head"}]
    links = []
    for k in range(12):
        reached = k % 2 == 0
        nodes.append(
            {"id": f"skill:K{k}", "kind": "skill", "label": f"能力{k}", "level": 0.8,
             "mastery": 0.85 if reached else 0.5, "evidence": 2.0 if k < 10 else 0.0,
             "gap": 0.0 if reached else 0.3, "met": reached}
        )  # fmt: skip
        links.append({"source": "role:head", "target": f"skill:K{k}", "kind": "requires"})
    for m in range(n_modules):
        pre = [f"M{m - 12}"] if m >= 12 else []
        status = "completed" if m == 13 else "not_taken"
        nodes.append(
            {"id": f"module:M{m}", "kind": "module", "label": f"课程名称很长的课程第{m}号",
             "status": status, "prerequisites": pre, "prerequisites_done": m < 12}
        )  # fmt: skip
        links.append({"source": f"module:M{m}", "target": f"skill:K{m % 12}", "kind": "teaches"})
    return {"graph": {"staff_id": "ST1", "as_of": "2026-11-21"}, "nodes": nodes, "links": links}


def test_layers_follow_prerequisite_depth_and_fold_what_is_irrelevant() -> None:
    lay = map_layout(_map())
    by = {n.id: n for n in lay.nodes}
    assert by["role:head"].layer == 0 and by["skill:K1"].layer == 1
    # every prerequisite arrow runs to a later column
    for link in lay.links:
        if link["kind"] == "prerequisite":
            assert by[link["source"]].layer < by[link["target"]].layer
    # modules teaching only reached skills are folded, unless the person took one
    assert "module:M0" in lay.collapsed and "module:M1" in by
    assert "module:M13" in by  # completed: shown although it teaches a reached skill
    assert by["module:M13"].state == "completed"
    assert by["module:M1"].state == "open" and by["module:M25"].state == "locked"
    # skills below target first, then not assessed, then reached
    states = [
        n.state for n in sorted((n for n in lay.nodes if n.kind == "skill"), key=lambda n: n.row)
    ]
    assert states == sorted(states, key=["gap", "not_assessed", "reached"].index)
    assert by["skill:K10"].state == "not_assessed"
    # rows in a column are distinct
    for c in lay.columns:
        rows = [n.row for n in lay.nodes if n.layer == c["layer"]]
        assert sorted(rows) == list(range(c["size"]))
    assert set(lay.to_dict()["colors"]) == set(STATE_COLORS)
    everything = map_layout(_map(), collapse=False)
    assert not everything.collapsed and len(everything.nodes) == 1 + 12 + 60


def test_sixty_module_map_is_readable(tmp_path: Path) -> None:
    from features import plotting

    fig = map_figure(_map(), "zh-CN")
    plotting.save(fig, tmp_path / "map.png", close=False)
    ax = fig.axes[0]
    texts = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
    drawn = " ".join(t.get_text() for t in texts)
    assert "负责人" in drawn and "head" not in drawn  # labels, not codes
    assert "尚未评估" in drawn and "已折叠" in drawn
    # node labels do not overlap each other
    r = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(r) for t in ax.texts if t.get_text().strip()]
    overlaps = [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1 :] if a.overlaps(b)]
    assert not overlaps
    legend = ax.get_legend()
    assert legend is not None and not ax.get_window_extent(r).overlaps(legend.get_window_extent(r))
    shown = {t.get_text() for t in legend.get_texts()}
    assert {"未达要求", "尚未评估", "可学（先修已完成）", "已完成"} <= shown
    assert not re.search(r"[a-z]+_[a-z]+", " ".join(shown))
    matplotlib.pyplot.close(fig)
