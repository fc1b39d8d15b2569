"""An acknowledged statement is durable: ``kill -9`` of the server right after its
200 loses nothing, and ``learnmap xapi apply`` brings the records up to date."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import sqlalchemy as sa

from api.keys import create_key
from engine.store import Store
from tests.xapi_world import load_world, statement


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_kill_9_after_acknowledgements_loses_nothing(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    store = load_world(Store(f"sqlite:///{db}"), tmp_path / "world")
    key = create_key(store.engine, "platform")[0]
    store.engine.dispose()
    port = _port()
    env = {**os.environ, "LEARNMAP_DATABASE_URL": f"sqlite:///{db}", "LEARNMAP_API_WARM": "0",
           "LEARNMAP_MODEL_DIR": str(tmp_path / "models"), "LEARNMAP_API_AS_OF": "2026-06-30"}  # fmt: skip
    learnmap = Path(sys.executable).with_name("learnmap")
    proc = subprocess.Popen(
        [str(learnmap), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    acked: list[str] = []
    stop = threading.Event()
    headers = {"X-Experience-API-Version": "1.0.3", "X-API-Key": key}
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)

            def send() -> None:
                day = 0
                while not stop.is_set():
                    day += 1
                    batch = [statement("completed", user="u1", course="1" if i % 2 else "2",
                                       when=f"2026-07-{1 + day % 28:02d}T09:00:00+08:00",
                                       context={"registration": f"{day:08d}-0000-4000-8000-{i:012d}"},
                                       result={"duration": "PT5M"})
                             for i in range(50)]  # fmt: skip
                    try:
                        r = client.post("/xAPI/statements", json=batch, headers=headers)
                    except httpx.TransportError:
                        return
                    if r.status_code == 200:
                        acked.extend(r.json())

            worker = threading.Thread(target=send)
            worker.start()
            while len(acked) < 300 and worker.is_alive():
                time.sleep(0.01)
            os.killpg(proc.pid, signal.SIGKILL)  # mid-stream: a request may be in flight
            stop.set()
            worker.join(timeout=20)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    assert len(acked) >= 300
    store = Store(f"sqlite:///{db}")
    with store.engine.connect() as conn:
        stored = {r for (r,) in conn.execute(sa.text("SELECT statement_id FROM xapi_statements"))}
    assert set(acked) <= stored, f"{len(set(acked) - stored)} acknowledged statements lost"
    out = subprocess.run([str(learnmap), "xapi", "apply"], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    parts = store.load_table("participations")
    assert len(parts) == len(stored)  # one participation per registration, none missing
