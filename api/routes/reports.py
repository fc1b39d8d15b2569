"""The programme report (as ``learnmap report``), as JSON."""

from __future__ import annotations

import math

import pandas as pd
from fastapi import APIRouter, HTTPException

from api.deps import AsOf, ReportsDep, ServiceDep
from api.labels import shown
from api.schemas import ErrorBody, Report

router = APIRouter(prefix="/v1/reports", tags=["reports"])
#: enumeration kinds of columns whose name does not say it: ``features.report_files.KINDS``
#: (restated, not imported: that module loads matplotlib; a test checks they agree)
KINDS = {"volume": {"mode": "volume_mode"}, "volume_total": {"mode": "volume_mode"}}


def _records(frame: pd.DataFrame, lang: str, table: str = "") -> list[dict]:
    """The table's rows as JSON-ready dicts, each code column followed by its display
    field (``mode_label``, ``role_label`` …), as ``learnmap report`` writes its CSVs
    (``features.report_files``: the same enumeration kinds)."""
    from engine.labels import display_frame

    frame = display_frame(frame, lang, rename=False, kinds=KINDS.get(table))
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
    lang = service.settings.display_lang
    summary = _records(r.summary, lang, "summary")
    tables = ("volume", "volume_total", "coverage_by_role", "coverage_by_org_type")
    tables += ("coverage_by_region",)
    return Report(
        as_of=v.as_of,
        policy=service.settings.policy,
        policy_label=shown("policy", service.settings.policy, lang),
        summary=summary[0] if summary else {},
        **{t: _records(getattr(r, t), lang, t) for t in tables},
    )
