"""First ingest against identical re-ingest: wall time and peak memory, one process each.

    nice .venv/bin/python benchmarks/bench_ingest.py [--orgs 40000] [--seed 1] [--dir DIR]
        [--plot FILE.png] [--json FILE]

Steps, each a fresh process run under ``/usr/bin/time -v`` (wall time and peak RSS of
that process alone; without GNU time, the process reports its own ``ru_maxrss``):

1. ``learnmap demo-data --orgs N`` writes the dataset (not part of the comparison);
2. baseline: ``pandas.read_csv`` of every file (what any ingest must at least do);
3. first ingest into a fresh SQLite file;
4. identical re-ingest of the same files into that store (target: ≤ 1/3 of step 3's
   time and no more memory);
5. re-ingest with 1% of participations changed (the row-by-row comparison path).

The figures are printed, and written as JSON and a PNG bar chart when asked.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GNU_TIME = Path("/usr/bin/time")
VENV_BIN = Path(sys.executable).parent


def worker(step: str, folder: Path, db: Path) -> dict[str, object]:
    t0 = time.perf_counter()
    if step == "read_csv":
        import pandas as pd

        rows = sum(
            len(pd.read_csv(f, dtype=str, keep_default_na=False)) for f in folder.glob("*.csv")
        )
        extra: dict[str, object] = {"rows": rows}
    else:
        from engine.ingest import ingest
        from engine.store import Store

        counts = ingest(folder, Store(f"sqlite:///{db}"))
        extra = {k: sum(getattr(c, k) for c in counts.values()) for k in ("new", "updated")}
        extra["unchanged"] = sum(c.unchanged for c in counts.values())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    return {"inner_seconds": round(time.perf_counter() - t0, 2), "self_peak_gb": peak, **extra}


def _gnu_time_peak_gb(stderr: str) -> float | None:
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr)
    return int(m.group(1)) / 1024**2 if m else None


def run(cmd: list[str]) -> tuple[float, float | None, str]:
    """Wall seconds, peak RSS in GB (GNU time) and stdout of one command."""
    timed = [str(GNU_TIME), "-v", *cmd] if GNU_TIME.exists() else cmd
    t0 = time.perf_counter()
    out = subprocess.run(timed, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    if out.returncode != 0:
        sys.exit(f"step failed: {' '.join(cmd)}\n{out.stdout}\n{out.stderr[-3000:]}")
    return wall, _gnu_time_peak_gb(out.stderr), out.stdout


def step(name: str, folder: Path, db: Path) -> dict[str, object]:
    cmd = [sys.executable, __file__, "--worker", name, "--dir", str(folder), "--db", str(db)]
    wall, peak, stdout = run(cmd)
    res = json.loads(stdout.strip().splitlines()[-1])
    res.update(seconds=round(wall, 2), peak_gb=round(peak or res["self_peak_gb"], 3))
    return res


def change_participations(src: Path, dst: Path, share: float = 0.01) -> int:
    """Copy the dataset with ``share`` of participations' hours changed."""
    import pandas as pd

    shutil.copytree(src, dst)
    p = pd.read_csv(dst / "participations.csv", dtype=str, keep_default_na=False)
    rows = p.sample(frac=share, random_state=0).index
    p.loc[rows, "hours"] = (p.loc[rows, "hours"].astype(float) + 0.5).map("{:g}".format)
    p.to_csv(dst / "participations.csv", index=False)
    return len(rows)


def plot(results: dict[str, dict[str, object]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(results)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for ax, key, label in (
        (axes[0], "seconds", "wall time (s)"),
        (axes[1], "peak_gb", "peak RSS (GB)"),
    ):
        ax.barh(names, [float(results[n][key]) for n in names], color="#4477aa")
        ax.set_xlabel(label)
        ax.invert_yaxis()
    fig.suptitle("learnmap ingest: first vs identical re-ingest (SQLite)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--orgs", type=int, default=40_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dir", type=Path, help="work directory (default: a temporary one)")
    ap.add_argument("--db", type=Path)
    ap.add_argument("--plot", type=Path, help="write a PNG bar chart here")
    ap.add_argument("--json", type=Path, help="write the figures here")
    ap.add_argument("--worker")
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.dir, args.db)))
        return
    tmp = None if args.dir else tempfile.TemporaryDirectory()
    work = args.dir or Path(tmp.name)  # type: ignore[union-attr]
    work.mkdir(parents=True, exist_ok=True)
    folder, db = work / f"demo{args.orgs}", work / f"bench{args.orgs}.db"
    shutil.rmtree(folder, ignore_errors=True)
    db.unlink(missing_ok=True)
    learnmap = VENV_BIN / "learnmap"
    gen = [str(learnmap), "demo-data", "--out", str(folder), "--orgs", str(args.orgs)]
    wall, peak, _ = run([*gen, "--seed", str(args.seed), "-q"])
    print(f"demo-data --orgs {args.orgs:,}: {wall:.1f}s, peak {peak or 0:.2f} GB", flush=True)
    results: dict[str, dict[str, object]] = {}
    for label, name, src in (
        ("baseline read_csv", "read_csv", folder),
        ("first ingest", "ingest", folder),
        ("identical re-ingest", "ingest", folder),
    ):
        results[label] = step(name, src, db)
        print(f"{label:<22} {results[label]}", flush=True)
    changed = work / f"demo{args.orgs}-changed"
    shutil.rmtree(changed, ignore_errors=True)
    n = change_participations(folder, changed)
    label = f"re-ingest, {n:,} changed"
    results[label] = step("ingest", changed, db)
    print(f"{label:<22} {results[label]}", flush=True)
    first, again = results["first ingest"], results["identical re-ingest"]
    ratio = float(again["seconds"]) / float(first["seconds"])
    mem = float(again["peak_gb"]) / float(first["peak_gb"])
    print(
        f"identical re-ingest / first ingest: time {ratio:.2f} (target ≤ 0.33), "
        f"peak memory {mem:.2f} (target ≤ 1.00); cpus {os.cpu_count()}, "
        f"load {os.getloadavg()[0]:.1f}"
    )
    if args.json:
        args.json.write_text(json.dumps({"orgs": args.orgs, "results": results}, indent=1))
    if args.plot:
        plot(results, args.plot)
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
