"""The ``learnmap`` program's entry point: a fast path, then the full command line.

A command an upper layer registers in the entry point group ``learnmap.fast`` (today
only ``serve``, ``api.serve:fast_main``) runs without importing ``engine.cli`` — whose
subcommands pull in pandas and SQLAlchemy, most of a second before anything happens.
The server must answer ``/healthz`` within a second of its start (issue 22), so it is
handed its arguments straight away.  Every other command, and ``--help`` or a global
option before the command, goes to :func:`engine.cli.main` as before.  Standard
library only.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib.metadata import entry_points

GROUP = "learnmap.fast"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and not args[0].startswith("-"):
        for ep in entry_points(group=GROUP, name=args[0]):
            return int(ep.load()(args[1:]))
    from engine.cli import main as full

    return full(args)
