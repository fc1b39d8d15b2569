"""The FastAPI application: ``create_app(settings)`` builds it (``learnmap serve`` runs
it under uvicorn).  Models load once, at start-up (the lifespan)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

from api import console, errors
from api.routes import admin, health, learners, organizations, records, reports
from api.schemas import ErrorBody
from api.service import Service, package_version
from api.settings import Settings

log = logging.getLogger(__name__)

DESCRIPTION = """Suggestions, profiles, risk, reports and record ingest for staff training
programmes.  Send an API key in the `X-API-Key` header (`learnmap keys create --role ...`).
Roles: `admin` (everything), `org_manager` (own organization), `staff` (own data),
`researcher` (reports and pseudonymized data)."""


#: answers every route that needs a key may give
PROTECTED: dict[int | str, dict] = {
    401: {"model": ErrorBody, "description": "no key, or a wrong or revoked key"},
    403: {"model": ErrorBody, "description": "outside the key's scope"},
    413: {"model": ErrorBody, "description": "request body over the size limit"},
}


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    service = Service(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(service.start)
        await run_in_threadpool(console.start, app)
        yield
        service.stop()

    app = FastAPI(
        title="learnmap",
        version=package_version(),
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.service = service
    app.state.settings = settings
    errors.install(app)
    app.add_middleware(errors.BodyLimit, max_bytes=settings.max_body_bytes)
    app.include_router(health.router)
    for module in (learners, organizations, reports, records, admin):
        app.include_router(module.router, responses=PROTECTED)
    console.install(app)
    return app
