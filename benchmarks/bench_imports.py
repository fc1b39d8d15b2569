"""Start-up cost of the ``learnmap`` commands a person waits for (issue 6, item 11):
each command run in a fresh interpreter against a tiny store (so what is timed is
Python's start, the imports of the command's path and a few milliseconds of work),
next to the baseline ``python -c pass`` measured in the same run.

    nice .venv/bin/python benchmarks/bench_imports.py [--runs 9] [--work /tmp/bench-imports]
        [--compare /path/to/other/checkout]

With ``--compare DIR`` every case also runs with ``PYTHONPATH=DIR`` (another checkout
of the project, e.g. main), interleaved with this one, so both are measured under the
same load (every case runs in WORK, so ``python -c`` does not find the project
through the current directory).  Prints, per case, the median wall and CPU seconds over ``--runs`` runs
(runs interleaved across cases) and the same minus the baseline, and which heavy
packages the command loaded; writes WORK/bench_imports.png.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

from timing import Secs, median, wall_cpu_chart

AS_OF = "2026-06-30"
HEAVY = (
    "pandas",
    "pyarrow",
    "sqlalchemy",
    "pydantic",
    "networkx",
    "scipy",
    "sklearn",
    "matplotlib",
    "fastapi",
    "joblib",
    "tqdm",
)
# the ``learnmap`` console script: ``sys.exit(engine.cli.main())``
SCRIPT = "import sys; from engine.cli import main; sys.exit(main())"
PROBE = """\
import json, sys
from engine.cli import main
try:
    main(sys.argv[1:])
finally:
    print("MODULES " + json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""


class Case(NamedTuple):
    name: str
    argv: list[str]  # after ``python``
    learnmap: list[str] | None  # the command's arguments, for the module probe


def run_once(argv: list[str], env: dict[str, str], cwd: Path) -> Secs:
    kids0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, *argv], env=env, cwd=cwd, check=True, capture_output=True)
    wall = time.perf_counter() - t0
    kids1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (kids1.ru_utime - kids0.ru_utime) + (kids1.ru_stime - kids0.ru_stime)
    return Secs(wall, cpu)


def loaded(args: list[str], env: dict[str, str], cwd: Path) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, *args], env=env, cwd=cwd, capture_output=True, text=True
    ).stdout
    line = [x for x in out.splitlines() if x.startswith("MODULES ")][-1]
    return [m for m in HEAVY if m in json.loads(line.removeprefix("MODULES "))]


def prepare(work: Path) -> tuple[str, str]:
    """A 60-organization demo store in WORK (made once); its URL and a person."""
    import pandas as pd

    from engine.demo import DemoSpec, generate, write_dataset
    from engine.ingest import ingest
    from engine.store import Store

    db = work / "store.db"
    url = f"sqlite:///{db}"
    tables = generate(DemoSpec(orgs=60, seed=5))
    if not db.exists():
        write_dataset(tables, work / "data")
        ingest(work / "data", Store(url))  # also prepares the one-person reads
    staff, scored = tables["staff"], set(tables["assessments"]["staff_id"])
    known = staff[(staff["hired_on"] <= pd.Timestamp(AS_OF)) & staff["staff_id"].isin(scored)]
    return url, str(known["staff_id"].iloc[0])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--work", type=Path, default=Path("/tmp/bench-imports"))
    ap.add_argument("--compare", type=Path, help="another checkout, run with PYTHONPATH=DIR")
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    url, sid = prepare(args.work)
    env = {**os.environ, "LEARNMAP_DATABASE_URL": url}
    env.pop("PYTHONPATH", None)
    trees = {"this": env}
    if args.compare:
        trees = {"compare": {**env, "PYTHONPATH": str(args.compare.resolve())}, "this": env}
    out = str(args.work / "lm.json")
    commands = {
        "learnmap --help (all commands' parsers)": ["--help"],
        "learnmap profile": ["profile", sid, "--as-of", AS_OF, "--json"],
        "learnmap learning-map (JSON)": ["learning-map", sid, "--as-of", AS_OF, "--out", out],
    }
    cases = [
        Case("baseline: python -c pass", ["-c", "pass"], None),
        Case("floor: import pandas, sqlalchemy", ["-c", "import pandas, sqlalchemy"], None),
    ] + [Case(name, ["-c", SCRIPT, *cmd], cmd) for name, cmd in commands.items()]
    load0 = os.getloadavg()
    times: dict[tuple[str, str], list[Secs]] = {}
    for e in trees.values():  # one untimed run each: the .pyc files are written
        for case in cases:
            run_once(case.argv, e, args.work)
    for _ in range(args.runs):
        for case in cases:
            for tree, e in trees.items():
                times.setdefault((tree, case.name), []).append(run_once(case.argv, e, args.work))
    load1 = os.getloadavg()

    def med(key: tuple[str, str]) -> Secs:
        return median(times[key])

    rows = []
    width = max(len(c.name) for c in cases) + 10
    print(f"median of {args.runs} runs per case, interleaved; store {url}, person {sid}")
    print(f"  {'':<{width}}  {'wall':>7}  {'CPU':>7}  {'wall-base':>9}  {'CPU-base':>8}  loads")
    for tree, e in trees.items():
        base = med((tree, cases[0].name))
        for case in cases:
            m = med((tree, case.name))
            label = f"{case.name} [{tree}]" if len(trees) > 1 else case.name
            heavy = ", ".join(loaded(case.learnmap, e, args.work)) if case.learnmap else ""
            rows.append((label, m, Secs(m.wall - base.wall, m.cpu - base.cpu)))
            print(
                f"  {label:<{width}}  {m.wall:6.3f}s  {m.cpu:6.3f}s  {m.wall - base.wall:8.3f}s"
                f"  {m.cpu - base.cpu:7.3f}s  {heavy}"
            )
    print(f"  load average before / after: {load0} / {load1}")

    png = wall_cpu_chart(
        [(r[0], r[1]) for r in rows],
        args.work / "bench_imports.png",
        "learnmap start-up per command",
        load0,
    )
    print(f"wrote {png}")


if __name__ == "__main__":
    main()
