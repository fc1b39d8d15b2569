"""Read → validate → write: the one path by which files enter the store."""

from __future__ import annotations

import logging
from pathlib import Path

from engine import progress as bars
from engine.errors import ValidationError
from engine.readers import read_dataset
from engine.store import Store, WriteCount
from engine.validate import validate_dataset

log = logging.getLogger(__name__)


def ingest(
    path: str | Path, store: Store, table: str | None = None, progress: bool | None = False
) -> dict[str, WriteCount]:
    """Ingest a dataset directory or one file into ``store``.

    Raises ``ValidationError`` listing every problem (nothing written), or
    ``InputFileError`` when a file cannot be read at all.  Foreign keys may point at
    rows already in the store, so a dataset can arrive one table at a time.

    With ``progress`` (shown only on a terminal, see ``engine.progress``) each step has
    a bar: reading, validating (naming the store comparison under way), then the
    write, which counts rows as ``unchanged``, ``inserting`` or ``updating``.
    """
    path = Path(path)
    with bars.spinner(f"reading {_describe(path)}", enabled=progress):
        raws = read_dataset(path, table)
    rows = sum(len(r.frame) for r in raws.values())
    with bars.spinner(f"validating {rows:,} rows", enabled=progress) as bar:
        store.on_step = lambda what: bar.set_description(f"validating: {what}")
        try:
            typed = validate_dataset(raws, existing=store, release=True)
        except ValidationError:
            store.forget_plans()  # comparisons made for a rejected batch
            raise
        finally:
            store.on_step = None
    del raws  # the raw text is no longer needed: keep the write's peak memory low
    return store.write(typed, progress=progress)


def _describe(path: Path) -> str:
    """``path`` with its size, for the reading step's bar."""
    files = [p for p in path.iterdir() if p.is_file()] if path.is_dir() else [path]
    size = sum(p.stat().st_size for p in files if p.exists())
    return f"{path.name or path} ({len(files)} file{'s' if len(files) != 1 else ''}, {size / 1e6:,.0f} MB)"
