"""The programme report (as ``learnmap report``), as JSON."""

from __future__ import annotations

import math

import pandas as pd
from fastapi import APIRouter, HTTPException

from api.deps import AsOf, ReportsDep, ServiceDep
from api.schemas import ErrorBody, Report

router = APIRouter(prefix="/v1/reports", tags=["reports"])


def _records(frame: pd.DataFrame) -> list[dict]:
    out = []
    for rec in frame.to_dict("records"):
        clean = {}
        for k, v in rec.items():
            if hasattr(v, "item"):
                v = v.item()
            if isinstance(v, pd.Timestamp):
                v = v.date().isoformat()
            if isinstance(v, float) and not math.isfinite(v):
                v = None
            clean[str(k)] = v
        out.append(clean)
    return out


@router.get(
    "/programme",
    response_model=Report,
    responses={
        403: {"description": "not allowed"},
        404: {"model": ErrorBody, "description": "nobody was hired on or before as_of"},
        422: {
            "description": "a bad as_of (the field named)",
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}
            },
        },
    },
)
def programme(
    service: ServiceDep,
    p: ReportsDep,
    as_of: AsOf = None,
) -> Report:
    """Person-times per year and mode against the plan's targets, and coverage by role,
    organization type and region (aggregates only: admins and researchers)."""
    service.audit.record(p, "read programme report", target=f"as_of={as_of}")
    v = service.view(as_of)
    if v.snap.n_staff == 0:  # nobody hired yet: there is no report for that date
        raise HTTPException(404, f"no staff were hired on or before {v.as_of}: nothing to report")
    r = v.report(service.policy)
    summary = _records(r.summary)
    return Report(
        as_of=v.as_of,
        policy=service.settings.policy,
        summary=summary[0] if summary else {},
        volume=_records(r.volume),
        volume_total=_records(r.volume_total),
        coverage_by_role=_records(r.coverage_by_role),
        coverage_by_org_type=_records(r.coverage_by_org_type),
        coverage_by_region=_records(r.coverage_by_region),
    )
