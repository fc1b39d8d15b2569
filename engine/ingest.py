"""Read → validate → write: the one path by which files enter the store."""

from __future__ import annotations

import logging
from pathlib import Path

from engine.errors import ValidationError
from engine.readers import read_dataset
from engine.store import Store, WriteCount
from engine.validate import validate_dataset

log = logging.getLogger(__name__)


def ingest(
    path: str | Path, store: Store, table: str | None = None, progress: bool = False
) -> dict[str, WriteCount]:
    """Ingest a dataset directory or one file into ``store``.

    Raises ``ValidationError`` listing every problem (nothing written), or
    ``InputFileError`` when a file cannot be read at all.  Foreign keys may point at
    rows already in the store, so a dataset can arrive one table at a time.
    """
    raws = read_dataset(Path(path), table)
    try:
        typed = validate_dataset(raws, existing=store, release=True)
    except ValidationError:
        store.forget_plans()  # comparisons made for a rejected batch
        raise
    del raws  # the raw text is no longer needed: keep the write's peak memory low
    return store.write(typed, progress=progress)
