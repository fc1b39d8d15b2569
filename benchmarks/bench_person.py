"""One person's ``profile`` and ``learning-map`` at national scale (issue 6, item 11):
targeted reads (``features.person``) against the whole-store path, cold and warm
population-statistics cache, next to a bare read of the participations table measured
in the same run.

    nice .venv/bin/python benchmarks/bench_person.py [--orgs 40000] [--work /tmp/bench-person]
        [--repeat 5] [--compare /path/to/main/checkout]

Generates the demo data (``--orgs`` organizations) into WORK/data and ingests it into
WORK/store.db unless they exist, then times, in this process:

- one-off: building the ``staff_id`` indexes the targeted reads use, if missing;
- baseline: ``Store.load_table("participations")`` (a bare read of one table);
- whole store: ``Store.load()`` + snapshot + the profile record of one person (the path
  before item 11), once;
- person path, for ``--people`` staff: profile and learning map (JSON), with nothing
  cached (the first call of a data version reads the score facts, ``engine.stats``),
  then for new as-of dates once the facts exist (``engine.stats.warm``, meant to run
  after each ingest; its own cost is shown), and warm;
- the ``learnmap profile`` and ``learnmap learning-map`` commands end to end (a new
  interpreter: imports included), nothing cached / new date after warm / warm (median
  of ``--repeat`` runs); with ``--compare DIR`` the same commands of another checkout
  (e.g. main, ``PYTHONPATH=DIR``) alternate with this one's, so before and after are
  measured in the same run under the same load.

Checks that every person-path answer equals the whole-store one (and, with
``--compare``, that both checkouts' commands give the same answers), prints a table and
writes WORK/bench_person.png.  Target: ≤ 1 s per person at 40,000 organizations.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
from timing import Secs, median, wall_cpu_chart

from engine.demo import DemoSpec, generate, write_dataset
from engine.ingest import ingest
from engine.reads import cache_dir, ensure_person_indexes
from engine.stats import warm
from engine.store import Store
from features.cli import profile_record
from features.graph import learning_map, to_json
from features.mastery import skill_mastery
from features.person import person_view
from features.snapshot import snapshot

AS_OF = "2026-06-30"
POLICY = "national-2025"


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def clock() -> Secs:
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return Secs(time.perf_counter(), time.process_time() + kids.ru_utime + kids.ru_stime)


def timed(fn):  # noqa: ANN001, ANN201
    t0 = clock()
    out = fn()
    t1 = clock()
    return out, Secs(t1.wall - t0.wall, t1.cpu - t0.cpu)


def mean(xs: list[Secs]) -> Secs:
    return Secs(sum(x.wall for x in xs) / len(xs), sum(x.cpu for x in xs) / len(xs))


def person_profile(store: Store, sid: str) -> dict:
    view = person_view(store, sid, AS_OF)
    return profile_record(view.snap, sid, POLICY, view.mastery)


def person_map(store: Store, sid: str) -> dict:
    view = person_view(store, sid, AS_OF)
    return to_json(learning_map(view.snap, sid, view.mastery))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orgs", type=int, default=40_000)
    ap.add_argument("--work", type=Path, default=Path("/tmp/bench-person"))
    ap.add_argument("--people", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=5, help="runs per process measurement")
    ap.add_argument(
        "--compare",
        type=Path,
        help="another checkout (e.g. main): its commands are timed too, alternating with "
        "this one's, under the same load (run with PYTHONPATH=DIR)",
    )
    args = ap.parse_args()
    load0 = os.getloadavg()
    data, db = args.work / "data", args.work / "store.db"
    url = f"sqlite:///{db}"
    if not (data / "staff.csv").exists():
        _, secs = timed(lambda: write_dataset(generate(DemoSpec(orgs=args.orgs)), data))
        print(f"generated {args.orgs:,} organizations in {secs.wall:.1f}s")
    store = Store(url)
    if not db.exists():
        _, secs = timed(lambda: ingest(data, store, progress=True))
        print(f"ingested in {secs.wall:.1f}s")
    os.environ["LEARNMAP_DATABASE_URL"] = url
    counts = store.counts()
    print(
        f"store: {counts['staff']:,} staff, {sum(counts.values()):,} rows "
        f"({counts['participations']:,} participations)"
    )
    rows = []
    _, secs = timed(lambda: ensure_person_indexes(store))
    rows.append(("one-off: staff_id indexes (if missing)", secs))
    _, base = timed(lambda: store.load_table("participations"))
    rows.append(("baseline: read participations table", base))

    def whole(sid: str) -> tuple[dict, object]:
        snap = snapshot(store.load(), AS_OF)
        return profile_record(snap, sid, POLICY), snap

    staff = pd.read_csv(data / "staff.csv", usecols=["staff_id", "hired_on"])
    scored = set(pd.read_csv(data / "assessments.csv", usecols=["staff_id"])["staff_id"])
    known = staff[staff["hired_on"] <= AS_OF]
    people = known[known["staff_id"].isin(scored)]["staff_id"].sample(args.people, random_state=0)
    people = people.tolist()
    (first, snap), secs = timed(lambda: whole(people[0]))
    rows.append(("whole store: load + profile of 1 person", secs))
    everyone = skill_mastery(snap)  # the whole store's, for the other people's checks

    shutil.rmtree(cache_dir(store), ignore_errors=True)
    cold, warm_, maps = [], [], []
    for i, sid in enumerate(people):
        rec, secs = timed(lambda sid=sid: person_profile(store, sid))
        (cold if i == 0 else warm_).append(secs)
        want = first if i == 0 else profile_record(snap, sid, POLICY, everyone)
        assert rec == want, f"profile of {sid} differs from the whole-store path"
        lm, secs = timed(lambda sid=sid: person_map(store, sid))
        maps.append(secs)
        assert json.dumps(lm, default=str) == json.dumps(
            to_json(learning_map(snap, sid, everyone)), default=str
        ), f"learning map of {sid} differs"
    rows.append(("person: profile, nothing cached (new data version)", cold[0]))
    # what ``engine.stats.warm`` (run after an ingest) costs, and the first call for a
    # new date once it has run
    shutil.rmtree(cache_dir(store), ignore_errors=True)
    _, secs = timed(lambda: warm(store))
    rows.append(("one-off after ingest: engine.stats.warm (score facts)", secs))
    fresh = [f"2026-07-{d:02d}" for d in range(1, 4)]
    news = [timed(lambda d=d: person_view(store, people[0], d))[1] for d in fresh]
    rows.append((f"person: profile data, new date (mean of {len(news)})", mean(news)))
    rows.append((f"person: profile, warm (mean of {len(warm_)})", mean(warm_)))
    rows.append(("person: profile, warm (max)", max(warm_)))
    rows.append((f"person: learning map JSON, warm (mean of {len(maps)})", mean(maps)))
    # the commands end to end, each in a new interpreter (imports included), run in
    # WORK so that ``python -m`` finds the project only through the venv (or through
    # PYTHONPATH for ``--compare``); with ``--compare`` both checkouts alternate
    trees = {"": None}
    if args.compare:
        trees = {" [compare]": str(args.compare.resolve()), "": None}

    def process(argv: list[str], path: str | None) -> tuple[Secs, bytes]:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        if path:
            env["PYTHONPATH"] = path
        run = [sys.executable, *argv]
        done, secs = timed(
            lambda: subprocess.run(run, check=True, capture_output=True, env=env, cwd=args.work)
        )
        return secs, done.stdout

    def command(kind: str, sid: str, day: str, path: str | None) -> tuple[Secs, bytes]:
        """The command's time and its answer (the profile JSON, or the map file)."""
        if kind == "profile":
            return process(["-m", "engine.cli", "profile", sid, "--as-of", day, "--json"], path)
        out = args.work / "lm.json"
        secs, _ = process(
            ["-m", "engine.cli", "learning-map", sid, "--as-of", day, "--out", str(out)], path
        )
        return secs, out.read_bytes()

    days = iter(f"2026-{m:02d}-{d:02d}" for m in range(8, 13) for d in range(1, 29))
    n = args.repeat
    for kind in ("profile", "learning-map"):
        answers = {}
        for tag, path in trees.items():
            shutil.rmtree(cache_dir(store), ignore_errors=True)
            secs, answers[tag] = command(kind, people[1], AS_OF, path)
            rows.append((f"`learnmap {kind}`, nothing cached (process){tag}", secs))
        assert len(set(answers.values())) == 1, f"{kind}: the checkouts answer differently"
        warm(store)
        new = {tag: [] for tag in trees}
        hot = {tag: [] for tag in trees}
        for i in range(n):  # a date no run has asked for: its statistics are computed
            for tag, path in trees.items():
                new[tag].append(command(kind, people[1 + i % 3], next(days), path)[0])
        for i in range(n):
            for tag, path in trees.items():
                secs, answers[tag] = command(kind, people[1 + i % 3], AS_OF, path)
                hot[tag].append(secs)
            assert len(set(answers.values())) == 1, f"{kind}: the checkouts answer differently"
        for tag in trees:
            rows.append(
                (
                    f"`learnmap {kind}`, after warm, new date (process, median of {n}){tag}",
                    median(new[tag]),
                )
            )
            rows.append(
                (f"`learnmap {kind}`, warm (process, median of {n}){tag}", median(hot[tag]))
            )
    probe = ["-c", "import engine.cli, features.cli, pandas, sqlalchemy"]
    for tag, path in trees.items():
        secs = median([process(probe, path)[0] for _ in range(n)])
        rows.append(
            (f"  interpreter start + engine.cli, features.cli, pandas, SQLAlchemy{tag}", secs)
        )
    secs = median([process(["-c", "pass"], None)[0] for _ in range(n)])
    rows.append(("  baseline: interpreter start (python -c pass)", secs))
    width = max(len(r[0]) for r in rows)
    print(f"\none person as of {AS_OF} ({len(people)} people, answers equal the whole store's)")
    print(f"  {'':<{width}}  {'wall':>7}    {'CPU':>7}")
    for name, secs in rows:
        print(f"  {name:<{width}}  {secs.wall:7.3f} s  {secs.cpu:7.3f} s")
    print(f"  load average before / after: {load0} / {os.getloadavg()}")
    print(f"  peak memory of this process {peak_gb():.2f} GB")
    out = wall_cpu_chart(
        rows,
        args.work / "bench_person.png",
        f"one person at {counts['staff']:,} staff",
        load0,
        width=12,
        row_height=0.3,
        log=True,
        target=1.0,
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
