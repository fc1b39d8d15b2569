"""Liveness, readiness and version (no key needed)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import ServiceDep
from api.labels import shown
from api.schemas import Health, Readiness, Version
from api.service import package_version

router = APIRouter(tags=["health"])
_OK = Health(status="ok")


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """The process is up."""
    return _OK


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "not ready yet"}},
)
def readyz(service: ServiceDep) -> JSONResponse | Readiness:
    """Ready when the store is reachable and the recommender is fitted or loaded (state
    ``opening`` / ``fitting`` until then, with ``Retry-After``).  The risk model's
    state is reported; without one, risk endpoints answer 503.  ``data_version``: the
    store's data version the answers come from (``recommender_data_version``: the one
    the recommender was fitted on; they differ while it is refitted)."""
    ok, store = service.store_ok() if service.opened.is_set() else (False, "opening")
    recs = service.recs
    body = Readiness(
        ready=ok and recs is not None and service.state == "ready",
        state=service.state,
        store=store,
        recommender=service.recommender_state,
        recommendations_cached=round(recs.progress, 4) if recs else 0.0,
        profiles_cached=round(service.profiles.warmed, 4),
        risk_model=service.risk_state,
        data_version=service.data_version,
        recommender_data_version=service.recs_data_version,
    )
    if not body.ready:
        return JSONResponse(body.model_dump(), status_code=503, headers={"Retry-After": "5"})
    return body


@router.get("/v1/version", response_model=Version)
def version(service: ServiceDep) -> Version:
    """Package version, serving date and policy, and the models in use."""
    risk = service.risk
    man = None
    if risk is not None:
        m = risk.manifest
        man = {
            "as_of": m.get("as_of"),
            "trained_at": m.get("trained_at"),
            "policy": m.get("policy"),
            "model_sha256": m.get("model_sha256"),
            "loaded_at": risk.loaded_at,
        }
    s = service.settings
    return Version(
        name="learnmap",
        version=package_version(),
        api="v1",
        as_of=s.as_of,
        policy=s.policy,
        policy_label=shown("policy", s.policy, s.display_lang),
        recommender=s.recommender,
        recommender_fitted_at=service.recommender_fitted_at,
        risk_model=man,
    )
