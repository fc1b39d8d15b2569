"""Recommendation speed at scale (issue 9): ``Hybrid.fit``, one person's top 10 (median,
p99 over ``--people`` single calls) and everyone's top 10 in blocks of 2,048 — serially
(the baseline) and on ``--jobs`` forked workers as ``learnmap recommend --all`` does —
next to the ``popularity`` baseline measured in the same run.  Run by hand, with ``nice``:

    nice .venv/bin/python benchmarks/bench_recommend.py --data var/demo-cadre-100k
    nice .venv/bin/python benchmarks/bench_recommend.py --orgs 3000   # generate in memory

``--data DIR``: a canonical dataset directory written by ``learnmap demo-data`` (read
with pandas; the ingest validator is skipped — the data is the generator's own).
Otherwise the cadre demo with ``--orgs`` units (≈ 33 cadres each: 3,000 ≈ 100,000
cadres) is generated in memory.  Targets: one person ≤ 5 ms median, ≤ 20 ms p99; all
staff ≤ 60 s; ``Hybrid.fit`` ≤ 5 min (100,000 staff, 500 modules).

Prints a table with the load average and writes OUT/bench_recommend.json and
OUT/bench_recommend.png (latency distribution per model).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

import models.recommend.hybrid  # noqa: F401 - load every model now: edits during a long run can't mix in
import models.recommend.popularity  # noqa: F401
from features.asof import tables_as_of
from models.recommend.batch import default_jobs, recommend_all
from models.registry import create

DATES = (
    "hired_on",
    "left_on",
    "starts_on",
    "ends_on",
    "enrolled_on",
    "completed_on",
    "taken_on",
    "measured_on",
)
IDS = ("staff_id", "org_id", "module_id", "session_id", "skill_id", "participation_id")
BLOCK = 2048


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def load(path: Path) -> dict[str, pd.DataFrame]:
    """The CSV files of ``path`` as tables (ids as text, dates parsed); a parquet copy is
    kept in ``path/_parquet/`` so the next benchmark loads in seconds."""
    cache = path / "_parquet"
    if cache.is_dir() and any(cache.glob("*.parquet")):
        return {f.stem: pd.read_parquet(f) for f in sorted(cache.glob("*.parquet"))}
    out = {}
    for f in sorted(path.glob("*.csv")):
        head = pd.read_csv(f, nrows=0).columns
        frame = pd.read_csv(f, dtype={c: str for c in IDS if c in head}, keep_default_na=True)
        for c in DATES:
            if c in frame:
                frame[c] = pd.to_datetime(frame[c])
        out[f.stem] = frame
    cache.mkdir(exist_ok=True)
    for name, frame in out.items():
        frame.to_parquet(cache / f"{name}.parquet", index=False)
    return out


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def bench_model(name: str, tables, as_of, people, single_ids, jobs: int) -> dict:  # noqa: ANN001
    t, c = time.perf_counter(), time.process_time()
    model = create(name).fit(tables, as_of)
    fit_s, fit_cpu = time.perf_counter() - t, time.process_time() - c
    for sid in single_ids[:20]:  # warm-up
        model.recommend([sid], k=10)
    lat, cpu = [], []
    for sid in single_ids:
        t, c = time.perf_counter(), time.process_time()
        model.recommend([sid], k=10)
        lat.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    t, c = time.perf_counter(), time.process_time()
    rows = 0
    with tqdm(total=len(people), unit="staff", desc=f"{name} --all, serial") as bar:
        for lo in range(0, len(people), BLOCK):
            chunk = people[lo : lo + BLOCK]
            rows += len(model.recommend(chunk, k=10))
            bar.update(len(chunk))
    all_s, all_cpu = time.perf_counter() - t, time.process_time() - c
    # what ``learnmap recommend --all`` does: blocks on ``jobs`` forked workers; their
    # CPU time is counted once they are reaped (RUSAGE_CHILDREN)
    t, c, kids = time.perf_counter(), time.process_time(), children_cpu()
    with tqdm(total=len(people), unit="staff", desc=f"{name} --all, {jobs} jobs") as bar:
        par = recommend_all(model, people, k=10, n_jobs=jobs, progress=bar.update)
    par_s = time.perf_counter() - t
    par_cpu = time.process_time() - c + children_cpu() - kids
    if len(par) != rows:
        raise SystemExit(f"{name}: {len(par)} rows from recommend_all, {rows} serially")
    lat, cpu = np.asarray(lat), np.asarray(cpu)
    return {
        "model": name,
        "fit_s": round(fit_s, 2),
        "fit_cpu_s": round(fit_cpu, 2),
        "one_median_ms": round(float(np.median(lat)), 2),
        "one_p99_ms": round(float(np.percentile(lat, 99)), 2),
        "one_cpu_median_ms": round(float(np.median(cpu)), 2),
        "one_cpu_p99_ms": round(float(np.percentile(cpu, 99)), 2),
        "all_s": round(all_s, 1),
        "all_cpu_s": round(all_cpu, 1),
        "all_rows": rows,
        "all_jobs": jobs,
        "all_par_s": round(par_s, 1),
        "all_par_cpu_s": round(par_cpu, 1),
        "latencies_ms": lat.round(3).tolist(),
        "load_after": os.getloadavg()[0],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, help="dataset directory (else generate)")
    ap.add_argument("--orgs", type=int, default=3000, help="cadre units when generating")
    ap.add_argument("--as-of", default="2026-07-01")
    ap.add_argument("--people", type=int, default=1000, help="single calls timed")
    ap.add_argument("--models", nargs="+", default=["popularity", "hybrid"])
    ap.add_argument("--jobs", type=int, default=-1, help="workers for everyone's top 10")
    ap.add_argument("--out", type=Path, default=Path("var/bench_recommend"))
    args = ap.parse_args()
    load0 = os.getloadavg()
    t = time.perf_counter()
    if args.data:
        tables = load(args.data)
        source = str(args.data)
    else:
        from engine.demo import DemoSpec, generate

        tables = generate(DemoSpec(scenario="cadre", orgs=args.orgs, seed=7))
        source = f"cadre demo, {args.orgs} units, generated in memory"
    load_s = time.perf_counter() - t
    staff = tables_as_of(tables, args.as_of)["staff"]
    people = sorted(staff.loc[staff["left_on"].isna(), "staff_id"].astype(str))
    rng = np.random.default_rng(0)
    single = list(rng.choice(people, min(args.people, len(people)), replace=False))
    print(
        f"data: {source}: {len(tables['staff']):,} staff, {len(tables['modules']):,} modules, "
        f"{len(tables['participations']):,} participations (loaded in {load_s:.0f} s); "
        f"{len(people):,} employed on {args.as_of}; load average before {load0[0]:.1f}"
    )
    jobs = default_jobs() if args.jobs < 0 else args.jobs
    results = [bench_model(m, tables, args.as_of, people, single, jobs) for m in args.models]
    print(
        "\nwall (CPU) — CPU time of this process, the figure an unloaded core would see\n"
        f"| model | fit s | one person median ms | p99 ms | all {len(people):,} s, serial "
        f"| all, {jobs} jobs (recommend --all) | load |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['model']} | {r['fit_s']} ({r['fit_cpu_s']}) | {r['one_median_ms']} "
            f"({r['one_cpu_median_ms']}) | {r['one_p99_ms']} ({r['one_cpu_p99_ms']}) | "
            f"{r['all_s']} ({r['all_cpu_s']}) | {r['all_par_s']} ({r['all_par_cpu_s']}) | "
            f"{r['load_after']:.1f} |"
        )
    print(f"peak RSS {peak_gb():.1f} GB")
    args.out.mkdir(parents=True, exist_ok=True)
    meta = {"data": source, "staff": len(tables["staff"]), "modules": len(tables["modules"]),
            "employed": len(people), "load_before": load0, "peak_gb": round(peak_gb(), 2)}  # fmt: skip
    (args.out / "bench_recommend.json").write_text(json.dumps({**meta, "results": results}))
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    for r in results:
        ax.hist(r["latencies_ms"], bins=50, alpha=0.6, label=r["model"])
    ax.axvline(5, color="k", ls="--", lw=0.8, label="5 ms target (median)")
    ax.set_xlabel("one person's top 10, ms")
    ax.set_ylabel("calls")
    ax.legend()
    fig.tight_layout()
    fig.savefig(args.out / "bench_recommend.png", dpi=120)
    print(f"wrote {args.out}/bench_recommend.json and .png")


if __name__ == "__main__":
    main()
