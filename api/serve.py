"""``learnmap serve``: its options and the command, importable without pandas.

``learnmap`` starts through ``engine.launch``, which hands ``serve`` straight to
:func:`fast_main` (entry point group ``learnmap.fast``) before the full command line —
and with it pandas, SQLAlchemy and every subcommand — is imported.  That keeps the
listening socket (``api.boot`` answers ``/healthz`` while the application is imported
on a thread) within a fraction of a second of the process start (issue 22: alive
within 1 s).  The same :func:`add_parser` defines the options for the full command
line (``learnmap --help`` lists ``serve``), so there is one definition of them.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

DESCRIPTION = (
    "Serve the HTTP API on the store (LEARNMAP_DATABASE_URL) with the models of "
    "LEARNMAP_MODEL_DIR. The recommender is loaded from its saved artifact when model, "
    "date and data match, else fitted (and saved) at start-up; /readyz says when the "
    "service is ready. OpenAPI at /openapi.json, docs at /docs."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1 (loopback only)")
    p.add_argument("--port", type=int, default=8000, help="default 8000")
    p.add_argument(
        "--workers", type=int, default=1, help="processes (each loads the models; default 1)"
    )
    p.add_argument("--log-level", default="info", choices=("debug", "info", "warning", "error"))
    p.add_argument("--no-access-log", action="store_true", help="do not log every request")
    p.set_defaults(func=run)


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("serve", help="serve the HTTP API (uvicorn)", description=DESCRIPTION)
    add_arguments(p)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    uvicorn.run(
        "api.boot:create_boot",  # answers /healthz while api.app is imported
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        access_log=not args.no_access_log,
    )
    return 0


def fast_main(argv: Sequence[str]) -> int:
    """``learnmap serve ARGS`` without the rest of the command line (``argv`` is what
    follows ``serve``)."""
    p = argparse.ArgumentParser(prog="learnmap serve", description=DESCRIPTION)
    add_arguments(p)
    return run(p.parse_args(list(argv)))
