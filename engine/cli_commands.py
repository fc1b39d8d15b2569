"""The engine's own commands behind ``learnmap`` (``demo-data``, ``ingest``,
``template``, ``db info``, ``policy show``): each takes the parsed arguments, prints
for people or ``--json`` for scripts, and returns the exit status (see
``engine.cli``).

What people read comes from the label catalogue (``engine.labels.text``: Chinese by
default, English with ``--lang en``); tables are named by their label and their code
(``人员名册（staff）``), the code being the file name people give ingest.  ``--json``
output, the per-problem lines of a refused ingest (file, row, column, value and the
rule, which the validators write in English) and ``policy show`` stay as they are.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from engine.errors import InputFileError, LearnmapError, StoreBusyError, ValidationError, rule_words
from engine.labels import display_width, label, pad, text
from engine.schema import TABLE_ORDER

if TYPE_CHECKING:
    from engine.store import Store


def _table_names(names: list[str]) -> dict[str, str]:
    """Each table's name as people read it, padded to one width (a column of a table)."""
    shown = {n: text("table_name", label=label("table", n), table=n) for n in names}
    width = max((display_width(v) for v in shown.values()), default=0)
    return {n: pad(v, width) for n, v in shown.items()}


def _numbers(values: list[int]) -> list[str]:
    """``values`` with thousands separators, right-aligned to the widest."""
    shown = [f"{v:,}" for v in values]
    width = max(map(len, shown), default=0)
    return [v.rjust(width) for v in shown]


def _print_counts(counts: dict[str, int]) -> None:
    names = _table_names(list(counts))
    for name, n in zip(counts, _numbers(list(counts.values())), strict=True):
        print("  " + text("count_line", table=names[name], n=n))


def _cmd_demo_data(args: argparse.Namespace) -> int:
    from engine.demo import DemoSpec, write_demo
    from engine.demo.truth import TRUTH_DIR

    t0 = time.perf_counter()
    spec = DemoSpec(
        orgs=args.orgs, seed=args.seed, start=args.start, end=args.end, scenario=args.scenario
    ).resolved()
    assert spec.orgs is not None and spec.start is not None and spec.end is not None
    if spec.end < spec.start:  # checked before anything is generated or written
        start = "--start" if args.start else text("option_default", option="--start")
        end = "--end" if args.end else text("option_default", option="--end")
        said = text("demo_period", start=start, first=spec.start, end=end, last=spec.end)
        raise LearnmapError(said)
    big = spec.orgs >= (20_000 if spec.scenario == "national" else 1_000)
    progress = not args.quiet and big
    counts = write_demo(spec, args.out, progress=progress, truth=args.truth)
    if args.truth:
        folder = Path(args.out) / TRUTH_DIR
        print(text("demo_truth", folder=folder))
    print(text("demo_written", path=args.out, seconds=f"{time.perf_counter() - t0:.1f}"))
    _print_counts(counts)
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
    head = text("ingest_rejected_one") if n == 1 else text("ingest_rejected", n=f"{n:,}")
    print(head, file=sys.stderr)
    for p in exc.problems:
        print(f"  {p.line()}", file=sys.stderr)


_COUNTS = ("new", "updated", "unchanged")


def _store_place(store: Store) -> str:
    url = store.engine.url
    return url.database or url.render_as_string(hide_password=True)


def _waiting_sayer(store: Store, seconds: float) -> Callable[[str], None]:
    """What ``ingest`` says once when another writer holds the store: the lock's own
    message is English (it is logged too); people read the catalogue's."""

    def say(_message: str) -> None:
        said = text("ingest_waiting", store=_store_place(store), seconds=f"{seconds:.0f}")
        print(said, file=sys.stderr, flush=True)

    return say


def _cmd_ingest(args: argparse.Namespace) -> int:
    from engine.ingest import ingest
    from engine.store import Store
    from engine.store.lock import lock_timeout

    t0 = time.perf_counter()
    store = Store()
    limit = lock_timeout()  # a bad LEARNMAP_LOCK_TIMEOUT is refused here, before waiting
    try:
        say = _waiting_sayer(store, limit)
        counts = ingest(args.path, store, table=args.table, progress=None, on_wait=say)
    except StoreBusyError as exc:  # waited ``limit`` seconds: say so in the reader's words
        where = _store_place(store)
        raise StoreBusyError(text("ingest_busy", store=where, seconds=f"{limit:.0f}")) from exc
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
            print(text("ingest_rejected_file", reason=rule_words(exc)), file=sys.stderr)
        return 2
    from engine.xapi.cli import apply_after_ingest

    xapi = apply_after_ingest(counts)
    if args.json:
        json.dump({"ok": True, "tables": {t: vars(c) for t, c in counts.items()}}, sys.stdout)
        print()
        return 0
    print(text("ingest_done", path=args.path, seconds=f"{time.perf_counter() - t0:.1f}"))
    names = _table_names(list(counts))
    new, upd, same = (_numbers([getattr(c, f) for c in counts.values()]) for f in _COUNTS)
    for i, name in enumerate(counts):
        line = text("ingest_line", table=names[name], new=new[i], updated=upd[i], unchanged=same[i])
        print("  " + line)
    if xapi is not None:
        print(
            "  " + text("ingest_xapi", applied=xapi.applied, pending=xapi.pending, held=xapi.held)
        )
    return 0


def _cmd_template(args: argparse.Namespace) -> int:
    from engine.template import write_templates

    if args.dir.exists() and not args.dir.is_dir():
        raise LearnmapError(text("template_is_file", dir=args.dir))
    files = write_templates(args.dir)
    names = text("list_sep").join(f.name for f in files)
    print(text("template_written", n=len(files), dir=args.dir, files=names))
    print(text("template_next", dir=args.dir))
    return 0


def _cmd_db_info(args: argparse.Namespace) -> int:
    from engine.store import Store

    store = Store()
    counts = store.counts()
    if args.json:
        json.dump({"url": store.url, "counts": counts}, sys.stdout)
        print()
        return 0
    print(text("db_store", url=store.url))
    _print_counts({name: counts[name] for name in TABLE_ORDER})
    return 0


def _cmd_policy_show(args: argparse.Namespace) -> int:
    from engine.policy import load_policy

    policy = load_policy(args.policy)
    print(json.dumps(policy.model_dump(mode="json"), ensure_ascii=False, indent=2))
    return 0
