"""Seat allocation at scale (issue 9): a year's offline sessions for ~100,000 staff,
exact (``models.allocate.seats.allocate``: matroid greedy with augmenting paths) next to the
plain neediest-first baseline measured in the same run (``exact=False``: nobody moved,
not optimal) and the need scores both start from.  Run by hand, with ``nice``:

    nice .venv/bin/python benchmarks/bench_allocate.py --data var/demo-cadre-100k
    nice .venv/bin/python benchmarks/bench_allocate.py --orgs 3000   # generate in memory

Sessions without a capacity get ``--capacity-if-missing`` seats (default 30), so that
seats are scarce as the issue describes.  Target: ≤ 60 s for the year.  Prints a table with the load average (wall and CPU
seconds) and the total need seated by each, and writes OUT/bench_allocate.json and
OUT/bench_allocate.png (seats per organization, exact vs baseline).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import date
from pathlib import Path

from bench_recommend import load, peak_gb

from engine.policy import load_policy
from models.allocate.seats import AllocationSettings, allocate, by_org, need_scores


def timed(fn):  # noqa: ANN001, ANN201
    t, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, round(time.perf_counter() - t, 1), round(time.process_time() - c, 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, help="dataset directory (else generate)")
    ap.add_argument("--orgs", type=int, default=3000, help="cadre units when generating")
    ap.add_argument("--from", dest="start", default="2026-01-01")
    ap.add_argument("--to", dest="end", default="2026-12-31")
    ap.add_argument("--policy", default="cadre-hours")
    ap.add_argument("--seats-per-org", type=int, default=2)
    ap.add_argument(
        "--capacity-if-missing",
        type=int,
        default=30,
        help="seats of sessions without a capacity (the demo leaves many open: unlimited "
        "seats need no allocation); 0 = keep them unlimited",
    )
    ap.add_argument("--out", type=Path, default=Path("var/bench_allocate"))
    args = ap.parse_args()
    load0 = os.getloadavg()[0]
    if args.data:
        tables, source = load(args.data), str(args.data)
    else:
        from engine.demo import DemoSpec, generate

        tables = generate(DemoSpec(scenario="cadre", orgs=args.orgs, seed=7))
        source = f"cadre demo, {args.orgs} units, generated in memory"
    if args.capacity_if_missing:
        ses = tables["sessions"].copy()
        ses["capacity"] = ses["capacity"].astype(float).fillna(args.capacity_if_missing)
        tables["sessions"] = ses
    start, end = date.fromisoformat(args.start), date.fromisoformat(args.end)
    policy = load_policy(args.policy)
    settings = AllocationSettings(seats_per_org=args.seats_per_org)
    need, need_s, need_cpu = timed(lambda: need_scores(tables, start, policy))
    exact, ex_s, ex_cpu = timed(lambda: allocate(tables, start, end, policy, settings))
    base, b_s, b_cpu = timed(lambda: allocate(tables, start, end, policy, settings, exact=False))
    ses = tables["sessions"]
    mode = tables["modules"].set_index("module_id")["mode"]
    year = ses[(ses["starts_on"] >= str(start)) & (ses["starts_on"] <= str(end))]
    offline = year[year["module_id"].map(mode).isin(["offline", "blended"]).to_numpy()]
    print(
        f"data: {source}: {len(tables['staff']):,} staff ({len(need):,} employed on {start}), "
        f"{len(offline):,} offline sessions in [{start}, {end}]; load average before {load0:.1f}"
    )
    rows = [
        ("need scores (shared input)", need_s, need_cpu, "", ""),
        ("baseline: neediest-first", b_s, b_cpu, len(base), base["weight"].sum()),
        ("exact (augmenting paths)", ex_s, ex_cpu, len(exact), exact["weight"].sum()),
    ]
    print("\n| step | wall s | CPU s | seats | total need seated |\n|---|---|---|---|---|")
    for name, w, c, n, tot in rows:
        print(f"| {name} | {w} | {c} | {n} | {tot if tot == '' else f'{tot:,.2f}'} |")
    print(f"load average after {os.getloadavg()[0]:.1f}; peak RSS {peak_gb():.1f} GB")
    assert exact["weight"].sum() >= base["weight"].sum() - 1e-6
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench_allocate.json").write_text(
        json.dumps({"data": source, "load_before": load0, "rows": rows}, default=float)
    )
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ro_e, ro_b = by_org(exact, need), by_org(base, need)
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.hist([ro_e["in_need_seated"], ro_b["in_need_seated"]], bins=30, label=["exact", "baseline"])
    ax.set_xlabel("people in need seated per organization")
    ax.set_ylabel("organizations")
    ax.legend()
    fig.tight_layout()
    fig.savefig(args.out / "bench_allocate.png", dpi=120)
    print(f"wrote {args.out}/bench_allocate.json and .png")


if __name__ == "__main__":
    main()
