"""``learnmap status`` on the pandas engine against the dask engine (issue 26), on a
store you made beforehand.  Run by hand, with ``nice``:

    learnmap demo-data --out var/bench226k/demo --orgs 40000 --seed 7    # 226,664 staff
    LEARNMAP_DATABASE_URL=sqlite:///var/bench226k/store.db learnmap ingest var/bench226k/demo
    nice .venv/bin/python benchmarks/bench_engines.py \\
        --db sqlite:///var/bench226k/store.db --work var/bench226k --workers 2

Measures, each in its own process so peaks do not mix:

1. ``learnmap status --engine pandas`` end to end (read the store, compute, write the
   file): wall time and the process's peak RSS;
2. ``learnmap export parquet`` (the copy the dask engine reads): wall time, peak RSS;
3. ``learnmap status --engine dask`` end to end on a ``LocalCluster`` of ``--workers``
   single-threaded worker processes (``--memory-limit`` each), including the cluster's
   start-up: wall time, the client's peak RSS;
   With ``--report``, ``learnmap report`` on both engines the same way;
4. in this process, ``features.partitioned.status_dask`` alone on a fresh cluster
   (compute only; twice: the first run includes the workers' imports), the peak RSS
   of every worker process (``ru_maxrss`` read on the workers), and the frame compared
   with ``status_pandas`` (sorted) — they must be equal.

With ``--risk`` (a model trained beforehand: ``learnmap train --as-of D`` with the same
``LEARNMAP_MODEL_DIR``), only ``learnmap risk --level staff`` and ``--level org`` on
both engines end to end (the copy exported first when stale), the dask runs on a fresh
``LocalCluster`` of ``--workers`` (``--memory-limit`` each): wall time, the command's
peak RSS, every worker's peak RSS after the two dask runs, and the staff and org files
of both engines compared (sorted, to 1e-12) — they must agree.

Prints a table and the load average before and after; writes WORK/bench_engines.json
(``--risk``: WORK/bench_engines_risk.json).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

BIN = Path(sys.executable).parent


def _cluster(a: argparse.Namespace):  # noqa: ANN202 - a distributed.LocalCluster
    """Our own cluster of ``--workers``: the CLI's default one is sized to the machine."""
    from distributed import LocalCluster

    return LocalCluster(
        n_workers=a.workers,
        threads_per_worker=1,
        processes=True,
        memory_limit=a.memory_limit,
        dashboard_address=":0",
    )


def _measured(args: list[str], env: dict[str, str]) -> dict[str, float]:
    """Wall seconds and peak RSS (GB) of one command, in a child process."""
    t = time.perf_counter()
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    out, err = proc.communicate()
    if status != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{err.decode()}")
    print(out.decode().strip())
    return {"wall_s": round(wall, 1), "peak_gb": round(usage.ru_maxrss / 2**20, 2)}


def _worker_peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True, help="store URL (LEARNMAP_DATABASE_URL)")
    ap.add_argument("--work", type=Path, required=True, help="folder for outputs and the copy")
    ap.add_argument("--as-of", default="2026-06-30")
    ap.add_argument("--policy", default="national-2025")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--memory-limit", default="6GiB", help="per worker")
    ap.add_argument("--partitions", type=int, default=None, help="default: by size")
    ap.add_argument("--report", action="store_true", help="also time `report` on both engines")
    ap.add_argument("--risk", action="store_true", help="time `risk` on both engines instead")
    a = ap.parse_args()
    if a.risk:
        return _risk(a)

    from engine.cluster import dask_client
    from engine.parquet import read_manifest
    from engine.policy import load_policy
    from engine.store import Store
    from features.partitioned import status_dask, status_pandas
    from features.snapshot import status_columns

    a.work.mkdir(parents=True, exist_ok=True)
    copy = a.work / "parquet"
    env = {**os.environ, "LEARNMAP_DATABASE_URL": a.db, "LEARNMAP_PARQUET_DIR": str(copy)}
    learnmap = [str(BIN / "python"), "-m", "engine.cli"]
    status = [*learnmap, "status", "--as-of", a.as_of, "--policy", a.policy, "-q", "--lang", "en"]
    load_before = os.getloadavg()
    res: dict[str, object] = {"db": a.db, "as_of": a.as_of, "policy": a.policy}

    res["pandas_cli"] = _measured([*status, "--out", str(a.work / "pandas.parquet")], env)
    export = [*learnmap, "export", "parquet", str(copy), "-q"]
    if a.partitions:
        export += ["--partitions", str(a.partitions)]
    res["export_cli"] = _measured(export, env)
    manifest = read_manifest(copy)
    res["partitions"] = manifest.partitions
    res["rows"] = manifest.rows
    # the CLI's own local cluster is sized to the machine; pin it with a scheduler of ours
    with _cluster(a) as cluster:
        res["dask_cli"] = _measured(
            [
                *status,
                "--engine",
                "dask",
                "--scheduler",
                cluster.scheduler_address,
                "--out",
                str(a.work / "dask.parquet"),
            ],
            env,
        )

        if a.report:
            report = [*learnmap, "report", "--as-of", a.as_of, "--policy", a.policy, "-q"]
            res["report_pandas_cli"] = _measured([*report, "--out", str(a.work / "rp")], env)
            res["report_dask_cli"] = _measured(
                [
                    *report,
                    "--engine",
                    "dask",
                    "--scheduler",
                    cluster.scheduler_address,
                    "--out",
                    str(a.work / "rd"),
                ],
                env,
            )

    policy = load_policy(a.policy)
    as_of = date.fromisoformat(a.as_of)
    with dask_client(
        n_workers=a.workers, memory_limit=a.memory_limit, dashboard_address=":0"
    ) as client:
        t = time.perf_counter()
        got = status_dask(copy, as_of, policy, client)
        res["dask_compute_s"] = round(time.perf_counter() - t, 1)  # workers import first
        t = time.perf_counter()
        status_dask(copy, as_of, policy, client)
        res["dask_compute_warm_s"] = round(time.perf_counter() - t, 1)
        peaks = client.run(_worker_peak_gb)
        res["worker_peak_gb"] = sorted(round(v, 2) for v in peaks.values())
    tables = Store(a.db).read_tables(status_columns(policy.kind), progress=False)
    t = time.perf_counter()
    want = status_pandas(tables, as_of, policy)
    res["pandas_compute_s"] = round(time.perf_counter() - t, 1)
    import pandas as pd

    pd.testing.assert_frame_equal(
        got.sort_values("staff_id").reset_index(drop=True),
        want.sort_values("staff_id").reset_index(drop=True),
    )
    res["same_frames"] = True
    res["staff_rows"] = len(want)
    res["load_before"] = [round(x, 2) for x in load_before]
    res["load_after"] = [round(x, 2) for x in os.getloadavg()]
    (a.work / "bench_engines.json").write_text(json.dumps(res, indent=1))
    print(json.dumps(res, indent=1))


def _same_files(want: Path, got: Path, key: str) -> None:
    import pandas as pd

    p, d = (pd.read_parquet(f).sort_values(key).reset_index(drop=True) for f in (want, got))
    pd.testing.assert_frame_equal(d, p, check_exact=False, rtol=1e-12, atol=1e-12)


def _risk(a: argparse.Namespace) -> None:
    """``--risk`` (see the module docstring)."""
    from distributed import Client

    a.work.mkdir(parents=True, exist_ok=True)
    copy = a.work / "parquet"
    env = {**os.environ, "LEARNMAP_DATABASE_URL": a.db, "LEARNMAP_PARQUET_DIR": str(copy)}
    learnmap = [str(BIN / "python"), "-m", "engine.cli"]
    risk = [*learnmap, "risk", "--as-of", a.as_of, "--policy", a.policy, "-q", "--lang", "en"]
    res: dict[str, object] = {"db": a.db, "as_of": a.as_of, "policy": a.policy}
    res["load_before"] = [round(x, 2) for x in os.getloadavg()]
    export = [*learnmap, "export", "parquet", str(copy), "-q"]
    if a.partitions:
        export += ["--partitions", str(a.partitions)]
    res["export_cli"] = _measured(export, env)
    for level in ("staff", "org"):
        out = a.work / f"risk-{level}-pandas.parquet"
        res[f"risk_{level}_pandas_cli"] = _measured(
            [*risk, "--level", level, "--out", str(out)], env
        )
    with _cluster(a) as cluster:
        for level in ("staff", "org"):
            out = a.work / f"risk-{level}-dask.parquet"
            args = ["--level", level, "--out", str(out), "--engine", "dask"]
            args += ["--scheduler", cluster.scheduler_address]
            res[f"risk_{level}_dask_cli"] = _measured([*risk, *args], env)
        with Client(cluster) as client:
            peaks = client.run(_worker_peak_gb)
        res["worker_peak_gb"] = sorted(round(v, 2) for v in peaks.values())
    for level, key in (("staff", "staff_id"), ("org", "org_id")):
        _same_files(
            a.work / f"risk-{level}-pandas.parquet", a.work / f"risk-{level}-dask.parquet", key
        )
    res["same_files"] = True
    res["load_after"] = [round(x, 2) for x in os.getloadavg()]
    (a.work / "bench_engines_risk.json").write_text(json.dumps(res, indent=1))
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
