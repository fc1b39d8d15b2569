"""Administration: pick up a new model artifact without a restart."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from api.deps import AdminDep, ServiceDep
from api.schemas import ReloadResult

router = APIRouter(prefix="/v1/admin", tags=["admin"])


@router.post(
    "/reload",
    response_model=ReloadResult,
    responses={409: {"model": ReloadResult, "description": "refused; the old model stays"}},
)
async def reload(
    service: ServiceDep,
    p: AdminDep,
    refit_recommender: Annotated[
        bool, Query(description="also refit the recommender from the store (in the background)")
    ] = False,
) -> JSONResponse:
    """Load the risk artifact ``learnmap train`` wrote.  It replaces the working model
    only if it loads completely and matches the service's policy and feature list; a
    broken or mismatched artifact is refused (409) and the old model keeps serving.
    A refit of the recommender runs in the background (one at a time, the previous fit
    serving meanwhile): ``recommender`` says its state, as does ``/readyz``."""
    ok, msg = await run_in_threadpool(service.load_risk)
    if ok and refit_recommender:
        started = service.refit_in_background()
        msg += "; recommender refit started" if started else "; a refit is already running"
    service.audit.record(p, "admin/reload", target=str(service.settings.model_dir), outcome=msg)
    risk = service.risk
    body = ReloadResult(
        reloaded=ok,
        detail=msg,
        risk_model=None
        if risk is None
        else {k: risk.manifest.get(k) for k in ("as_of", "trained_at", "policy", "model_sha256")},
        recommender_fitted_at=service.recommender_fitted_at,
        recommender=service.recommender_state,
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=200 if ok else 409)
