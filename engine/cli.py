"""``learnmap``: the command line, the front door for people and scripts.

The engine's own commands live here (``demo-data``, ``ingest``, ``db``, ``policy``);
upper layers add theirs through the ``learnmap.commands`` entry-point group (each
entry is a ``register(subparsers)`` function), so the engine never imports them.

Exit status: 0 on success; 2 on bad input (every problem listed, nothing written,
no traceback); 1 on other errors.  Bad input is any deliberate ``LearnmapError`` (an
option value breaking a rule, a file, id or saved model that is missing or does not
match, an empty store, a store directory that cannot be written): ``main`` maps them
all to 2 except ``StoreError`` (the database cannot be reached, another writer held it
too long) and ``NotFittedError`` (a programming error), which are 1.  Output
cut short by a closed pipe (``learnmap profile … | head``) ends quietly with 141, the
status a shell reports for a writer stopped by SIGPIPE.

Modules: ``engine.cli_options`` (option types and checks other layers' commands use
too), ``engine.cli_commands`` (the engine's commands); here the parser, ``main`` and
the exit status.  The names other modules import from ``engine.cli`` are re-exported
here.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points
from pathlib import Path

from engine.cli_commands import (
    _cmd_db_info,
    _cmd_demo_data,
    _cmd_ingest,
    _cmd_policy_show,
    _cmd_template,
)
from engine.cli_commands import _print_problems as _print_problems  # models.risk.cli uses it
from engine.cli_options import (
    add_quiet,
    check_table_output,
    parse_date,
    positive_int,
    require_store,
)
from engine.errors import LearnmapError, PolicyError
from engine.schema import TABLE_ORDER

__all__ = [
    "EXAMPLES",
    "add_quiet",
    "build_parser",
    "check_table_output",
    "main",
    "parse_date",
    "positive_int",
    "require_store",
]


EXAMPLES = """\
examples (one per command; `learnmap COMMAND --help` for the rest):
  learnmap demo-data --out var/demo --orgs 200           # a demo dataset (ten CSV files)
  learnmap ingest var/demo                               # validate, load into the store
  learnmap db info                                       # row counts per table
  learnmap export parquet var/parquet                    # the store as partitioned Parquet
  learnmap template var/templates                        # XLSX fill-in templates
  learnmap policy show national-2025                     # the plan's quotas
  learnmap xapi pending                                  # xAPI statements waiting for a map
  learnmap audit --out var/audit.csv                     # who read or changed what (PIPL)
  learnmap import oulad OULAD_DIR --out var/oulad        # OULAD's files as a dataset
  learnmap import cnpc CNPC.csv --out var/cnpc           # Canvas Network person-course rows
  learnmap status --as-of 2026-06-30 --out var/status.csv    # everyone's compliance
  learnmap profile ST0000001 --as-of 2026-06-30          # one person's profile
  learnmap learning-map ST0000001 --out var/map.png      # skills and modules (or .json)
  learnmap report --as-of 2026-06-30 --out var/report    # programme tables and charts
  learnmap recommend ST0000001 --as-of 2026-06-30        # next modules, with reasons
  learnmap allocate --from 2026-07-01 --to 2026-09-30 --out var/seats.csv
  learnmap train --as-of 2026-06-30                      # fit the staff risk model
  learnmap risk --as-of 2026-06-30 --level org --out var/risk.csv
  learnmap experiment run experiments/configs/risk-national.toml --out var/runs/risk
  learnmap keys create --role admin                      # an API key (shown once)
  learnmap serve                                         # the HTTP API on 127.0.0.1:8000
environment:
  LEARNMAP_DATABASE_URL   store location (default sqlite:///var/learnmap.db; may be
                          postgresql+psycopg://user:pass@host/db)
  LEARNMAP_LANG           language of what people read: zh-CN (default) or en (--lang)
  LEARNMAP_MODEL_DIR      model artifacts of `train` (default var/models)
  LEARNMAP_CACHE_DIR      caches keyed by the store's data version (default var/cache)
  LEARNMAP_ENGINE         pandas (default) or dask: the engine of status (--engine)
  LEARNMAP_SCHEDULER      a Dask scheduler address (default: a local cluster; --scheduler)
  LEARNMAP_PARQUET_DIR    the Parquet copy the dask engine reads (default var/parquet)
  LEARNMAP_SYNONYMS       extra Chinese labels/headers for ingest (TOML files, a:b)
  LEARNMAP_DATA_PATH      folders where experiment configs look for datasets (a:b)
  LEARNMAP_API_POLICY     the API's policy (default national-2025)
  LEARNMAP_API_AS_OF      the API's serving date (default today at start-up)
  LEARNMAP_API_RECOMMENDER  the API's recommender (default hybrid)
  LEARNMAP_API_WARM       0 = do not precompute recommendations at API start-up
  LEARNMAP_API_MAX_BODY   largest request body in bytes (default 10 MiB)
  LEARNMAP_API_DATA_VERSION_SECONDS  how often the API reads the store's data version
  LEARNMAP_API_K_ANONYMITY  researchers' staff lists: k of k-anonymity (default 5)
  LEARNMAP_LOCK_TIMEOUT   seconds a writer waits for another ingest (then exits)
  LEARNMAP_CONSOLE_SESSION_HOURS  console sign-in lifetime (default 8)
  LEARNMAP_CONSOLE_SECURE_COOKIE  1 = console cookie only over HTTPS
  LEARNMAP_CONSOLE_RUNS_DIR  experiment runs the console lists (default var/runs)
  LEARNMAP_CONSOLE_SCREENSHOTS  where the browser tests put screenshots
  LEARNMAP_XAPI_POLICY    policy whose [online_hours] count xAPI 学时 (default cadre-online)
  LEARNMAP_XAPI_TZ        time zone of xAPI statement dates (default Asia/Shanghai)
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="learnmap",
        description="Learning analytics and recommendations for staff training programmes.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    parser.add_argument(
        "-q",
        "--quiet",
        dest="quiet_all",
        action="store_true",
        help="no progress bars for any command (they are also off when stderr is not a terminal)",
    )
    parser.add_argument(
        "--lang",
        help="language of headers, labels and messages: zh-CN (default) or en (also LEARNMAP_LANG)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser(
        "demo-data",
        help="write a realistic demo dataset (ten CSV files)",
        description="Write a complete demo dataset. Scenario national (default): "
        "the 2025-2027 national plan (about 2,000 offline and 6,500 online completed "
        "person-times a year per 2,300 organizations). Scenario cadre: a provincial "
        "cadre network academy, 2023-2027, hours and credits (sources 002, 004). "
        "Deterministic for a seed.",
    )
    p.add_argument(
        "--scenario",
        choices=("national", "cadre"),
        default="national",
        help="national (default) or cadre",
    )
    p.add_argument(
        "--truth",
        action="store_true",
        help="also write the generator's ground truth to OUT/_truth/ (never ingested)",
    )
    p.add_argument("--out", type=Path, required=True, help="directory to write <table>.csv into")
    p.add_argument(
        "--orgs",
        type=positive_int,
        default=None,
        help="national: organizations (default 2300, the national level); cadre: units "
        "of about 33 cadres each (default 600, about 20,000 cadres)",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument(
        "--start",
        type=parse_date,
        default=None,
        help="first day of activity (default 2025-01-01; cadre 2023-01-01)",
    )
    p.add_argument(
        "--end",
        type=parse_date,
        default=None,
        help="last day of activity (default 2027-12-31)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_demo_data)

    p = sub.add_parser(
        "ingest",
        help="validate files and load them into the store",
        description="Validate a dataset directory (<table>.csv|xlsx|parquet) or "
        "one file and upsert it into the store in one transaction. Any "
        "invalid row rejects the whole batch (exit status 2, every problem "
        "listed with file, row, column, value and rule). Re-ingesting the "
        "same data changes nothing.",
    )
    p.add_argument("path", type=Path, help="dataset directory or a single file")
    p.add_argument(
        "--table",
        choices=TABLE_ORDER,
        help="the table a single file holds (default: from the file name)",
    )
    p.add_argument("--json", action="store_true", help="machine-readable result and errors")
    add_quiet(p)
    p.set_defaults(func=_cmd_ingest)

    p = sub.add_parser(
        "template",
        help="write an XLSX fill-in template (填报模板) per table",
        description="Write <table>.xlsx for each of the ten tables into DIR: an "
        "instructions sheet (填表说明) and a sheet with Chinese headers (* = required), "
        "drop-downs for enumerations and 是/否 columns, and date formats. Fill them in "
        "and run `learnmap ingest DIR`.",
    )
    p.add_argument("dir", type=Path, help="folder to write the templates into")
    p.set_defaults(func=_cmd_template)

    p = sub.add_parser("db", help="inspect the store")
    dbsub = p.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    q = dbsub.add_parser("info", help="store location and row counts per table")
    q.add_argument("--json", action="store_true", help="machine-readable output")
    q.set_defaults(func=_cmd_db_info)

    p = sub.add_parser("policy", help="show the training policies")
    psub = p.add_subparsers(dest="policy_command", metavar="ACTION", required=True)
    q = psub.add_parser("show", help="print a policy preset or file, validated")
    q.add_argument("policy", help="preset name (national-2025, cadre-hours, credits) or a file")
    q.set_defaults(func=_cmd_policy_show)

    from engine.export_cli import register as register_export
    from engine.xapi.cli import register as register_xapi

    register_export(sub)
    register_xapi(sub)
    for ep in entry_points(group="learnmap.commands"):
        ep.load()(sub)
    _add_lang(sub)
    return parser


def _add_lang(sub: argparse._SubParsersAction, nested: bool = False) -> None:
    """``learnmap status --lang en`` and ``learnmap keys create --lang en`` as well as
    ``learnmap --lang en …``.  A nested command's option has no default, so that it
    does not undo ``learnmap keys --lang en create`` (argparse lets a subcommand's
    defaults overwrite what its parent parsed)."""
    for cmd in sub.choices.values():
        if not any("--lang" in a.option_strings for a in cmd._actions):
            extra = {"default": argparse.SUPPRESS} if nested else {}
            cmd.add_argument("--lang", dest="lang_cmd", help="zh-CN (default) or en", **extra)
        for action in cmd._actions:
            if isinstance(action, argparse._SubParsersAction):
                _add_lang(action, nested=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from engine import progress

    quiet_before = progress._state["quiet"]
    progress.configure(quiet=args.quiet_all or bool(getattr(args, "quiet", False)))
    import os

    lang = getattr(args, "lang_cmd", None) or args.lang
    before = os.environ.get("LEARNMAP_LANG")
    try:
        if lang:
            from engine.labels import get_lang

            os.environ["LEARNMAP_LANG"] = get_lang(lang)
        return _run(args)
    except LearnmapError as exc:  # --lang itself
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:  # main() called in-process (tests, scripts) leaves the environment as it was
        progress.configure(quiet=quiet_before)
        if lang:
            if before is None:
                os.environ.pop("LEARNMAP_LANG", None)
            else:
                os.environ["LEARNMAP_LANG"] = before


def _run(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        status = int(args.func(args))
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        return status
    except BrokenPipeError:
        if not _stdout_closed():
            raise  # another pipe (a worker process, a socket): a real error
        _silence_stdout()
        return 141
    except PolicyError as exc:
        _say_error(exc)
        return 2
    except LearnmapError as exc:
        from engine.errors import NotFittedError, StoreAccessError, StoreError

        _say_error(exc)
        if isinstance(exc, StoreAccessError):
            return 2  # a read-only or missing store directory: a setting to fix
        return 1 if isinstance(exc, StoreError | NotFittedError) else 2  # see the docstring


def _say_error(exc: Exception) -> None:
    """``错误：…`` / ``error: …`` on stderr (the catalogue's ``error_line``); plain
    ``error: …`` when the language setting is itself what is wrong."""
    from engine.labels import text

    try:
        from engine.errors import rule_words

        line = text("error_line", message=rule_words(exc))
    except LearnmapError:  # LEARNMAP_LANG names no language
        line = f"error: {exc}"
    print(line, file=sys.stderr)


def _stdout_closed() -> bool:
    """Whether the reader of our stdout went away (the pipe's write end reports an
    error); True where that cannot be asked (no ``select.poll``)."""
    import select

    if not hasattr(select, "poll"):
        return True
    try:
        poll = select.poll()
        poll.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & select.POLLERR for _, events in poll.poll(0))
    except (AttributeError, OSError, ValueError):  # stdout without a file (tests)
        return False


def _silence_stdout() -> None:
    """After a reader closed our stdout (``| head``): send what is left to devnull, so
    Python's own flush at exit does not print a second BrokenPipeError."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):  # stdout without a file (tests)
        pass


if __name__ == "__main__":
    sys.exit(main())
