"""The console's learning map is the shared layout (``features.map_layout``, the PNG's):
each node where the layout puts it, its state's colour, the same collapse; labels
that do not overlap where they are drawn; a legend entry for every colour."""

from __future__ import annotations

import pandas as pd
import pytest

from engine.labels import label, text
from features.map_layout import STATE_COLORS, map_layout


def _wide(ch: str) -> bool:
    return ord(ch) >= 0x2E80  # CJK and full-width forms


def _boxes(series: dict) -> list[tuple[str, float, float, float, float]]:
    """Each node's label box (x0, y0, x1, y1) in px: to the right of its symbol, a
    full em per CJK character and 0.6 em per other character, 1.2 em tall."""
    lab = series["label"]
    font, gap = lab["fontSize"], lab["distance"]
    out = []
    for n in series["data"]:
        size = n.get("label", {}).get("fontSize", font)
        w = sum(size if _wide(ch) else 0.6 * size for ch in n["name"])
        x0 = n["x"] + n["symbolSize"] / 2 + gap
        out.append((n["id"], x0, n["y"] - 0.6 * size, x0 + w, n["y"] + 0.6 * size))
    return out


def _overlaps(boxes: list) -> list[tuple[str, str]]:
    return [
        (a[0], b[0])
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
        if a[1] < b[3] and b[1] < a[3] and a[2] < b[4] and b[2] < a[4]
    ]


@pytest.fixture(scope="module")
def crowded(small_tables: dict[str, pd.DataFrame]) -> str:
    """The employed person of the test store whose map holds the most modules."""
    staff = small_tables["staff"]
    staff = staff[staff["left_on"].isna()]
    req = small_tables["role_requirements"]
    teach = small_tables["module_skills"]

    def n_modules(role: str) -> int:
        skills = req[req["role"].isin(role.split("|"))]["skill_id"]
        return teach[teach["skill_id"].isin(skills)]["module_id"].nunique()

    counts = staff["role"].map({r: n_modules(r) for r in staff["role"].unique()})
    return str(staff.loc[counts.idxmax(), "staff_id"])


def _check_map(opt: dict, api_map: dict, recommended: set[str]) -> None:
    lay = map_layout(api_map)
    pos = lay.positions()
    series = opt["series"][0]
    assert series["type"] == "graph" and series["layout"] == "none"
    nodes = {n["id"]: n for n in series["data"] if not n["id"].startswith("column:")}
    # the same nodes as the layout, the same collapse
    assert set(nodes) == {n.id for n in lay.nodes}
    if lay.collapsed:
        assert opt["title"]["subtext"] == text("chart_map_collapsed", n=len(lay.collapsed))
        assert not set(lay.collapsed) & set(nodes)
    # each node where the layout puts it: one scale for x, one for y, no offset
    (kx,) = {round(nodes[n.id]["x"] / n.x, 6) for n in lay.nodes if n.x}
    (ky,) = {round(nodes[n.id]["y"] / pos[n.id][1], 6) for n in lay.nodes if pos[n.id][1]}
    for n in lay.nodes:
        assert nodes[n.id]["x"] == pytest.approx(pos[n.id][0] * kx)
        assert nodes[n.id]["y"] == pytest.approx(pos[n.id][1] * ky)
    # drawn at scale 1: the series box is the span of the positions
    xs = [n["x"] for n in series["data"]]
    ys = [n["y"] for n in series["data"]]
    assert series["width"] == pytest.approx(max(xs) - min(xs))
    assert series["height"] == pytest.approx(max(ys) - min(ys))
    # no two labels (node labels and column headings) overlap at the drawn positions,
    # and the chart is as large as it asks to be (console.js gives it that size)
    boxes = _boxes(series)
    assert _overlaps(boxes) == []
    assert series["left"] + max(b[3] for b in boxes) - min(xs) <= opt["lmSize"]["width"]
    assert series["top"] + max(b[4] for b in boxes) - min(ys) <= opt["lmSize"]["height"]
    # colours: each node's is its layout state's (the PNG's); each has a legend entry
    cats = series["categories"]
    for n in lay.nodes:
        assert cats[nodes[n.id]["category"]]["itemStyle"]["color"] == STATE_COLORS[n.state]
    legend = opt["legend"]["data"]
    named = {c["name"]: c["itemStyle"]["color"] for c in cats}
    named |= {s["name"]: s["itemStyle"]["borderColor"] for s in opt["series"][1:]}
    used = {cats[n["category"]]["itemStyle"]["color"] for n in nodes.values()}
    used |= {n["itemStyle"]["borderColor"] for n in nodes.values() if "itemStyle" in n}
    assert used <= {named[name] for name in legend}
    states = {n.state for n in lay.nodes}
    assert {c["name"] for c in cats} == {label("map_state", s) for s in states}
    # the person's recommendations that are on the map are ringed, and only they
    ringed = {i for i, n in nodes.items() if "itemStyle" in n}
    assert ringed == {f"module:{m}" for m in recommended} & set(nodes)


def test_a_crowded_map_is_the_shared_layout_readable_and_explained(
    consoles, client, keys, crowded
) -> None:  # noqa: ANN001
    api = {"X-API-Key": keys["admin"]}
    api_map = client.get(f"/v1/learners/{crowded}/learning-map", headers=api).json()
    assert sum(n["kind"] == "module" for n in api_map["nodes"]) >= 50
    recs = client.get(f"/v1/learners/{crowded}/recommendations", headers=api).json()
    opt = consoles["admin"].get(f"/console/charts/learning-map/{crowded}").json()
    _check_map(opt, api_map, {r["module_id"] for r in recs["data"]})
    assert len(opt["series"][0]["data"]) > 40  # a crowded map indeed


def test_the_staff_members_own_map(consoles, client, keys, world) -> None:  # noqa: ANN001
    api = {"X-API-Key": keys["admin"]}
    api_map = client.get(f"/v1/learners/{world.staff_a}/learning-map", headers=api).json()
    recs = client.get(f"/v1/learners/{world.staff_a}/recommendations", headers=api).json()
    opt = consoles["staff"].get(f"/console/charts/learning-map/{world.staff_a}").json()
    _check_map(opt, api_map, {r["module_id"] for r in recs["data"]})
    done = {n["id"] for n in api_map["nodes"] if n.get("status") == "completed"}
    cats = [c["name"] for c in opt["series"][0]["categories"]]
    shown = {
        n["id"] for n in opt["series"][0]["data"] if "category" in n and cats[n["category"]]
        == label("map_state", "completed")
    }  # fmt: skip
    assert shown == done  # completed modules are always relevant: never folded


def test_english_map_words_come_from_the_catalogue(consoles, world) -> None:  # noqa: ANN001
    opt = (
        consoles["staff"]
        .get(f"/console/charts/learning-map/{world.staff_a}", params={"lang": "en"})
        .json()
    )
    names = [c["name"] for c in opt["series"][0]["categories"]]
    assert names and set(names) <= {label("map_state", s, "en") for s in STATE_COLORS}
    heads = [n["name"] for n in opt["series"][0]["data"] if n["id"].startswith("column:")]
    assert heads[:2] == [text("chart_map_layer_roles", "en"), text("chart_map_layer_skills", "en")]


def test_the_map_of_another_date_and_before_hiring(
    consoles, client, keys, world, small_tables
) -> None:  # noqa: ANN001
    """The console draws from the whole-store view of the date asked for: the same map
    as the API's targeted read of that date; before the person was hired, 404."""
    staff = small_tables["staff"].set_index("staff_id")
    hired = pd.Timestamp(staff.loc[world.staff_a, "hired_on"]).date()
    day = max(hired + pd.Timedelta(days=400), pd.Timestamp("2025-06-30").date())
    api = {"X-API-Key": keys["admin"]}
    url = f"/v1/learners/{world.staff_a}/learning-map"
    api_map = client.get(url, headers=api, params={"as_of": str(day)}).json()
    opt = consoles["admin"].get(
        f"/console/charts/learning-map/{world.staff_a}", params={"as_of": str(day)}
    )
    assert opt.status_code == 200
    recs = client.get(f"/v1/learners/{world.staff_a}/recommendations", headers=api).json()
    _check_map(opt.json(), api_map, {r["module_id"] for r in recs["data"]})
    before = hired - pd.Timedelta(days=1)
    got = consoles["admin"].get(
        f"/console/charts/learning-map/{world.staff_a}", params={"as_of": str(before)}
    )
    assert got.status_code == 404
