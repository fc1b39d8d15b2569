"""Option types and checks shared by the command line's commands (the engine's and the
upper layers'): ``-q/--quiet``, dates and counts as argparse types, an output file's
type, and a store that must exist before it is read."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from engine.errors import LearnmapError, Rule


def add_quiet(parser: argparse.ArgumentParser) -> None:
    """``-q/--quiet`` for a command with progress bars (``engine.progress``)."""
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no progress bars (they are also off when stderr is not a terminal)",
    )


def parse_date(text: str) -> date:
    """argparse type for dates, written as ingest reads them: ``2026-11-21``,
    ``2026/11/21``, ``2026.11.21``, ``2026年11月21日``, ``20261121`` (full-width digits
    too), with a message a newcomer understands."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    import unicodedata

    from engine.coerce import _parse_one_date

    got = _parse_one_date(unicodedata.normalize("NFKC", text).strip())
    if got is None or len(text.strip()) <= 5:  # not an Excel serial on the command line
        raise argparse.ArgumentTypeError(
            f"not a date: {text!r} (write 2026-11-21, 2026/11/21 or 2026年11月21日)"
        )
    return got.date()


def positive_int(text: str) -> int:
    """argparse type for counts that must be at least 1 (``--orgs``)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def check_table_output(path: Path, option: str = "--out") -> Path:
    """Refuse an output file ``engine.outputs.write_table`` cannot write, before any
    work is done (a long fit should not end in a refusal)."""
    from engine.outputs import TABLE_SUFFIXES

    if path.suffix.lower() not in TABLE_SUFFIXES:
        raise LearnmapError(
            Rule(
                "unsupported_output", option=option, path=path, suffix=repr(path.suffix or "(none)")
            )
        )
    return path


def require_store() -> None:
    """Refuse, before anything is opened or created, a SQLite store whose file does
    not exist yet: reading it would leave an empty database file behind."""
    from sqlalchemy.engine import make_url

    from engine.store import database_url

    url = make_url(database_url())
    db = url.database
    if url.get_backend_name() == "sqlite" and db and db != ":memory:" and not Path(db).exists():
        raise LearnmapError(Rule("no_store", path=db))
