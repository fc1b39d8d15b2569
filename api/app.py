"""The FastAPI application: ``create_app(settings)`` builds it (``learnmap serve`` runs
it under uvicorn).  The lifespan starts the service and returns at once: ``/healthz``
answers while the store is opened and the models are loaded or fitted in the
background (``api.service``)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

from api import console, docs, errors
from api.routes import admin, health, learners, organizations, records, reports, xapi
from api.schemas import ErrorBody
from api.service import Service, package_version
from api.settings import Settings

log = logging.getLogger(__name__)

DESCRIPTION = """Suggestions, profiles, risk, reports and record ingest for staff training
programmes.  Send an API key in the `X-API-Key` header (`learnmap keys create --role ...`).
Roles: `admin` (everything), `org_manager` (own organization), `staff` (own data),
`researcher` (reports and pseudonymized data), `platform` (xAPI statements only, at
`/xAPI/statements`; HTTP Basic with the key as password also works there)."""


#: answers every route that needs a key may give
PROTECTED: dict[int | str, dict] = {
    401: {"model": ErrorBody, "description": "no key, or a wrong or revoked key"},
    403: {"model": ErrorBody, "description": "outside the key's scope"},
    413: {"model": ErrorBody, "description": "request body over the size limit"},
}


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    service = Service(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service.start()  # returns at once; loading and fitting run in the background
        console.start(app)  # returns at once too; the console opens with the store
        yield
        await run_in_threadpool(service.stop)

    app = FastAPI(
        title="learnmap",
        version=package_version(),
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served by api.docs from vendored assets, not a CDN
        redoc_url=None,
    )
    app.state.service = service
    app.state.settings = settings
    errors.install(app)
    docs.install(app)
    app.add_middleware(errors.BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(errors.DataVersionHeader, service=service)
    app.include_router(health.router)
    for module in (learners, organizations, reports, records, admin):
        app.include_router(module.router, responses=PROTECTED)
    app.include_router(xapi.router)
    app.add_exception_handler(xapi.XapiError, lambda _r, exc: xapi.error_response(exc))  # type: ignore[arg-type]
    console.install(app)
    return app
