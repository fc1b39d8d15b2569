"""Errors → HTTP, in one place; the request body size limit (413); the data-version
header of every response; and the audit rows of refused requests (401/403)."""

from __future__ import annotations

import json
import logging

from fastapi import FastAPI, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from engine.errors import (
    LearnmapError,
    NotFittedError,
    NotFoundError,
    PolicyError,
    StoreBusyError,
    StoreError,
    ValidationError,
)
from models.artifacts import ArtifactError

log = logging.getLogger(__name__)
RETRY_AFTER = "5"  # seconds, on 503 answers (starting, fitting, store busy)
VERSION_HEADER = b"x-learnmap-data-version"


def _subject(request: Request) -> str | None:
    """Whose data a request is about (a path's staff or organization id)."""
    params = request.path_params
    return params.get("staff_id") or params.get("org_id")


class DataVersionHeader:
    """Pure ASGI middleware: every response says which data version it answers from
    (``X-Learnmap-Data-Version``), unless the route set it (recommendations: the
    version the recommender was fitted on)."""

    def __init__(self, app: ASGIApp, service: object) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        service = self.service

        async def send_with(msg: Message) -> None:
            if msg["type"] == "http.response.start":
                headers = list(msg.get("headers", ()))
                if not any(k == VERSION_HEADER for k, _ in headers):
                    version = str(service.data_version).encode()  # type: ignore[attr-defined]
                    headers.append((VERSION_HEADER, version))
                    msg = {**msg, "headers": headers}
            await send(msg)

        await self.app(scope, receive, send_with)


def _status(exc: LearnmapError) -> int:
    from api.service import NotReady

    if isinstance(exc, NotReady | StoreBusyError):
        return 503
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, ValidationError | PolicyError):
        return 422
    if isinstance(exc, ArtifactError | StoreError | NotFittedError):
        return 503
    return 400


def install(app: FastAPI) -> None:
    @app.exception_handler(LearnmapError)
    async def learnmap_error(request: Request, exc: LearnmapError) -> JSONResponse:
        code = _status(exc)
        if code >= 500:
            log.warning("%s %s: %s", request.method, request.url.path, exc)
        headers = {"Retry-After": RETRY_AFTER} if code == 503 else None
        return JSONResponse({"detail": str(exc)}, status_code=code, headers=headers)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if exc.status_code in (401, 403):  # refusals are audited (who tried what)
            service = request.app.state.service
            who = getattr(request.state, "principal", None)
            service.audit.record(
                who,
                f"refused {exc.status_code} {request.method} {request.url.path}",
                subject=_subject(request),
                outcome=f"refused: {exc.detail}",
            )
        if exc.status_code == 503 and not (exc.headers or {}).get("Retry-After"):
            exc.headers = {**(exc.headers or {}), "Retry-After": RETRY_AFTER}
        return await http_exception_handler(request, exc)

    @app.exception_handler(Exception)
    async def last_resort(request: Request, exc: Exception) -> JSONResponse:
        # a bug: logged with its traceback; the caller gets JSON, never a stack trace
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse({"detail": "internal error (logged)"}, status_code=500)


class BodyLimit:
    """Pure ASGI middleware: 413 for bodies over ``max_bytes`` — by ``Content-Length``
    up front, and by counting for chunked bodies (the app sees at most the limit)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    too_big = int(value) > self.max_bytes
                except ValueError:
                    too_big = False
                if too_big:
                    await self._reject(send)
                    return
        seen = 0
        rejected = False

        async def counted() -> Message:
            nonlocal seen, rejected
            msg = await receive()
            if msg["type"] == "http.request" and not rejected:
                seen += len(msg.get("body", b""))
                if seen > self.max_bytes:
                    rejected = True
                    await self._reject(send)
                    return {"type": "http.disconnect"}
            return msg

        async def guarded(msg: Message) -> None:
            if not rejected:  # after a 413 the app's own answer is dropped
                await send(msg)

        await self.app(scope, counted, guarded)

    async def _reject(self, send: Send) -> None:
        body = json.dumps(
            {"detail": f"request body larger than the limit of {self.max_bytes} bytes"}
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
