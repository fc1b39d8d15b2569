"""Errors → HTTP, in one place; and the request body size limit (413)."""

from __future__ import annotations

import json
import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from engine.errors import (
    LearnmapError,
    NotFittedError,
    NotFoundError,
    PolicyError,
    StoreError,
    ValidationError,
)
from models.artifacts import ArtifactError

log = logging.getLogger(__name__)


def _status(exc: LearnmapError) -> int:
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
        return JSONResponse({"detail": str(exc)}, status_code=code)

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
