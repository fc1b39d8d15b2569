"""Demo-data generation and ingest: wall time and peak memory per scale.

    .venv/bin/python benchmarks/bench_demo.py [--orgs 2300 40000] [--ingest-max 40000]

Each step runs in its own process so its peak RSS is its own.  The baseline, measured
in the same run, is a bare ``pandas.read_csv`` of every file of the dataset (what any
ingest must at least do); ingest goes to a fresh SQLite file.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def worker(step: str, orgs: int, folder: Path) -> dict[str, float]:
    t0 = time.perf_counter()
    if step == "generate":
        from engine.demo import DemoSpec, generate, write_dataset

        counts = write_dataset(generate(DemoSpec(orgs=orgs, seed=1)), folder)
        extra = {
            "rows": sum(counts.values()),
            "participations": counts["participations"],
            "staff": counts["staff"],
        }
    elif step == "read_csv":
        import pandas as pd

        extra = {
            "rows": sum(
                len(pd.read_csv(f, dtype=str, keep_default_na=False)) for f in folder.glob("*.csv")
            )
        }
    else:
        from engine.ingest import ingest
        from engine.store import Store

        db = folder.parent / f"{folder.name}.db"
        db.unlink(missing_ok=True)
        counts = ingest(folder, Store(f"sqlite:///{db}"))
        extra = {"rows": sum(c.new for c in counts.values())}
    return {"seconds": round(time.perf_counter() - t0, 2), "peak_gb": round(_peak_gb(), 3), **extra}


def run(step: str, orgs: int, folder: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--worker", step, "--orgs", str(orgs), "--dir", str(folder)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orgs", type=int, nargs="+", default=[2300, 40000])
    ap.add_argument(
        "--ingest-max", type=int, default=40000, help="skip ingest above this many organizations"
    )
    ap.add_argument("--worker")
    ap.add_argument("--dir", type=Path)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.orgs[0], args.dir)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        for orgs in args.orgs:
            folder = Path(tmp) / f"demo{orgs}"
            g = run("generate", orgs, folder)
            print(
                f"orgs {orgs:>7,}: generate {g['seconds']:>7.1f}s peak {g['peak_gb']:.2f} GB "
                f"({g['staff']:,} staff, {g['participations']:,} participations, "
                f"{g['rows']:,} rows)",
                flush=True,
            )
            if orgs > args.ingest_max:
                continue
            b = run("read_csv", orgs, folder)
            i = run("ingest", orgs, folder)
            print(
                f"               ingest   {i['seconds']:>7.1f}s peak {i['peak_gb']:.2f} GB "
                f"({i['rows']:,} rows); baseline read_csv {b['seconds']:.1f}s "
                f"peak {b['peak_gb']:.2f} GB → ratio {i['seconds'] / b['seconds']:.1f}x",
                flush=True,
            )


if __name__ == "__main__":
    main()
