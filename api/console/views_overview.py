"""*Programme* (``GET /console/``) and *Organizations* (``GET /console/organizations``).

Filters are query parameters, so a view can be bookmarked and shared; ``export=<table>``
with ``format=csv|xlsx`` downloads a table as shown (every page of it).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

import pandas as pd
from fastapi import APIRouter, HTTPException, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from api.console import data
from api.console.tables import Table, export
from api.console.web import PREFIX, ConsoleDep, refuse
from api.deps import require

router = APIRouter(prefix=PREFIX, include_in_schema=False)
Fmt = Literal["csv", "xlsx"]
PAGE = 50
STATUS_COLS = [
    ("staff", "int"),
    ("share_met", "pct"),
    ("share_on_track", "pct"),
    ("share_at_risk", "pct"),
    ("share_overdue", "pct"),
    ("share_trained", "pct"),
    ("remaining", "int"),
]
ORG_SORTS = (
    "rank",
    "org_id",
    "name",
    "region",
    "org_type",
    "rating",
    "staff",
    "owing",
    "behind",
    "expected_missing",
    "p_unit_rule",
    "expected_shortfall",
)


def choice(name: str, value: str | None, allowed: tuple[str, ...]) -> str | None:
    """An optional choice from a GET form: empty means none (forms send empty fields)."""
    if not value:
        return None
    if value not in allowed:
        raise HTTPException(422, f"{name}={value!r}: one of {', '.join(allowed)}")
    return value


def number(name: str, value: str | None, lo: float, hi: float) -> float | None:
    if not value:
        return None
    try:
        x = float(value)
    except ValueError:
        raise HTTPException(422, f"{name}={value!r} is not a number") from None
    if not lo <= x <= hi:
        raise HTTPException(422, f"{name}={value!r}: between {lo:g} and {hi:g}")
    return x


def filters_text(c, **params: object) -> str:  # noqa: ANN001
    shown = [f"{c.L.col(k)}={v}" for k, v in params.items() if v not in (None, "")]
    return (c.L.t("filters") + "：" + "；".join(shown)) if shown else c.L.t("no_filters")


def pick(tables: list[Table], key: str | None, fmt: str | None, c, filters: str):  # noqa: ANN001, ANN201
    """The export asked for, or None (render the page)."""
    if not key:
        return None
    for t in tables:
        if t.key == key:
            return export(t, c.L, fmt or "csv", filters)
    raise HTTPException(404, f"no table {key!r} on this page")


def programme_tables(c, as_of: date) -> tuple[dict, list[Table]]:  # noqa: ANN001
    v = c.service.view(as_of)
    if v.snap.n_staff == 0:
        raise HTTPException(422, f"no staff were hired on or before {as_of}: nothing to report")
    r = v.report(c.service.policy)
    L = c.L
    summary = r.summary.iloc[0].to_dict() if len(r.summary) else {}
    tables = [
        Table(
            "volume",
            L.t("programme.volume"),
            r.volume,
            [
                ("year", "text"),
                ("mode", "enum:volume_mode"),
                ("person_times", "int"),
                ("target", "int"),
                ("share_of_target", "pct"),
            ],
        ),
        Table(
            "volume_total",
            L.t("programme.volume_total"),
            r.volume_total,
            [
                ("mode", "enum:volume_mode"),
                ("person_times", "int"),
                ("target", "int"),
                ("share_of_target", "pct"),
            ],
        ),
        Table(
            "coverage_by_region",
            L.t("programme.by_region"),
            r.coverage_by_region.sort_values("share_trained"),
            [("region", "text"), *STATUS_COLS],
        ),
        Table(
            "coverage_by_org_type",
            L.t("programme.by_org_type"),
            r.coverage_by_org_type,
            [("org_type", "enum:org_type"), *STATUS_COLS],
        ),
        Table(
            "coverage_by_role",
            L.t("programme.by_role"),
            r.coverage_by_role,
            [("role", "enum:role"), *STATUS_COLS],
        ),
    ]
    return summary, tables


@router.get("/")
async def programme(
    c: ConsoleDep,
    as_of: date | None = None,
    export_: Annotated[str | None, Query(alias="export")] = None,
    format: Fmt | None = None,
) -> Response:
    """Plan progress: person-times per year and mode against the plan's volumes,
    coverage by region, organization type and role, the trend by month."""
    if not c.may("programme"):
        if c.p.role in ("staff", "org_manager"):
            return RedirectResponse(c.home(), status_code=303)
    require(c.p, "admin", "researcher")
    d = data.as_of_or(c.service, as_of)
    summary, tables = await run_in_threadpool(programme_tables, c, d)
    got = pick(tables, export_, format, c, filters_text(c, as_of=d))
    if got is not None:
        return got
    return c.render(
        "programme.html",
        as_of=d,
        summary=summary,
        tables=tables,
        policy=c.service.policy,
        charts={
            "volume": c.url("/charts/volume", as_of=d),
            "trend": c.url("/charts/trend", as_of=d),
            "region": c.url("/charts/region", as_of=d),
        },
    )


def org_rows(c, as_of: date, region, org_type, min_rating, q, sort, desc) -> pd.DataFrame:  # noqa: ANN001
    v = c.service.view(as_of)
    t = data.org_table(v)
    if c.p.role == "org_manager":
        t = t[t["org_id"] == c.p.org_id]
    if region:
        t = t[t["region"] == region]
    if org_type:
        t = t[t["org_type"] == org_type]
    if min_rating is not None:
        t = t[t["rating"] >= min_rating]
    if q:
        hit = t["org_id"].str.contains(q, case=False, regex=False)
        if c.p.role != "researcher":
            hit |= t["name"].str.contains(q, case=False, regex=False)
        t = t[hit]
    if sort != "rank" or desc:
        t = t.sort_values([sort, "org_id"], ascending=[not desc, True], na_position="last")
    if c.p.role == "researcher":
        t = t.assign(name="")
    return t


@router.get("/organizations")
async def organizations(
    c: ConsoleDep,
    as_of: date | None = None,
    region: Annotated[str | None, Query(max_length=100)] = None,
    org_type: Annotated[str | None, Query(max_length=40)] = None,
    min_rating: Annotated[str | None, Query(max_length=10)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    sort: Literal[ORG_SORTS] = "rank",  # type: ignore[valid-type]
    desc: bool = False,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    export_: Annotated[str | None, Query(alias="export")] = None,
    format: Fmt | None = None,
) -> Response:
    """Every organization with its risk figures; sortable, filterable, paginated."""
    require(c.p, "admin", "researcher", "org_manager")
    d = data.as_of_or(c.service, as_of)
    region, org_type, q = region or None, org_type or None, (q or "").strip() or None
    min_rating = number("min_rating", min_rating, 0, 5)
    rows = await run_in_threadpool(org_rows, c, d, region, org_type, min_rating, q, sort, desc)
    cols = [
        ("rank", "int"),
        ("org_id", "text"),
        ("name", "text"),
        ("region", "text"),
        ("org_type", "enum:org_type"),
        ("rating", "int"),
        ("staff", "int"),
        ("owing", "int"),
        ("behind", "int"),
        ("expected_missing", "num"),
        ("p_unit_rule", "pct"),
        ("expected_shortfall", "num"),
    ]
    if c.p.role == "researcher":
        cols = [x for x in cols if x[0] != "name"]
    full = Table("organizations", c.L.t("nav.organizations"), rows, cols)
    flt = filters_text(
        c, as_of=d, region=region, org_type=org_type, min_rating=min_rating, q=q, sort=sort
    )
    got = pick([full], export_, format, c, flt)
    if got is not None:
        return got
    pages = max(1, -(-len(rows) // PAGE))
    if page > pages:
        raise HTTPException(404, f"page {page} of {pages}")
    shown = Table(
        "organizations",
        full.title,
        rows.iloc[(page - 1) * PAGE : page * PAGE],
        cols,
        links={"org_id": PREFIX + "/organizations/{value}"},
        total=len(rows),
    )
    all_orgs = data.org_table(c.service.view(d))
    params = dict(
        as_of=d, region=region, org_type=org_type, min_rating=min_rating, q=q, sort=sort,
        desc="true" if desc else None,
    )  # fmt: skip
    return c.render(
        "organizations.html",
        as_of=d,
        main_table=shown,
        params=params,
        page=page,
        pages=pages,
        regions=sorted(all_orgs["region"].unique()) if c.p.role != "org_manager" else [],
        org_types=sorted(all_orgs["org_type"].unique()),
        sorts=ORG_SORTS,
    )


def check_view(c, view: str) -> None:  # noqa: ANN001
    if not c.may(view):
        raise refuse()
