"""*Seat allocation* (``/console/allocation``), *Training effect* (``/console/effect``)
and *Experiments* (``/console/experiments``)."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

import pandas as pd
from fastapi import APIRouter, HTTPException, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, Response

from api.console import data
from api.console.tables import Table
from api.console.views_overview import Fmt, choice, filters_text, pick
from api.console.web import PREFIX, ConsoleDep
from api.deps import require
from engine.policy import load_policy
from engine.schema import MODES

router = APIRouter(prefix=PREFIX, include_in_schema=False)
PRESETS = ("national-2025", "cadre-hours", "credits")
_alloc_lock = threading.Lock()
_ALLOCS = 4  # allocation runs kept (per window, policy and data version)


def _allocation(c, start: date, end: date, policy: str, per_org: int):  # noqa: ANN001, ANN202
    """Run (or reuse) an allocation; one at a time (the solver is heavy)."""
    from models.allocate.seats import allocate, by_org, need_scores, settings_from_policy

    svc = c.service
    cache: OrderedDict = svc.__dict__.setdefault("_console_allocs", OrderedDict())
    key = (start, end, policy, per_org, svc.data_version)
    with _alloc_lock:
        if key in cache:
            cache.move_to_end(key)
            return cache[key]
        tables = svc.store.load()
        pol = load_policy(policy)
        seats = allocate(tables, start, end, pol, settings_from_policy(pol, seats_per_org=per_org))
        need = need_scores(tables, start, pol)
        orgs = by_org(seats, need)
        names = tables["organizations"].set_index("org_id")["name"].astype(str)
        orgs["name"] = orgs["org_id"].map(names)
        ses = tables["sessions"].set_index("session_id")
        mods = tables["modules"].set_index("module_id")["title"].astype(str)
        per_session = (
            seats.groupby(["session_id", "module_id"]).size().rename("allocated").reset_index()
        )
        per_session["title"] = per_session["module_id"].map(mods)
        per_session["starts_on"] = per_session["session_id"].map(ses["starts_on"])
        per_session["capacity"] = per_session["session_id"].map(ses["capacity"])
        seats = seats.assign(title=seats["module_id"].map(mods))
        cache[key] = (seats, orgs, per_session)
        while len(cache) > _ALLOCS:
            cache.popitem(last=False)
        return cache[key]


@router.get("/allocation")
async def allocation(
    c: ConsoleDep,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: date | None = None,
    policy: Literal[PRESETS] | None = None,  # type: ignore[valid-type]
    per_org: Annotated[int, Query(ge=1, le=100)] = 2,
    export_: Annotated[str | None, Query(alias="export")] = None,
    format: Fmt | None = None,
) -> Response:
    """名额分配调训: seats of the offline sessions starting in the window, by person,
    organization and session (org managers: their organization's seats)."""
    require(c.p, "admin", "org_manager")
    policy = policy or c.service.settings.policy
    tables: list[Table] = []
    if from_ and to:
        if to < from_:
            raise HTTPException(422, f"the window ends ({to}) before it starts ({from_})")
        seats, orgs, per_session = await run_in_threadpool(
            _allocation, c, from_, to, policy, per_org
        )
        if c.p.role == "org_manager":
            seats = seats[seats["org_id"] == c.p.org_id]
            orgs = orgs[orgs["org_id"] == c.p.org_id]
            per_session = seats.groupby(["session_id", "module_id", "title"]).size()
            per_session = per_session.rename("allocated").reset_index()
        L = c.L
        tables = [
            Table(
                "by_org",
                L.t("alloc.by_org"),
                orgs.sort_values(["seats", "org_id"], ascending=[False, True]),
                [
                    ("org_id", "text"),
                    ("name", "text"),
                    ("seats", "int"),
                    ("people", "int"),
                    ("sessions", "int"),
                    ("in_need", "int"),
                    ("in_need_seated", "int"),
                ],
                links={"org_id": PREFIX + "/organizations/{value}"},
            ),
            Table(
                "by_session",
                L.t("alloc.by_session"),
                per_session,
                [("session_id", "text"), ("module_id", "text"), ("title", "text")]
                + (
                    [("starts_on", "date"), ("capacity", "int")]
                    if "starts_on" in per_session
                    else []
                )
                + [("allocated", "int")],
            ),
            Table(
                "seats",
                L.t("alloc.seats"),
                seats,
                [
                    ("session_id", "text"),
                    ("module_id", "text"),
                    ("title", "text"),
                    ("staff_id", "text"),
                    ("org_id", "text"),
                    ("weight", "num2"),
                    ("reason", "text"),
                ],
                links={"staff_id": PREFIX + "/people/{value}"},
            ),
        ]
    flt = filters_text(c, **{"from": from_, "to": to, "policy": policy, "per_org": per_org})
    got = pick(tables, export_, format, c, flt)
    if got is not None:
        return got
    shown = [
        Table(t.key, t.title, t.frame.head(200), t.columns, t.links, len(t.frame)) for t in tables
    ]
    return c.render(
        "allocation.html",
        tables=shown,
        params={"from": from_, "to": to, "policy": policy, "per_org": per_org},
        presets=PRESETS,
        ran=bool(from_ and to),
    )


@router.get("/effect")
async def effect(
    c: ConsoleDep,
    as_of: date | None = None,
    mode: Annotated[str | None, Query(max_length=20)] = None,
    min_n: Annotated[int, Query(ge=0, le=100_000)] = 5,
    export_: Annotated[str | None, Query(alias="export")] = None,
    format: Fmt | None = None,
) -> Response:
    """Per module: post − pre and follow-up − pre gains with 95 % intervals."""
    require(c.p, "admin", "researcher", "org_manager")
    mode = choice("mode", mode, MODES)
    d = data.as_of_or(c.service, as_of)
    g = await run_in_threadpool(lambda: data.effect(c.service.view(d)))
    if len(g):
        if mode:
            g = g[g["mode"] == mode]
        g = g[g["n_post"] >= min_n]
    t = Table(
        "effect",
        c.L.t("nav.effect"),
        g,
        [
            ("module_id", "text"),
            ("title", "text"),
            ("mode", "enum:mode"),
            ("n_post", "int"),
            ("gain_post", "num"),
            ("gain_post_lo", "num"),
            ("gain_post_hi", "num"),
            ("n_followup", "int"),
            ("gain_followup", "num"),
            ("gain_followup_lo", "num"),
            ("gain_followup_hi", "num"),
        ],
    )
    got = pick([t], export_, format, c, filters_text(c, as_of=d, mode=mode, min_n=min_n))
    if got is not None:
        return got
    return c.render(
        "effect.html",
        as_of=d,
        main_table=t,
        params=dict(as_of=d, mode=mode, min_n=min_n),
        chart=c.url("/charts/effect", as_of=d, mode=mode, min_n=min_n),
    )


def runs(root: Path) -> list[str]:
    """Run folders (those with a ``metrics.json``) under ``root``, newest first."""
    if not root.is_dir():
        return []
    found = [p.parent for p in root.glob("*/metrics.json")] + [
        p.parent for p in root.glob("*/*/metrics.json")
    ]
    found.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    return [str(p.relative_to(root)) for p in found]


def _run_dir(c, run: str) -> Path:  # noqa: ANN001
    root = Path(c.request.app.state.console_config.runs_dir).resolve()
    if run not in runs(root):  # only a listed run: no path from the URL is opened
        raise HTTPException(404, f"no run {run!r} under the experiments folder")
    return root / run


@router.get("/experiments")
async def experiments(
    c: ConsoleDep,
    run: Annotated[str | None, Query(max_length=300)] = None,
    slice_: Annotated[str | None, Query(alias="slice", max_length=50)] = None,
    export_: Annotated[str | None, Query(alias="export")] = None,
    format: Fmt | None = None,
) -> Response:
    """Runs under the experiments folder, one run's metrics (seed mean) and plots."""
    require(c.p, "admin", "researcher")
    root = Path(c.request.app.state.console_config.runs_dir).resolve()
    all_runs = runs(root)
    run = run or (all_runs[0] if all_runs else None)
    tables: list[Table] = []
    plots: list[str] = []
    slices: list[str] = []
    if run:
        d = _run_dir(c, run)
        m = pd.DataFrame(json.loads((d / "metrics.json").read_text("utf-8")))
        slices = sorted(m["slice"].astype(str).unique())
        sl = slice_ if slice_ in slices else ("all" if "all" in slices else slices[0])
        slice_ = sl
        mean = m[(m["seed"].astype(str) == "mean") & (m["slice"].astype(str) == sl)]
        if mean.empty:
            mean = (
                m[m["slice"].astype(str) == sl]
                .groupby(["model", "metric"], as_index=False)["value"]
                .mean()
            )
        wide = mean.pivot_table(index="model", columns="metric", values="value").reset_index()
        tables.append(
            Table(
                "metrics",
                c.L.t("exp.metrics"),
                wide,
                [("model", "text")] + [(col, "num2") for col in wide.columns if col != "model"],
            )
        )
        plots = sorted(p.name for p in d.glob("*.png"))
    got = pick(tables, export_, format, c, filters_text(c, run=run, slice=slice_))
    if got is not None:
        return got
    return c.render(
        "experiments.html",
        runs=all_runs,
        run=run,
        slices=slices,
        slice=slice_,
        tables=tables,
        plots=[c.url("/experiments/plot", run=run, name=p) for p in plots],
        root=str(root),
    )


@router.get("/experiments/plot")
async def experiment_plot(
    c: ConsoleDep,
    run: Annotated[str, Query(max_length=300)],
    name: Annotated[str, Query(max_length=200, pattern=r"^[\w.-]+\.png$")],
) -> Response:
    require(c.p, "admin", "researcher")
    d = _run_dir(c, run)
    path = d / name
    if not path.is_file():
        raise HTTPException(404, f"no plot {name!r} in run {run!r}")
    return FileResponse(path, media_type="image/png")
