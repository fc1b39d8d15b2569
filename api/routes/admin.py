"""Administration: pick up a new model artifact without a restart."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from api import audit
from api.deps import PrincipalDep, ServiceDep, require
from api.schemas import ReloadResult

router = APIRouter(prefix="/v1/admin", tags=["admin"])


@router.post(
    "/reload",
    response_model=ReloadResult,
    responses={409: {"model": ReloadResult, "description": "refused; the old model stays"}},
)
async def reload(
    service: ServiceDep,
    p: PrincipalDep,
    refit_recommender: Annotated[
        bool, Query(description="also refit the recommender from the store")
    ] = False,
) -> JSONResponse:
    """Load the risk artifact ``learnmap train`` wrote.  It replaces the working model
    only if it loads completely and matches the service's policy and feature list; a
    broken or mismatched artifact is refused (409) and the old model keeps serving."""
    require(p, "admin")

    def work() -> tuple[bool, str]:
        ok, msg = service.load_risk()
        if ok and refit_recommender:
            service.fit_recommender()
            msg += "; recommender refitted"
        return ok, msg

    ok, msg = await run_in_threadpool(work)
    await run_in_threadpool(
        audit.record, service.engine, p, "admin/reload", str(service.settings.model_dir), 0, msg
    )
    risk = service.risk
    body = ReloadResult(
        reloaded=ok,
        detail=msg,
        risk_model=None
        if risk is None
        else {k: risk.manifest.get(k) for k in ("as_of", "trained_at", "policy", "model_sha256")},
        recommender_fitted_at=service.recommender_fitted_at,
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=200 if ok else 409)
