"""The store path at scale (issue 12): wall time and peak memory of every step a
province's administrator runs, next to a bare ``pandas.read_sql`` of participations
measured in the same run.

Each step runs as its own process (``learnmap ...`` exactly as a user types it); its
peak resident memory comes from the kernel's accounting of that child
(``os.wait4`` → ``ru_maxrss``, what ``/usr/bin/time -v`` reports), and the load average
is read before each step.

    python benchmarks/bench_store.py DATA_DIR --work DIR [--as-of 2026-06-30]

``DATA_DIR`` is a dataset from ``learnmap demo-data --orgs N --out DATA_DIR``.  Writes
``DIR/bench_store.json`` and ``DIR/bench_store.png`` and prints a table.  Targets (at
2.27 M staff / 20 M rows): status ≤ 60 s and ≤ 4 GB, report ≤ 90 s and ≤ 4 GB, first
ingest ≤ 3 min, identical re-ingest ≤ 1/3 of the first and ≤ its memory.  The identical
re-ingest is measured twice: as a user runs it (same files: the digest shortcut) and
with every row read and compared (same files under another synonyms setting).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

BASELINE = """
import sqlite3, sys
import pandas as pd
con = sqlite3.connect(sys.argv[1])
frame = pd.read_sql("SELECT * FROM participations", con)
print(len(frame))
"""


def _run(cmd: list[str], env: dict[str, str]) -> dict[str, float | str]:
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    out = proc.stdout.read().decode() if proc.stdout else ""
    err = proc.stderr.read().decode() if proc.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({code}):\n{err[-2000:]}")
    return {
        "wall_s": round(wall, 1),
        "peak_gb": round(usage.ru_maxrss / 1024**2, 2),  # ru_maxrss is in KiB on Linux
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),  # user + system, this step alone
        "load1": round(load, 2),
        "output": out.strip().splitlines()[-1] if out.strip() else "",
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", type=Path, help="dataset directory (learnmap demo-data)")
    ap.add_argument("--work", type=Path, required=True, help="folder for the store and outputs")
    ap.add_argument("--as-of", default="2026-06-30")
    ap.add_argument("--skip-ingest", action="store_true", help="reuse WORK/store.db")
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    db = args.work / "store.db"
    env = {**os.environ, "LEARNMAP_DATABASE_URL": f"sqlite:///{db}"}
    learnmap = [sys.executable, "-m", "engine.cli"]
    steps: list[tuple[str, list[str]]] = []
    if not args.skip_ingest:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        steps += [
            ("ingest (first)", [*learnmap, "ingest", "--quiet", str(args.data)]),
            ("ingest (identical again)", [*learnmap, "ingest", "--quiet", str(args.data)]),
            # the same files under another reading setting (a synonyms file adding one
            # label): the digests differ, so every row is read, validated and compared
            # by key and row hash — the path an identical re-ingest took before
            ("ingest (identical, compared)", [*learnmap, "ingest", "--quiet", str(args.data)]),
        ]
    out = args.work / "out"
    steps += [
        ("baseline: read_sql participations", [sys.executable, "-c", BASELINE, str(db)]),
        (
            "status national-2025",
            [*learnmap, "status", "-q", "--as-of", args.as_of, "--out", str(out / "s.parquet")],
        ),
        (
            "status credits",
            [
                *learnmap,
                "status",
                "-q",
                "--policy",
                "credits",
                "--as-of",
                args.as_of,
                "--out",
                str(out / "c.parquet"),
            ],
        ),
        ("report", [*learnmap, "report", "-q", "--as-of", args.as_of, "--out", str(out / "r")]),
    ]
    syn = args.work / "bench_synonyms.toml"
    syn.write_text('[role]\nother = ["基准测试岗"]\n', encoding="utf-8")
    compared = {**env, "LEARNMAP_SYNONYMS": str(syn)}
    results = {}
    print(f"{'step':<36} {'wall s':>8} {'cpu s':>8} {'peak GB':>8} {'load':>6}")
    for name, cmd in steps:
        r = _run(cmd, compared if name == "ingest (identical, compared)" else env)
        results[name] = r
        print(
            f"{name:<36} {r['wall_s']:>8} {r['cpu_s']:>8} {r['peak_gb']:>8} {r['load1']:>6}",
            flush=True,
        )
    counts = subprocess.run(
        [*learnmap, "db", "info", "--json"], env=env, capture_output=True, text=True, check=True
    )
    summary = {
        "data": str(args.data),
        "counts": json.loads(counts.stdout)["counts"],
        "cpus": os.cpu_count(),
        "steps": results,
    }
    from engine.outputs import write_text

    write_text(args.work / "bench_store.json", json.dumps(summary, indent=1))
    _plot(results, args.work / "bench_store.png", summary["counts"])
    print(f"wrote {args.work / 'bench_store.json'} and bench_store.png")


def _plot(results: dict[str, dict], path: Path, counts: dict[str, int]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from engine.outputs import atomic_path

    names = list(results)
    fig, axes = plt.subplots(1, 2, figsize=(11, 0.5 * len(names) + 1.5), sharey=True)
    axes[0].barh(names, [results[n]["wall_s"] for n in names], color="#1565c0")
    axes[0].set_xlabel("wall time (s)")
    axes[1].barh(names, [results[n]["peak_gb"] for n in names], color="#90caf9")
    axes[1].set_xlabel("peak resident memory (GB)")
    axes[0].invert_yaxis()
    rows = sum(counts.values())
    fig.suptitle(f"learnmap store path: {counts['staff']:,} staff, {rows:,} rows")
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, bbox_inches="tight", format="png")
    plt.close(fig)


if __name__ == "__main__":
    main()
