"""The engine's own commands behind ``learnmap`` (``demo-data``, ``ingest``,
``template``, ``db info``, ``policy show``): each takes the parsed arguments, prints
for people or ``--json`` for scripts, and returns the exit status (see
``engine.cli``)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from engine.errors import InputFileError, LearnmapError, ValidationError
from engine.schema import TABLE_ORDER


def _cmd_demo_data(args: argparse.Namespace) -> int:
    from engine.demo import DemoSpec, write_demo
    from engine.demo.truth import TRUTH_DIR

    t0 = time.perf_counter()
    spec = DemoSpec(
        orgs=args.orgs, seed=args.seed, start=args.start, end=args.end, scenario=args.scenario
    ).resolved()
    assert spec.orgs is not None and spec.start is not None and spec.end is not None
    if spec.end < spec.start:  # checked before anything is generated or written
        start = "--start" if args.start else "--start (default)"
        end = "--end" if args.end else "--end (default)"
        raise LearnmapError(
            f"{start} {spec.start} is after {end} {spec.end}: the activity period must "
            "end on or after its first day"
        )
    big = spec.orgs >= (20_000 if spec.scenario == "national" else 1_000)
    progress = not args.quiet and big
    counts = write_demo(spec, args.out, progress=progress, truth=args.truth)
    if args.truth:
        folder = Path(args.out) / TRUTH_DIR
        print(f"wrote the ground truth to {folder} (see its README.md)")
    print(f"wrote {args.out} in {time.perf_counter() - t0:.1f}s")
    for name, n in counts.items():
        print(f"  {name:<18} {n:>12,}")
    return 0


def _print_problems(exc: ValidationError, as_json: bool) -> None:
    if as_json:
        json.dump(
            {"ok": False, "problems": [p.to_dict() for p in exc.problems]},
            sys.stdout,
            ensure_ascii=False,
            indent=1,
        )
        print()
        return
    n = len(exc.problems)
    print(f"rejected: {n} problem{'s' if n != 1 else ''}; nothing was written", file=sys.stderr)
    for p in exc.problems:
        print(f"  {p}", file=sys.stderr)


def _say_waiting(message: str) -> None:
    print(f"{message} …", file=sys.stderr, flush=True)


def _cmd_ingest(args: argparse.Namespace) -> int:
    from engine.ingest import ingest
    from engine.store import Store

    t0 = time.perf_counter()
    try:
        counts = ingest(args.path, Store(), table=args.table, progress=None, on_wait=_say_waiting)
    except ValidationError as exc:
        _print_problems(exc, args.json)
        return 2
    except InputFileError as exc:
        if args.json:
            json.dump(
                {
                    "ok": False,
                    "problems": [
                        {
                            "file": str(args.path),
                            "row": 0,
                            "column": "",
                            "value": "",
                            "rule": str(exc),
                        }
                    ],
                },
                sys.stdout,
                ensure_ascii=False,
            )
            print()
        else:
            print(f"rejected: {exc}; nothing was written", file=sys.stderr)
        return 2
    from engine.xapi.cli import apply_after_ingest

    xapi = apply_after_ingest(counts)
    if args.json:
        json.dump({"ok": True, "tables": {t: vars(c) for t, c in counts.items()}}, sys.stdout)
        print()
        return 0
    print(f"ingested {args.path} in {time.perf_counter() - t0:.1f}s")
    for name, c in counts.items():
        print(f"  {name:<18} {c.new:>10,} new {c.updated:>8,} updated {c.unchanged:>10,} unchanged")
    if xapi is not None:
        print(
            f"  xAPI statements that waited for these maps: {xapi.applied} applied, "
            f"{xapi.pending} still pending, {xapi.held} held (learnmap xapi pending)"
        )
    return 0


def _cmd_template(args: argparse.Namespace) -> int:
    from engine.template import write_templates

    if args.dir.exists() and not args.dir.is_dir():
        raise LearnmapError(f"{args.dir}: is a file; give a folder for the templates")
    files = write_templates(args.dir)
    print(f"wrote {len(files)} templates to {args.dir}: {', '.join(f.name for f in files)}")
    print(f"fill them in, then: learnmap ingest {args.dir}")
    return 0


def _cmd_db_info(args: argparse.Namespace) -> int:
    from engine.store import Store

    store = Store()
    counts = store.counts()
    if args.json:
        json.dump({"url": store.url, "counts": counts}, sys.stdout)
        print()
        return 0
    print(f"store: {store.url}")
    for name in TABLE_ORDER:
        print(f"  {name:<18} {counts[name]:>12,}")
    return 0


def _cmd_policy_show(args: argparse.Namespace) -> int:
    from engine.policy import load_policy

    policy = load_policy(args.policy)
    print(json.dumps(policy.model_dump(mode="json"), ensure_ascii=False, indent=2))
    return 0
