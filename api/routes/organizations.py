"""Organizations: risk of one, its staff (paginated), and many at once (streamed)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import date
from typing import Annotated, Literal

import pandas as pd
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from api.deps import AsOf, PrincipalDep, ReaderOfOrgsDep, ServiceDep, check_org, forbid
from api.keys import Principal
from api.labels import ORG_KINDS, RISK_KINDS, labelled, shown
from api.privacy import SUPPRESSED_DATES, k_anonymize
from api.profiles import finite
from api.schemas import (
    OrgRisk,
    OrgRiskDetail,
    RiskBatchRequest,
    StaffAtRisk,
    StaffPage,
    StaffRow,
    Status,
)
from api.service import Service, View

router = APIRouter(prefix="/v1/organizations", tags=["organizations"])
_ORG: dict[int | str, dict] = {
    403: {"description": "outside the key's scope (same answer whether or not it exists)"},
    404: {"description": "no such organization"},
    503: {"description": "no risk model loaded (risk only)"},
}
ORG_FIELDS = list(OrgRisk.model_fields)
_CHUNK = 1000


def _org_allowed(service: Service, p: Principal, org_id: str) -> None:
    check_org(p, org_id)
    if not service.org_exists(org_id):
        raise HTTPException(404, f"no organization {org_id!r}")


def _risk_view(service: Service, as_of: date | None) -> View:
    if service.risk is None:
        raise HTTPException(503, f"no risk model loaded ({service.risk_state})")
    return service.view(as_of)


def _org_record(row: pd.Series, researcher: bool, lang: str) -> dict:
    out = {f: finite(row.get(f)) for f in ORG_FIELDS}
    if researcher:
        out["name"] = None  # researchers see no names
    for f, kind in ORG_KINDS.items():
        out[f"{f}_label"] = shown(kind, out[f], lang)
    return out


@router.get("/{org_id}/risk", response_model=OrgRiskDetail, responses=_ORG)
def org_risk(
    org_id: str,
    service: ServiceDep,
    p: PrincipalDep,
    as_of: AsOf = None,
    top: Annotated[int, Query(ge=0, le=100, description="staff most at risk to list")] = 10,
) -> OrgRiskDetail:
    """Expected number of staff who will miss the requirement, expected shortfall, the
    probability that the unit rule fires, rank among organizations, and the staff most
    at risk (pseudonymous ids for researchers)."""
    _org_allowed(service, p, org_id)
    v = _risk_view(service, as_of)
    assert v.orgs is not None and v.risk is not None
    if org_id not in v.orgs.index:
        raise HTTPException(404, f"organization {org_id!r} has no staff employed on {v.as_of}")
    researcher = p.role == "researcher"
    service.audit.record(p, "read organization risk", subject=org_id, target=f"as_of={v.as_of}")
    staff = v.risk[v.risk["org_id"] == org_id].nlargest(top, "p_miss") if top else v.risk.iloc[:0]
    rename = service.pseudo if researcher and service.pseudo else str
    lang = service.settings.display_lang
    rows = [
        {
            "staff_id": rename(r.staff_id),
            "p_miss": float(r.p_miss),
            "expected_shortfall": float(r.expected_shortfall),
            "status": str(r.status),
            "drivers": str(r.drivers),
            "forecast_vs_status": str(getattr(r, "forecast_vs_status", "agree")),
        }
        for r in staff.itertuples(index=False)
    ]
    return OrgRiskDetail(
        as_of=v.as_of,
        model_as_of=str(v.model_as_of),
        organization=OrgRisk(**_org_record(v.orgs.loc[org_id], researcher, lang)),
        staff_at_risk=[StaffAtRisk(**labelled(r, RISK_KINDS, lang)) for r in rows],
    )


@router.get("/{org_id}/staff", response_model=StaffPage, responses=_ORG)
def org_staff(
    org_id: str,
    service: ServiceDep,
    p: ReaderOfOrgsDep,
    status: Annotated[Status | None, Query(description="only staff with this status")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    as_of: AsOf = None,
) -> StaffPage:
    """The organization's staff known on the date (hired by then), ordered by staff id,
    with their status under the service's policy and, with a risk model, ``p_miss``.
    Researchers get pseudonyms, no dates, and role / employment only where at least
    k people share them (``api.privacy``).  Audited."""
    _org_allowed(service, p, org_id)
    page, count = staff_page(service, p, org_id, status, limit, offset, as_of)
    service.audit.record(
        p, "read organization staff", subject=org_id, rows=len(page.data),
        target=f"as_of={page.as_of} status={status} offset={offset}",
    )  # fmt: skip
    return page


def staff_page(
    service: Service,
    p: Principal,
    org_id: str,
    status: str | None,
    limit: int,
    offset: int,
    as_of: date | None,
) -> tuple[StaffPage, int]:
    """The service function behind the staff list (the console shows the same)."""
    v = service.view(as_of)
    researcher = p.role == "researcher"
    st = v.status[v.status["org_id"] == org_id].sort_values("staff_id")
    staff = v.snap.staff.set_index("staff_id")
    st = st.assign(
        hired_on=staff.loc[st["staff_id"], "hired_on"].to_numpy(),
        left_on=staff.loc[st["staff_id"], "left_on"].to_numpy(),
    )
    if researcher:
        st = k_anonymize(st, service.settings.k_anonymity)
        st = st.assign(**{c: None for c in SUPPRESSED_DATES})
    total = int((v.status["org_id"] == org_id).sum()) if status is None else None
    if status is not None:
        st = st[st["status"] == status]
        total = int(((v.status["org_id"] == org_id) & (v.status["status"] == status)).sum())
    page = st.iloc[offset : offset + limit]
    rename = service.pseudo if researcher and service.pseudo else str
    lang = service.settings.display_lang
    rows = []
    for r in page.itertuples(index=False):
        p_miss = None
        if v.risk is not None and r.staff_id in v.risk.index:
            p_miss = finite(float(v.risk.at[r.staff_id, "p_miss"]))
        role = None if r.role is None else str(r.role)  # None: suppressed (api.privacy)
        rows.append(
            StaffRow(
                staff_id=rename(r.staff_id),
                role=role,
                role_label=shown("role", role, lang),  # suppressed with its code
                hired_on=_date(r.hired_on),
                left_on=_date(r.left_on),
                employed=None if r.employed is None else bool(r.employed),
                required=finite(float(r.required)),
                done=finite(float(r.done)),
                remaining=finite(float(r.remaining)),
                deadline=_date(r.deadline),
                status=str(r.status),
                status_label=shown("status", str(r.status), lang),
                p_miss=p_miss,
            )
        )
    out = StaffPage(
        org_id=org_id,
        as_of=v.as_of,
        policy=service.settings.policy,
        policy_label=shown("policy", service.settings.policy, lang),
        data=rows,
        count=int(total or 0),
        limit=limit,
        offset=offset,
    )
    return out, out.count


def _date(value: object) -> date | None:
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).date()


def _format(request: Request, fmt: str | None) -> str:
    if fmt is not None:
        return fmt
    accept = request.headers.get("accept", "")
    return "csv" if "text/csv" in accept and "ndjson" not in accept else "ndjson"


def _rows(frame: pd.DataFrame, fmt: str) -> Iterator[bytes]:
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(ORG_FIELDS)
        yield buf.getvalue().encode()
    for lo in range(0, len(frame), _CHUNK):
        part = frame.iloc[lo : lo + _CHUNK]
        records = [
            {f: finite(v) for f, v in zip(ORG_FIELDS, t, strict=True)}
            for t in part[ORG_FIELDS].itertuples(index=False)
        ]
        if fmt == "csv":
            buf = io.StringIO()
            w = csv.writer(buf)
            for rec in records:
                w.writerow(["" if rec[f] is None else rec[f] for f in ORG_FIELDS])
            yield buf.getvalue().encode()
        else:
            yield "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()


@router.post(
    "/risk:batch",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "one organization per line (NDJSON) or row (CSV with a header)",
            "content": {
                "application/x-ndjson": {"schema": OrgRisk.model_json_schema()},
                "text/csv": {"schema": {"type": "string"}},
            },
        },
        403: {"description": "outside the key's scope"},
        404: {
            "description": "some of org_ids name no organization (all of them listed), "
            "or region names no region of the store (the known ones listed)"
        },
        503: {"description": "no risk model loaded"},
    },
)
async def risk_batch(
    body: RiskBatchRequest,
    request: Request,
    service: ServiceDep,
    p: ReaderOfOrgsDep,
    format: Annotated[
        Literal["ndjson", "csv"] | None,
        Query(description="default: from the Accept header (text/csv), else NDJSON"),
    ] = None,
) -> StreamingResponse:
    """Risk of many organizations (the ones named, or all matching ``region`` /
    ``org_type``; org managers: their own only), ordered by rank, streamed.  Audited.
    Any unknown id in ``org_ids`` makes it a 404 naming every unknown id (no partial
    answer)."""
    if p.role == "org_manager":
        if body.org_ids is not None and set(body.org_ids) - {p.org_id}:
            raise forbid()
        body = body.model_copy(update={"org_ids": [p.org_id]})
    elif body.org_ids is not None:
        # Documented choice: one unknown id fails the whole request (404 naming every
        # unknown id), nothing partial — a silently shorter export reads as "no risk".
        unknown = await run_in_threadpool(service.unknown_orgs, body.org_ids)
        if unknown:
            shown = ", ".join(repr(o) for o in unknown[:20])
            more = f" and {len(unknown) - 20} more" if len(unknown) > 20 else ""
            noun = "organization" if len(unknown) == 1 else "organizations"
            raise HTTPException(404, f"no {noun} {shown}{more}")
    v = await run_in_threadpool(_risk_view, service, body.as_of)
    assert v.orgs is not None
    frame = v.orgs
    if body.org_ids is not None:
        frame = frame[frame["org_id"].isin(body.org_ids)]
    if body.region is not None:
        region = _region(body.region, v.orgs["region"])
        frame = frame[frame["region"] == region]
    if body.org_type is not None:
        frame = frame[frame["org_type"] == body.org_type]
    frame = frame.sort_values("rank")
    if p.role == "researcher":
        frame = frame.assign(name=None)
    frame = _org_labels(frame, service.settings.display_lang)
    fmt = _format(request, format)
    target = f"as_of={v.as_of} orgs={len(body.org_ids) if body.org_ids else 'all'}"
    target += f" region={body.region} org_type={body.org_type} format={fmt}"
    service.audit.record(p, "export organizations/risk:batch", target=target, rows=len(frame))
    media = "text/csv; charset=utf-8" if fmt == "csv" else "application/x-ndjson"
    return StreamingResponse(_rows(frame, fmt), media_type=media)


def _org_labels(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """``frame`` with ``region_label`` and ``org_type_label`` (``api.labels``; each
    distinct code looked up once: a batch may hold every organization)."""
    out = {}
    for col, kind in ORG_KINDS.items():
        codes = frame[col].astype(object)
        names = {c: shown(kind, c, lang) for c in codes.dropna().unique()}
        out[f"{col}_label"] = codes.map(names)
    return frame.assign(**out)


def _region(asked: str, regions: pd.Series) -> str:
    """The store's region ``asked`` names: as stored (海南), or its English name
    (Hainan, ``engine.labels``); a region the store does not hold is a 404 listing the
    ones it does (an empty answer would read as "no risk there")."""
    from engine.labels import parse_label

    known = sorted({str(r) for r in regions.dropna()})
    if asked in known:
        return asked
    code = parse_label("region", asked)
    if code in known:
        return code
    raise HTTPException(404, f"no region {asked!r}; known regions: {', '.join(known)}")
