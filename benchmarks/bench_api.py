"""Loopback load test of the HTTP API (issue 11): ``recommendations`` against ``/healthz``
in the same run, one uvicorn worker, a fixed number of requests at fixed concurrency.

    nice .venv/bin/python benchmarks/bench_api.py [--staff 100000] [--requests 20000]
        [--concurrency 32] [--work /tmp/bench-api] [--recommender hybrid]

Steps: generate a national demo dataset sized for ``--staff`` people (about 5.65 staff
per organization) into WORK/data and ingest it into WORK/store.db unless present;
create an admin key (``learnmap keys create``); start ``learnmap serve`` (one worker,
no access log) and wait for ``/readyz`` to report the recommender fitted and every
person's recommendations precomputed; then, for each endpoint, 500 warm-up requests
and ``--requests`` measured ones from ``--concurrency`` keep-alive connections.
Recommendations go to people drawn at random (seeded) from the whole staff table.

The client is a minimal HTTP/1.1 keep-alive client on asyncio streams (no third-party
load tool needed; it runs on the same two cores as the server, so both endpoints pay
the same client cost).  ``wrk`` (Debian package ``wrk``) gives the same comparison
with less client overhead if installed: ``wrk -t2 -c32 -d20s -H 'X-API-Key: KEY'
http://127.0.0.1:PORT/v1/learners/ST0000001/recommendations``.

Prints a table, the load average (``uptime``) before and after, and writes
WORK/bench_api.json and WORK/bench_api.png (latency distributions).
Bar: recommendations ≥ 50% of /healthz throughput, p99 ≤ 50 ms at 32 clients, zero
errors over 20,000 requests.
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
import urllib.request
from pathlib import Path

import numpy as np

BIN = Path(sys.executable).parent
STAFF_PER_ORG = 5.65
AS_OF = "2026-11-23"


def _run(args: list[str], env: dict[str, str]) -> str:
    out = subprocess.run(args, env=env, check=True, capture_output=True, text=True)
    return out.stdout


def _prepare(work: Path, staff: int, env: dict[str, str]) -> float:
    db = work / "store.db"
    if db.exists():
        return 0.0
    t0 = time.perf_counter()
    orgs = max(1, round(staff / STAFF_PER_ORG))
    data = work / "data"
    print(f"generating {orgs:,} organizations (~{staff:,} staff) ...", flush=True)
    _run(
        [
            str(BIN / "learnmap"),
            "demo-data",
            "--out",
            str(data),
            "--orgs",
            str(orgs),
            "--seed",
            "3",
            "-q",
        ],
        env,
    )
    print("ingesting ...", flush=True)
    _run([str(BIN / "learnmap"), "ingest", str(data)], env)
    return time.perf_counter() - t0


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as r:  # noqa: S310 - loopback only
        return json.loads(r.read())


def _wait_ready(base: str, proc: subprocess.Popen, timeout: float) -> float:
    t0 = time.perf_counter()
    last = None
    while time.perf_counter() - t0 < timeout:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with status {proc.returncode}")
        try:
            state = _get(base + "/readyz")
        except Exception:  # noqa: BLE001 - not listening yet, or 503 while fitting
            state = None
        if state and state.get("ready") and state.get("recommendations_cached", 0) >= 1.0:
            return time.perf_counter() - t0
        if state != last and state is not None:
            print(f"  readyz: {state}", flush=True)
            last = state
        time.sleep(2)
    raise SystemExit(f"not ready after {timeout:.0f}s")


async def _worker(host: str, port: int, paths: list[str], key: str, counter: list[int],
                  lat: list[float], errors: list[str]) -> None:  # fmt: skip
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while counter[0] < len(paths):
            i = counter[0]
            counter[0] += 1
            req = (
                f"GET {paths[i]} HTTP/1.1\r\nHost: {host}\r\nX-API-Key: {key}\r\n"
                "Accept: application/json\r\n\r\n"
            ).encode()
            t0 = time.perf_counter()
            try:
                writer.write(req)
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                status = int(lines[0].split(" ")[1])
                length = next(
                    int(h.split(":", 1)[1])
                    for h in lines[1:]
                    if h.lower().startswith("content-length:")
                )
                body = await reader.readexactly(length)
            except Exception as exc:  # noqa: BLE001 - counted as an error
                errors.append(f"{paths[i]}: {type(exc).__name__}")
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
                continue
            lat.append(time.perf_counter() - t0)
            if status != 200 or not body:
                errors.append(f"{paths[i]}: HTTP {status}")
    finally:
        writer.close()


async def _load(host: str, port: int, paths: list[str], key: str, conc: int) -> dict:
    counter, lat, errors = [0], [], []
    t0 = time.perf_counter()
    await asyncio.gather(
        *(_worker(host, port, paths, key, counter, lat, errors) for _ in range(conc))
    )
    wall = time.perf_counter() - t0
    ms = np.asarray(lat) * 1000
    return {
        "requests": len(paths),
        "seconds": round(wall, 3),
        "throughput_rps": round(len(paths) / wall, 1),
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p90_ms": round(float(np.percentile(ms, 90)), 2),
        "p99_ms": round(float(np.percentile(ms, 99)), 2),
        "max_ms": round(float(ms.max()), 2),
        "errors": len(errors),
        "error_examples": errors[:5],
        "_lat": ms,
    }


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--staff", type=int, default=100_000)
    ap.add_argument("--requests", type=int, default=20_000)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--work", type=Path, default=Path("/tmp/bench-api"))
    ap.add_argument("--recommender", default="hybrid")
    ap.add_argument("--ready-timeout", type=float, default=3600)
    args = ap.parse_args()
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "LEARNMAP_DATABASE_URL": f"sqlite:///{work / 'store.db'}",
        "LEARNMAP_MODEL_DIR": str(work / "models"),  # empty: no risk model needed here
        "LEARNMAP_API_AS_OF": AS_OF,
        "LEARNMAP_API_RECOMMENDER": args.recommender,
    }
    t_data = _prepare(work, args.staff, env)
    key = (
        _run([str(BIN / "learnmap"), "keys", "create", "--role", "admin", "--label", "bench"], env)
        .strip()
        .splitlines()[-1]
    )
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from engine.store import Store

    staff = Store(env["LEARNMAP_DATABASE_URL"]).load_table("staff", ["staff_id", "hired_on"])
    ids = staff.loc[staff["hired_on"] <= np.datetime64(AS_OF), "staff_id"].astype(str).tolist()
    print(f"{len(staff):,} staff in the store ({len(ids):,} hired by {AS_OF})", flush=True)
    host, base = "127.0.0.1", f"http://127.0.0.1:{args.port}"
    log = open(work / "server.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [str(BIN / "learnmap"), "serve", "--port", str(args.port), "--workers", "1",
         "--no-access-log", "--log-level", "warning"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        t_ready = _wait_ready(base, proc, args.ready_timeout)
        print(f"ready after {t_ready:.0f}s (fit + precompute)", flush=True)
        load_before = _uptime()
        rng = random.Random(0)
        n = args.requests
        health = ["/healthz"] * n
        recs = [f"/v1/learners/{rng.choice(ids)}/recommendations?k=10" for _ in range(n)]
        results = {}
        for name, paths in (("healthz", health), ("recommendations", recs)):
            asyncio.run(_load(host, args.port, paths[:500], key, args.concurrency))  # warm-up
            results[name] = asyncio.run(_load(host, args.port, paths, key, args.concurrency))
        load_after = _uptime()
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
    h, r = results["healthz"], results["recommendations"]
    ratio = r["throughput_rps"] / h["throughput_rps"]
    print(f"\n{len(staff):,} staff, 1 uvicorn worker, {args.concurrency} concurrent clients, "
          f"{n:,} requests per endpoint ({args.recommender})")  # fmt: skip
    print(
        f"{'endpoint':<17}{'req/s':>9}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}{'errors':>8}"
    )
    for name, x in results.items():
        print(f"{name:<17}{x['throughput_rps']:>9.0f}{x['p50_ms']:>9.2f}{x['p90_ms']:>9.2f}"
              f"{x['p99_ms']:>9.2f}{x['max_ms']:>9.1f}{x['errors']:>8}")  # fmt: skip
    print(f"recommendations / healthz throughput: {ratio:.0%} (bar ≥ 50%); "
          f"p99 {r['p99_ms']:.1f} ms (bar ≤ 50); errors {r['errors'] + h['errors']} (bar 0)")  # fmt: skip
    print(f"load before: {load_before}\nload after:  {load_after}")
    out = {
        "staff": len(staff),
        "data_seconds": round(t_data, 1),
        "ready_seconds": round(t_ready, 1),
        "concurrency": args.concurrency,
        "recommender": args.recommender,
        "ratio": round(ratio, 3),
        "load_before": load_before,
        "load_after": load_after,
        **{k: {a: b for a, b in v.items() if a != "_lat"} for k, v in results.items()},
    }
    (work / "bench_api.json").write_text(json.dumps(out, indent=1))
    _plot(results, work / "bench_api.png", len(staff), args.concurrency)
    print(f"wrote {work / 'bench_api.json'} and {work / 'bench_api.png'}")
    return 0


def _plot(results: dict, path: Path, n_staff: int, conc: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for name, x in results.items():
        lat = np.sort(x["_lat"])
        ax.plot(
            lat,
            np.arange(1, len(lat) + 1) / len(lat),
            label=f"{name} ({x['throughput_rps']:.0f} req/s)",
        )
    ax.axvline(50, color="grey", ls="--", lw=1, label="p99 bar 50 ms")
    ax.axhline(0.99, color="grey", ls=":", lw=1)
    ax.set_xscale("log")
    ax.set_xlabel("latency (ms, log)")
    ax.set_ylabel("share of requests")
    ax.set_title(f"API latency, {n_staff:,} staff, 1 worker, {conc} clients")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    sys.exit(main())
