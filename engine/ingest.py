"""Read → validate → write: the one path by which files enter the store.

Identical files are not read again: each table's file is digested (SHA-256 of its
bytes, plus ``FORMAT`` and the synonyms in effect, which decide what the bytes mean);
a table whose digest equals the one recorded at its last ingest, and which has not
changed since, is ``unchanged`` without reading its file (``Store.unchanged_files``;
see ``engine.store``, "Identical files").  When every file is so, nothing is read,
validated or written; otherwise only the other files are read and validated, against
the store, which holds exactly the skipped files' rows.  Workbooks (one file, several
tables) always take the full path, as do files not named after a table.

Two ingests into one store never run at once: the second waits for the first
(``engine.store.lock``).  A first ingest that fails (bad input, a failed write)
leaves no store file behind when there was none before: an administrator's first attempt does not leave an empty
database that later looks like data.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from pathlib import Path

from engine import progress as bars
from engine.errors import ValidationError
from engine.readers import DATA_SUFFIXES, RawTable, read_dataset
from engine.schema import TABLE_ORDER, TABLES, resolve_table
from engine.stats import warm
from engine.store import Store, WriteCount
from engine.store.lock import writer_lock
from engine.synonyms import synonyms
from engine.validate import validate_dataset

log = logging.getLogger(__name__)

#: Part of every file digest: change it when reading or validating the same bytes
#: would give other stored values, so that files recorded before are read again.
FORMAT = "learnmap-ingest-1"

_ONE_TABLE = (".csv", ".txt", ".parquet", ".pq")


def ingest(
    path: str | Path,
    store: Store,
    table: str | None = None,
    progress: bool | None = False,
    on_wait: Callable[[str], None] | None = None,
) -> dict[str, WriteCount]:
    """Ingest a dataset directory or one file into ``store``.

    Raises ``ValidationError`` listing every problem (nothing written), or
    ``InputFileError`` when a file cannot be read at all.  Foreign keys may point at
    rows already in the store, so a dataset can arrive one table at a time.

    With ``progress`` (shown only on a terminal, see ``engine.progress``) each step has
    a bar: reading, validating (naming the store comparison under way), then the
    write, which counts rows as ``unchanged``, ``inserting`` or ``updating``.

    One writer at a time: the store's writer lock (``engine.store.lock``) is held from
    before the store is looked at until the write is done; a second ingest waits for
    it (``on_wait`` is told once) and then finds the first one's data.
    """
    path = Path(path)
    with writer_lock(store, on_wait=on_wait):
        fresh = store.is_new_file()  # decided under the lock: never another's file
        try:
            return _ingest(path, store, table, progress)
        except BaseException:
            if fresh:
                store.remove_file()
            raise


def _ingest(
    path: Path, store: Store, table: str | None, progress: bool | None
) -> dict[str, WriteCount]:
    with bars.spinner(bars.words("checking", path=_describe(path)), enabled=progress) as bar:
        files = file_digests(path, table)
        same = store.unchanged_files(files) if files else {}
        if files and len(same) == len(files):
            rows = sum(c.unchanged for c in same.values())
            bar.set_description(bars.words("unchanged", rows=rows))
            log.info("%s: every file as last ingested and the store unchanged since", path)
            return same
    with bars.spinner(bars.words("reading", path=_describe(path)), enabled=progress) as bar:
        if same:  # only the files that changed (or whose table did)
            assert files is not None
            bar.set_description(
                bars.words("reading_changed", changed=len(files) - len(same), n=len(files))
            )
            raws = _read_files(path, [files[t][0] for t in files if t not in same])
        else:
            raws = read_dataset(path, table)
    rows = sum(len(r.frame) for r in raws.values())
    with bars.spinner(bars.words("validating", rows=rows), enabled=progress) as bar:
        store.on_step = lambda what: bar.set_description(bars.words("validating_step", what=what))
        try:
            typed = validate_dataset(raws, existing=store, release=True)
        except ValidationError:
            store.forget_plans()  # comparisons made for a rejected batch
            raise
        finally:
            store.on_step = None
    del raws  # the raw text is no longer needed: keep the write's peak memory low
    written = {t: files[t] for t in typed if t in files} if files else None
    if files is not None and set(written or ()) != set(typed):
        written = None  # a file was not read as the table its name says: record nothing
    counts = store.write(typed, progress=progress, files=written)
    if any(c.new or c.updated for c in counts.values()):
        # One-person reads (``learnmap profile``) need per-version score facts; build
        # them now, while the data is warm, rather than on the first person's call.
        with bars.spinner(bars.words("preparing_reads"), enabled=progress):
            warm(store)
    both = {**same, **counts}
    return {name: both[name] for name in TABLE_ORDER if name in both}


def _read_files(folder: Path, names: list[str]) -> dict[str, RawTable]:
    """``read_dataset`` for some files of a dataset directory: each file read as the
    table its name says, the problems of all of them raised together."""
    raws: dict[str, RawTable] = {}
    problems = []
    for name in names:
        try:
            raws.update(read_dataset(folder / name))
        except ValidationError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ValidationError(problems)
    return raws


def file_digests(path: Path, table: str | None = None) -> dict[str, tuple[str, str]] | None:
    """``{table: (file name, digest)}`` for the files ``read_dataset`` would read, or
    None where the shortcut does not apply (a workbook, two files for one table)."""
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in DATA_SUFFIXES)
        pairs = [(resolve_table(f.stem), f) for f in files]
        if any(f.suffix.lower() not in _ONE_TABLE for _, f in pairs):
            return None
        pairs = [(t, f) for t, f in pairs if t is not None and (table is None or t == table)]
    elif path.is_file() and path.suffix.lower() in _ONE_TABLE:
        pairs = [(table or resolve_table(path.stem), path)]
    else:
        return None
    if not pairs or any(t is None or t not in TABLES for t, _ in pairs):
        return None
    if len({t for t, _ in pairs}) != len(pairs):
        return None
    setting = _reading_setting()
    out = {}
    for name, f in pairs:
        digest = hashlib.sha256(setting)
        with open(f, "rb") as fh:
            while chunk := fh.read(8 << 20):
                digest.update(chunk)
        out[name] = (f.name, digest.hexdigest())  # type: ignore[index]
    return out


def _reading_setting() -> bytes:
    """What besides a file's bytes decides the values read from it."""
    syn = synonyms()
    data = {"format": FORMAT, "enums": syn.enums, "bools": syn.bools, "headers": syn.headers}
    return json.dumps(data, sort_keys=True, ensure_ascii=False).encode()


def _describe(path: Path) -> str:
    """``path`` with its size, for the reading step's bar."""
    files = [p for p in path.iterdir() if p.is_file()] if path.is_dir() else [path]
    size = sum(p.stat().st_size for p in files if p.exists())
    key = "dataset_one" if len(files) == 1 else "dataset"
    return bars.words(key, name=path.name or path, n=len(files), mb=f"{size / 1e6:,.0f}")
