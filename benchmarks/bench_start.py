"""How soon ``learnmap serve`` answers ``/healthz`` after the process starts (issue 22:
within 1 s), and when ``/readyz`` first answers from the application, against the same
interpreter importing the full command line (``learnmap --help``) as the baseline.

    nice .venv/bin/python benchmarks/bench_start.py [--runs 3] [--port 8791]

Uses the store and models the environment names (``LEARNMAP_DATABASE_URL``,
``LEARNMAP_MODEL_DIR``); e.g. the national demo:

    learnmap demo-data --out /tmp/natdemo/data --seed 7
    LEARNMAP_DATABASE_URL=sqlite:////tmp/natdemo/l.db learnmap ingest /tmp/natdemo/data
    LEARNMAP_DATABASE_URL=sqlite:////tmp/natdemo/l.db LEARNMAP_MODEL_DIR=/tmp/natdemo/models \\
        python benchmarks/bench_start.py

Polls every 10 ms; each run starts a fresh server process and stops it after
``/readyz`` answers.  Prints one line per run and the load average.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

BIN = Path(sys.executable).parent


def _ok(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=1) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


def one_run(port: int, timeout: float = 120.0) -> tuple[float, float]:
    base = f"http://127.0.0.1:{port}"
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [str(BIN / "learnmap"), "serve", "--port", str(port), "--no-access-log"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    alive = answered = float("nan")
    try:
        while time.perf_counter() - t0 < timeout:
            if alive != alive and _ok(base + "/healthz") == 200:
                alive = time.perf_counter() - t0
            if alive == alive and _ok(base + "/readyz") not in (None,) and _app_up(base):
                answered = time.perf_counter() - t0
                break
            time.sleep(0.01)
    finally:
        proc.terminate()
        proc.wait()
    return alive, answered


def _app_up(base: str) -> bool:
    """``/readyz`` answered by the application itself (not the boot shim's importing)."""
    try:
        with urllib.request.urlopen(base + "/readyz", timeout=1) as r:
            body = r.read()
    except urllib.error.HTTPError as exc:
        body = exc.read()
    except OSError:
        return False
    return b'"importing"' not in body


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--port", type=int, default=8791)
    args = ap.parse_args()
    print(f"store {os.environ.get('LEARNMAP_DATABASE_URL', 'sqlite:///var/learnmap.db')}")
    print(f"load before: {os.getloadavg()}")
    for i in range(args.runs):
        t0 = time.perf_counter()
        subprocess.run([str(BIN / "learnmap"), "--help"], stdout=subprocess.DEVNULL, check=True)
        full = time.perf_counter() - t0
        alive, app = one_run(args.port)
        print(
            f"run {i + 1}: /healthz {alive:.2f} s after start; application answering "
            f"{app:.2f} s; baseline `learnmap --help` {full:.2f} s"
        )
    print(f"load after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
