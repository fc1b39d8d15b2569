"""Loopback load test of ``POST /xAPI/statements`` (issue 25) against ``/healthz`` in the
same run: one uvicorn worker, SQLite, statements in arrays of ``--batch``.

    nice .venv/bin/python benchmarks/bench_xapi.py [--orgs 300] [--batches 200]
        [--batch 100] [--concurrency 4] [--work /tmp/bench-xapi]

Steps: a national demo dataset of ``--orgs`` organizations into WORK/store.db, with an
``accounts`` row for every person (platform ``https://lms.example.cn``) and an
``activities`` row for every online or live module; a ``platform`` key; ``learnmap
serve`` (one worker, ``LEARNMAP_API_WARM=0``).  Then ``/healthz`` for 3 s (the
baseline), and ``--batches`` arrays of registered / completed (with a duration) /
passed statements for people and modules drawn at random (seeded), sent from
``--concurrency`` keep-alive clients.  Every acknowledged id is checked to be stored
and applied at the end.  Prints statements/s, batch latency p50/p99, the baseline and
the load average; writes WORK/bench_xapi.json.

Bar: ≥ 2,000 statements/s sustained at one worker in arrays of 100.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import numpy as np
import pandas as pd

BIN = Path(sys.executable).parent
HOME = "https://lms.example.cn"
ADL = "http://adlnet.gov/expapi/verbs/"


def _prepare(work: Path, orgs: int, env: dict[str, str]) -> tuple[list[str], list[str]]:
    data = work / "data"
    if not (work / "store.db").exists():
        subprocess.run([str(BIN / "learnmap"), "-q", "demo-data", "--out", str(data),
                        "--orgs", str(orgs), "--seed", "3"], env=env, check=True)  # fmt: skip
        staff = pd.read_csv(data / "staff.csv", dtype=str)
        mods = pd.read_csv(data / "modules.csv", dtype=str)
        online = mods[mods["mode"].isin(["online", "live"])]
        pd.DataFrame({"home_page": HOME, "name": "u" + staff["staff_id"],
                      "staff_id": staff["staff_id"]}).to_csv(data / "accounts.csv", index=False)  # fmt: skip
        pd.DataFrame({"activity_id": HOME + "/course/" + online["module_id"],
                      "module_id": online["module_id"]}).to_csv(data / "activities.csv", index=False)  # fmt: skip
        subprocess.run([str(BIN / "learnmap"), "-q", "ingest", str(data)], env=env, check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
    acc = pd.read_csv(data / "accounts.csv", dtype=str)
    act = pd.read_csv(data / "activities.csv", dtype=str)
    staff = pd.read_csv(data / "staff.csv", dtype=str)
    hired = staff.set_index("staff_id")["hired_on"]
    ok = acc[acc["staff_id"].map(hired) < "2026-01-01"]  # hired before the statements' dates
    return ok["name"].tolist(), act["activity_id"].tolist()


def _batch(rng: random.Random, users: list[str], courses: list[str], n: int) -> list[dict]:
    out = []
    for _ in range(n):
        verb = rng.choice(["registered", "completed", "completed", "passed"])
        s = {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "actor": {"account": {"homePage": HOME, "name": rng.choice(users)}},
            "verb": {"id": ADL + verb},
            "object": {"id": rng.choice(courses)},
            "timestamp": f"2026-{rng.randint(3, 10):02d}-{rng.randint(1, 28):02d}T09:00:00+08:00",
        }
        if verb == "completed":
            s["result"] = {"duration": f"PT{rng.randint(5, 90)}M"}
        elif verb == "passed":
            s["result"] = {"score": {"scaled": round(rng.random(), 2)}, "success": True}
        out.append(s)
    return out


async def _healthz(base: str, seconds: float, conc: int) -> float:
    done = 0
    end = time.perf_counter() + seconds

    async def one(client: httpx.AsyncClient) -> None:
        nonlocal done
        while time.perf_counter() < end:
            (await client.get("/healthz")).raise_for_status()
            done += 1

    async with httpx.AsyncClient(base_url=base) as client:
        t0 = time.perf_counter()
        await asyncio.gather(*(one(client) for _ in range(conc)))
        return done / (time.perf_counter() - t0)


async def _post(
    base: str, key: str, batches: list[list[dict]], conc: int
) -> tuple[float, list, list]:
    queue = list(batches)
    lat: list[float] = []
    acked: list[str] = []
    headers = {"X-Experience-API-Version": "1.0.3", "X-API-Key": key}

    async def one(client: httpx.AsyncClient) -> None:
        while queue:
            b = queue.pop()
            t = time.perf_counter()
            r = await client.post("/xAPI/statements", json=b, headers=headers, timeout=60)
            r.raise_for_status()
            lat.append(time.perf_counter() - t)
            acked.extend(r.json())

    async with httpx.AsyncClient(base_url=base) as client:
        t0 = time.perf_counter()
        await asyncio.gather(*(one(client) for _ in range(conc)))
        return time.perf_counter() - t0, lat, acked


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orgs", type=int, default=300)
    ap.add_argument("--batches", type=int, default=200)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--port", type=int, default=8767)
    ap.add_argument("--work", type=Path, default=Path("/tmp/bench-xapi"))
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "LEARNMAP_DATABASE_URL": f"sqlite:///{args.work / 'store.db'}",
           "LEARNMAP_API_WARM": "0", "LEARNMAP_MODEL_DIR": str(args.work / "models"),
           "LEARNMAP_API_AS_OF": "2026-11-21", "LEARNMAP_API_RECOMMENDER": "popularity"}  # fmt: skip
    users, courses = _prepare(args.work, args.orgs, env)
    key = subprocess.run([str(BIN / "learnmap"), "keys", "create", "--role", "platform"], env=env,
                         check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]  # fmt: skip
    server = subprocess.Popen(
        [str(BIN / "learnmap"), "serve", "--port", str(args.port)], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{args.port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(base + "/readyz").json().get("status") == "ready":
                    break
            except (httpx.TransportError, ValueError):
                pass
            time.sleep(0.2)
        load0 = os.getloadavg()
        health = asyncio.run(_healthz(base, 3.0, args.concurrency))
        rng = random.Random(7)
        batches = [_batch(rng, users, courses, args.batch) for _ in range(args.batches)]
        asyncio.run(
            _post(base, key, [_batch(rng, users, courses, args.batch) for _ in range(5)], 1)
        )
        secs, lat, acked = asyncio.run(_post(base, key, batches, args.concurrency))
        load1 = os.getloadavg()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    import sqlalchemy as sa

    engine = sa.create_engine(env["LEARNMAP_DATABASE_URL"])
    with engine.connect() as conn:
        states = dict(conn.execute(sa.text(
            "SELECT state, count(*) FROM xapi_statements GROUP BY state")).all())  # fmt: skip
        stored = {r for (r,) in conn.execute(sa.text("SELECT statement_id FROM xapi_statements"))}
    n = len(acked)
    res = {
        "statements": n, "seconds": round(secs, 2), "statements_per_s": round(n / secs, 1),
        "batch": args.batch, "concurrency": args.concurrency,
        "batch_p50_ms": round(float(np.percentile(lat, 50)) * 1000, 1),
        "batch_p99_ms": round(float(np.percentile(lat, 99)) * 1000, 1),
        "healthz_per_s_baseline": round(health, 1), "lost": len(set(acked) - stored),
        "states": states, "load_before": load0, "load_after": load1,
    }  # fmt: skip
    (args.work / "bench_xapi.json").write_text(json.dumps(res, indent=2))
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
