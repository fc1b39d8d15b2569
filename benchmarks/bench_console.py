"""Console page times on a store: server time per page, p50 and p95, against the
target (300 ms on the national demo; 1 s on a 226,000-staff store), next to the API's
JSON endpoints for the same figures measured in the same run (the baseline).

The app runs in-process (``TestClient``: the time is the server's handling plus the
in-process transport, no network).  Each page is opened once cold (the first page of a
date builds the service's whole-store view and the console's roll-ups on it), then
``--n`` more times, rotating over organizations and people so per-person reads are
real reads.

    learnmap demo-data --out var/bench/demo --seed 7
    LEARNMAP_DATABASE_URL=sqlite:///var/bench/learnmap.db learnmap ingest var/bench/demo
    LEARNMAP_DATABASE_URL=... LEARNMAP_MODEL_DIR=var/bench/models learnmap train --as-of 2026-06-30
    python benchmarks/bench_console.py --db sqlite:///var/bench/learnmap.db \\
        --models var/bench/models --as-of 2026-11-21 --n 30
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import date
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from api.keys import create_key
from api.settings import Settings


def p95(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(0.95 * (len(xs) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", required=True)
    ap.add_argument("--models", required=True)
    ap.add_argument("--as-of", default="2026-11-21")
    ap.add_argument("--n", type=int, default=30)
    ap.add_argument("--target-ms", type=float, default=300.0)
    ap.add_argument("--recommender", default="hybrid")
    args = ap.parse_args()
    as_of = date.fromisoformat(args.as_of)
    settings = Settings(
        database_url=args.db,
        model_dir=Path(args.models),
        as_of=as_of,
        recommender=args.recommender,
        key_cache_seconds=2.0,
    )
    t0 = time.perf_counter()
    app = create_app(settings)
    with TestClient(app) as client:
        svc = app.state.service
        assert svc.wait_ready(timeout=1800), svc.state  # start-up runs on a thread
        while app.state.console_sessions is None:  # the console starts once it is open
            time.sleep(0.05)
        print(f"start-up (recommender + precomputation): {time.perf_counter() - t0:.1f} s")
        key = create_key(svc.engine, "admin", label="bench_console")[0]
        api = {"X-API-Key": key}
        r = client.post("/console/login", data={"key": key}, follow_redirects=False)
        assert r.status_code == 303, r.text
        orgs = client.get("/console/organizations?export=organizations&format=csv").text
        org_ids = [line.split(",")[1] for line in orgs.splitlines()[1:21]]
        staff_ids: list[str] = []
        for o in org_ids[:10]:
            page = client.get(f"/v1/organizations/{o}/staff?limit=3", headers=api).json()
            staff_ids += [s["staff_id"] for s in page["data"] if s["employed"]]
        pages: dict[str, list[str]] = {
            "console: programme": ["/console/"],
            "console: organizations": ["/console/organizations"],
            "console: organizations filtered+sorted": [
                "/console/organizations?org_type=foundation&sort=p_unit_rule&desc=true"
            ],
            "console: organization": [f"/console/organizations/{o}" for o in org_ids],
            "console: person": [f"/console/people/{s}" for s in staff_ids],
            "console: training effect": ["/console/effect"],
            "console: experiments": ["/console/experiments"],
            "console: allocation (run cached)": [
                f"/console/allocation?from={as_of}&to=2027-03-31&policy=national-2025"
            ],
            "chart: volume": ["/console/charts/volume"],
            "chart: trend": ["/console/charts/trend"],
            "chart: region": ["/console/charts/region"],
            "chart: org status": [f"/console/charts/org-status/{o}" for o in org_ids],
            "chart: learning map": [f"/console/charts/learning-map/{s}" for s in staff_ids],
            "chart: effect": ["/console/charts/effect"],
            "baseline API: /v1/reports/programme": ["/v1/reports/programme"],
            "baseline API: /v1/organizations/{id}/risk": [
                f"/v1/organizations/{o}/risk" for o in org_ids
            ],
            "baseline API: /v1/learners/{id}/profile": [
                f"/v1/learners/{s}/profile" for s in staff_ids
            ],
        }
        rows = []
        for name, urls in pages.items():
            headers = api if name.startswith("baseline") else {}
            t = time.perf_counter()
            r = client.get(urls[0], headers=headers)
            cold = (time.perf_counter() - t) * 1000
            assert r.status_code == 200, (urls[0], r.status_code, r.text[:300])
            times = []
            for i in range(args.n):
                url = urls[(i + 1) % len(urls)]
                t = time.perf_counter()
                r = client.get(url, headers=headers)
                times.append((time.perf_counter() - t) * 1000)
                assert r.status_code == 200, (url, r.status_code)
            rows.append((name, cold, statistics.median(times), p95(times)))
    load = os.getloadavg()
    print(f"\nas of {as_of}, n={args.n} per page, load average {load[0]:.1f}")
    print(f"{'page':48} {'cold ms':>9} {'p50 ms':>8} {'p95 ms':>8}  target {args.target_ms:.0f} ms")
    for name, cold, p50, p95_ in rows:
        ok = "" if name.startswith("baseline") else ("ok" if p95_ <= args.target_ms else "OVER")
        print(f"{name:48} {cold:9.0f} {p50:8.1f} {p95_:8.1f}  {ok}")


if __name__ == "__main__":
    main()
