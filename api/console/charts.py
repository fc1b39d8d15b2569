"""Chart data endpoints: ``GET /console/charts/<name>`` returns ECharts options as JSON
(the page's ``console.js`` fetches them and calls ``setOption``).  Each takes the same
filters as its page and checks the same scope.  Options hold data and words only (no
JavaScript functions), so they are tested server-side as plain JSON."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from api.console import data
from api.console.views_overview import choice
from api.console.web import PREFIX, ConsoleDep
from api.deps import check_org, check_person, require
from engine.errors import NotFoundError
from engine.schema import MODES

router = APIRouter(prefix=PREFIX + "/charts", include_in_schema=False)
COLORS = {"met": "#2e7d32", "on_track": "#9ccc65", "at_risk": "#ffb300", "overdue": "#c62828"}


def _json(options: dict) -> JSONResponse:
    return JSONResponse(options, headers={"Cache-Control": "no-store"})


@router.get("/volume")
async def volume(c: ConsoleDep, as_of: date | None = None) -> JSONResponse:
    """Person-times per year, offline and online, against the yearly targets."""
    require(c.p, "admin", "researcher")
    v = await run_in_threadpool(c.service.view, data.as_of_or(c.service, as_of))
    vol = v.report(c.service.policy).volume
    years = sorted(vol["year"].unique().tolist())
    series = []
    for m in ("offline", "online"):
        part = vol[vol["mode"] == m].set_index("year")
        name = c.L.label("volume_mode", m)
        series.append(
            {"name": name, "type": "bar", "data": [int(part.at[y, "person_times"]) for y in years]}
        )
        series.append(
            {
                "name": c.L.t("chart.target", what=name),
                "type": "line",
                "data": [int(part.at[y, "target"]) for y in years],
                "lineStyle": {"type": "dashed"},
            }
        )
    return _json(
        {
            "title": {"text": c.L.t("programme.volume"), "left": "center"},
            "tooltip": {"trigger": "axis"},
            "legend": {"bottom": 0},
            "xAxis": {"type": "category", "data": [str(y) for y in years]},
            "yAxis": {"type": "value", "name": c.L.unit("person_times")},
            "series": series,
        }
    )


@router.get("/trend")
async def trend(c: ConsoleDep, as_of: date | None = None) -> JSONResponse:
    """Completed person-times per month, offline and online."""
    require(c.p, "admin", "researcher")
    v = await run_in_threadpool(c.service.view, data.as_of_or(c.service, as_of))
    t = await run_in_threadpool(data.trend, v)
    return _json(
        {
            "title": {"text": c.L.t("programme.trend"), "left": "center"},
            "tooltip": {"trigger": "axis"},
            "legend": {"bottom": 0},
            "xAxis": {"type": "category", "data": t.index.tolist()},
            "yAxis": {"type": "value", "name": c.L.unit("person_times")},
            "dataZoom": [{"type": "inside"}],
            "series": [
                {
                    "name": c.L.label("volume_mode", m),
                    "type": "line",
                    "data": t[m].astype(int).tolist(),
                }
                for m in ("offline", "online")
            ],
        }
    )


@router.get("/region")
async def region(c: ConsoleDep, as_of: date | None = None) -> JSONResponse:
    """Share of staff trained at least once, and status shares, by region."""
    require(c.p, "admin", "researcher")
    v = await run_in_threadpool(c.service.view, data.as_of_or(c.service, as_of))
    cov = v.report(c.service.policy).coverage_by_region.sort_values("share_trained")
    regions = cov["region"].astype(str).tolist()
    series = [
        {
            "name": c.L.label("status", s),
            "type": "bar",
            "stack": "status",
            "itemStyle": {"color": COLORS[s]},
            "data": [round(float(x) * 100, 1) for x in cov[f"share_{s}"]],
        }
        for s in ("met", "on_track", "at_risk", "overdue")
    ]
    series.append(
        {
            "name": c.L.col("share_trained"),
            "type": "scatter",
            "symbolSize": 8,
            "itemStyle": {"color": "#37474f"},
            "data": [round(float(x) * 100, 1) for x in cov["share_trained"]],
        }
    )
    return _json(
        {
            "title": {"text": c.L.t("programme.by_region"), "left": "center"},
            "tooltip": {"trigger": "axis"},
            "legend": {"bottom": 0},
            "grid": {"left": 70, "bottom": 60},
            "xAxis": {"type": "value", "max": 100, "name": "%"},
            "yAxis": {"type": "category", "data": regions},
            "series": series,
        }
    )


@router.get("/org-status/{org_id}")
async def org_status(org_id: str, c: ConsoleDep, as_of: date | None = None) -> JSONResponse:
    """The organization's employed staff by status (a pie)."""
    check_org(c.p, org_id)
    if not c.service.org_exists(org_id):
        raise HTTPException(404, f"no organization {org_id!r}")
    v = await run_in_threadpool(c.service.view, data.as_of_or(c.service, as_of))
    staff = await run_in_threadpool(data.org_staff, v, org_id)
    emp = staff[staff["employed"].to_numpy(bool)]
    counts = emp["status"].value_counts()
    return _json(
        {
            "title": {"text": c.L.t("org.by_status"), "left": "center"},
            "tooltip": {"trigger": "item"},
            "legend": {"bottom": 0},
            "series": [
                {
                    "type": "pie",
                    "radius": ["35%", "65%"],
                    "data": [
                        {
                            "name": c.L.label("status", s),
                            "value": int(counts.get(s, 0)),
                            "itemStyle": {"color": COLORS[s]},
                        }
                        for s in ("met", "on_track", "at_risk", "overdue")
                    ],
                }
            ],
        }
    )


@router.get("/effect")
async def effect(
    c: ConsoleDep,
    as_of: date | None = None,
    mode: Annotated[str | None, Query(max_length=20)] = None,
    min_n: Annotated[int, Query(ge=0, le=100_000)] = 5,
    top: Annotated[int, Query(ge=1, le=200)] = 30,
) -> JSONResponse:
    """Post − pre gains per module with their 95 % intervals (boxplot: lo, lo, mean,
    hi, hi), the modules with the largest gain first."""
    require(c.p, "admin", "researcher", "org_manager")
    mode = choice("mode", mode, MODES)
    v = await run_in_threadpool(c.service.view, data.as_of_or(c.service, as_of))
    g = await run_in_threadpool(data.effect, v)
    if len(g):
        if mode:
            g = g[g["mode"] == mode]
        g = g[g["n_post"] >= min_n].head(top)
    names = [f"{m} {t}" for m, t in zip(g.get("module_id", []), g.get("title", []), strict=True)]

    def box(kind: str) -> list[list[float] | str]:
        # "-" is ECharts' empty datum: a module without pairs of this kind
        return [
            [round(float(x), 2) for x in (lo, lo, mean, hi, hi)]
            if all(x == x for x in (lo, mean, hi))
            else "-"
            for lo, mean, hi in zip(
                g[f"gain_{kind}_lo"], g[f"gain_{kind}"], g[f"gain_{kind}_hi"], strict=True
            )
        ]

    series = (
        [
            {"name": c.L.col("gain_post"), "type": "boxplot", "data": box("post")},
            {"name": c.L.col("gain_followup"), "type": "boxplot", "data": box("followup")},
        ]
        if len(g)
        else []
    )
    return _json(
        {
            "title": {"text": c.L.t("effect.chart"), "left": "center"},
            "tooltip": {"trigger": "item"},
            "legend": {"bottom": 0},
            "grid": {"left": 220, "bottom": 60},
            "xAxis": {"type": "value", "name": c.L.t("effect.points")},
            "yAxis": {"type": "category", "data": names, "inverse": True},
            "series": series,
        }
    )


@router.get("/learning-map/{staff_id}")
async def learning_map(staff_id: str, c: ConsoleDep, as_of: date | None = None) -> JSONResponse:
    """The person's learning map as ``features.map_layout`` lays it out (the PNG's
    layout): roles, skills by gap, modules by prerequisite depth, coloured by state,
    the person's recommendations ringed, irrelevant modules folded."""
    check_person(c.service, c.p, staff_id)
    if c.service.org_of(staff_id) is None:
        raise HTTPException(404, f"no staff member {staff_id!r}")
    from api.console.learning_map import map_options

    d = data.as_of_or(c.service, as_of)

    def build() -> dict:
        try:  # the whole-store view of the date, and the person's map kept on it
            graph, _ = data.person_map(c.service.view(d), staff_id)
        except NotFoundError:
            raise HTTPException(404, f"no staff member {staff_id!r} as of {d}") from None
        recommended = set()
        recs = c.service.recs
        if recs is not None and staff_id in recs.row_of:
            recommended = {str(recs.items[i.j]) for i in recs.get(staff_id, 10)}
        return map_options(graph, recommended, c.L)

    options = await run_in_threadpool(build)
    c.audit_read("learning map", staff_id)
    return _json(options)
