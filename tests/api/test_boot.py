"""``learnmap serve`` answers ``/healthz`` before the application is even imported
(issue 22, defect 4): ``api.boot`` answers it with the standard library alone."""

from __future__ import annotations

import asyncio
import threading

import pytest

from api.boot import Boot


async def _get(app, path: str) -> tuple[int, dict]:  # noqa: ANN001
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(msg: dict) -> None:
        sent.append(msg)

    scope = {"type": "http", "method": "GET", "path": path, "headers": [], "query_string": b""}
    await app(scope, receive, send)
    return sent[0]["status"], dict(sent[0]["headers"])


def test_healthz_before_the_app_is_imported(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("LEARNMAP_DATABASE_URL", f"sqlite:///{tmp_path / 'learnmap.db'}")
    monkeypatch.setenv("LEARNMAP_MODEL_DIR", str(tmp_path / "models"))
    boot = Boot()
    release = threading.Event()
    imported = boot._import

    def slow_import() -> None:
        release.wait(60)
        imported()

    boot._import = slow_import  # type: ignore[method-assign]

    async def run() -> None:
        messages = asyncio.Queue()
        await messages.put({"type": "lifespan.startup"})
        sent: list[dict] = []

        async def send(msg: dict) -> None:
            sent.append(msg)

        life = asyncio.create_task(boot({"type": "lifespan"}, messages.get, send))
        await asyncio.sleep(0.05)
        assert sent == [{"type": "lifespan.startup.complete"}]
        assert (await _get(boot, "/healthz"))[0] == 200
        status, headers = await _get(boot, "/v1/version")
        assert status == 503 and headers[b"retry-after"] == b"5"
        assert (await _get(boot, "/readyz"))[0] == 503
        release.set()
        await boot._task
        assert boot.app is not None
        await messages.put({"type": "lifespan.shutdown"})
        await life

    asyncio.run(run())


def test_serve_starts_without_the_heavy_command_line() -> None:
    """``learnmap serve`` reaches uvicorn without importing pandas or SQLAlchemy (most of
    a second of imports before the socket listens): the entry point hands ``serve`` to
    ``api.serve`` first.  Checked in a fresh interpreter up to the point uvicorn would
    run; the other commands still go through the full command line."""
    import json
    import subprocess
    import sys

    probe = (
        "import json, sys, uvicorn\n"
        "seen = {}\n"
        "def fake_run(app, **kw):\n"
        "    seen.update(kw, app=app, heavy=sorted(m for m in ('pandas', 'sqlalchemy', "
        "'engine.cli') if m in sys.modules))\n"
        "uvicorn.run = fake_run\n"
        "from engine.launch import main\n"
        "code = main(['serve', '--port', '8123', '--no-access-log'])\n"
        "print(json.dumps({'code': code, **seen}))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["code"] == 0
    assert seen["app"] == "api.boot:create_boot" and seen["port"] == 8123
    assert seen["access_log"] is False
    assert seen["heavy"] == []


def test_other_commands_still_reach_the_full_command_line(capsys) -> None:  # noqa: ANN001
    from engine.launch import main

    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "serve" in out and "ingest" in out
    with pytest.raises(SystemExit):
        main(["serve", "--port", "not-a-port"])
    assert "learnmap serve" in capsys.readouterr().err
