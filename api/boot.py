"""What ``learnmap serve`` runs: a thin ASGI app that answers ``/healthz`` at once and
imports the real application (``api.app``: pandas, scikit-learn, the models — seconds
of imports) on a background thread, then hands every request to it.

Until the application is imported: ``/healthz`` 200, ``/readyz`` 503 ``{"state":
"importing"}``, anything else 503 with ``Retry-After``.  After: the application's own
lifespan runs (which itself returns at once, ``api.service``) and it answers everything.
Standard library only, so the process is listening within a second of its start.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from typing import Any

log = logging.getLogger(__name__)
_HEALTH = json.dumps({"status": "ok"}).encode()


class Boot:
    def __init__(self) -> None:
        self.app: Any = None
        self.error: str | None = None
        self._lifespan: Any = None
        self._loaded = threading.Event()

    def _import(self) -> None:
        try:
            from api.app import create_app

            self.app = create_app()
        except Exception as exc:  # noqa: BLE001 - reported by /readyz and logged
            log.exception("the application could not be built")
            self.error = f"{type(exc).__name__}: {exc}"
        self._loaded.set()

    async def _start_inner(self) -> None:
        await asyncio.to_thread(self._loaded.wait)
        if self.app is not None:
            self._lifespan = self.app.router.lifespan_context(self.app)
            await self._lifespan.__aenter__()
            self._ready = True

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan_protocol(receive, send)
            return
        if getattr(self, "_ready", False):
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":
            return
        path = scope.get("path", "")
        if path == "/healthz":
            await _answer(send, 200, _HEALTH)
            return
        state = f"failed: {self.error}" if self.error else "importing"
        body = json.dumps({"ready": False, "state": state, "detail": f"the service is {state}"})
        await _answer(send, 503, body.encode(), retry=True)

    async def _lifespan_protocol(self, receive: Any, send: Any) -> None:
        while True:
            msg = await receive()
            if msg["type"] == "lifespan.startup":
                threading.Thread(target=self._import, name="import", daemon=True).start()
                self._task = asyncio.create_task(self._start_inner())
                await send({"type": "lifespan.startup.complete"})
            elif msg["type"] == "lifespan.shutdown":
                if self._lifespan is not None:
                    await self._lifespan.__aexit__(None, None, None)
                await send({"type": "lifespan.shutdown.complete"})
                return


async def _answer(send: Any, status: int, body: bytes, retry: bool = False) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if retry:
        headers.append((b"retry-after", b"5"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def create_boot() -> Boot:
    """The factory ``learnmap serve`` gives uvicorn."""
    return Boot()
