"""Writing the Parquet copy of a store (``learnmap export parquet DIR``).

Bounded memory: every table is read in batches (``engine.scan``: ADBC batches for
SQLite, a server-side cursor for PostgreSQL); a person-keyed table's rows are split
by bucket and held per bucket until ``flush_rows(partitions)`` rows have gathered,
then written as one row group, so about ``BUFFER_ROWS`` rows are in memory whatever
the store's size.

All or nothing: the copy is written into a temporary folder beside DIR
(``.DIR.<random>.tmp``, mode 0700: the copy holds personal data) and renamed to DIR
only once every table and the manifest are written; a failure removes the temporary
folder and leaves an existing DIR as it was.  An existing DIR is replaced only if it
is a Parquet copy (has a manifest) or empty, never another folder.  Replacing is two
renames (old copy aside, new one in place), so a reader may for an instant find no
DIR, never a half-written one.

Consistency: the store's data version is read before and after; if a write came in
between, the export fails (nothing written) instead of recording a mixed copy.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from engine import progress as bars
from engine import scan
from engine.errors import LearnmapError, StoreError
from engine.parquet.layout import (
    MANIFEST,
    Manifest,
    bucket_file,
    bucket_of,
    default_partitions,
    person_tables,
    whole_file,
)
from engine.schema import TABLE_ORDER, TABLES

log = logging.getLogger(__name__)

#: rows of a person-keyed table held in memory across all buckets before writing
BUFFER_ROWS = 2_000_000
MIN_ROW_GROUP = 8_192


def flush_rows(partitions: int) -> int:
    """Rows a bucket gathers before they are written as one row group."""
    return max(MIN_ROW_GROUP, BUFFER_ROWS // partitions)


def _schema(table: str) -> pa.Schema:
    return pa.schema([pa.field(c.name, scan.arrow_type(c)) for c in TABLES[table].columns])


def _write_whole(store: object, table: str, root: Path, bar: object) -> int:
    schema = _schema(table)
    batches = []
    for batch in scan.scan(store, table):
        batches.append(batch)
        bar.update(batch.num_rows)  # type: ignore[attr-defined]
    data = pa.Table.from_batches(batches, schema=schema)
    pq.write_table(data, whole_file(root, table))
    return data.num_rows


def _write_partitioned(store: object, table: str, root: Path, n: int, bar: object) -> int:
    schema = _schema(table)
    (root / table).mkdir()
    writers = [pq.ParquetWriter(bucket_file(root, table, k), schema) for k in range(n)]
    held: list[list[pa.RecordBatch]] = [[] for _ in range(n)]
    sizes = np.zeros(n, dtype=np.int64)
    limit = flush_rows(n)
    rows = 0

    def flush(k: int) -> None:
        if held[k]:
            writers[k].write_table(pa.Table.from_batches(held[k], schema=schema))
            held[k], sizes[k] = [], 0

    try:
        for batch in scan.scan(store, table):
            bucket = bucket_of(batch.column("staff_id"), n)
            order = np.argsort(bucket, kind="stable")
            bounds = np.searchsorted(bucket[order], np.arange(n + 1))
            ordered = batch.take(pa.array(order))
            for k in np.flatnonzero(np.diff(bounds)):
                lo, hi = int(bounds[k]), int(bounds[k + 1])
                held[k].append(ordered.slice(lo, hi - lo))
                sizes[k] += hi - lo
                if sizes[k] >= limit:
                    flush(k)
            rows += batch.num_rows
            bar.update(batch.num_rows)  # type: ignore[attr-defined]
        for k in range(n):
            flush(k)
    finally:
        for w in writers:
            w.close()
    return rows


def _replace(tmp: Path, out: Path) -> None:
    if not out.exists():
        os.rename(tmp, out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
    os.rename(out, old / out.name)
    try:
        os.rename(tmp, out)
    except OSError:
        os.rename(old / out.name, out)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _check_target(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise LearnmapError(f"{out}: is a file; the Parquet copy is a folder")
    if out.is_dir() and not (out / MANIFEST).exists() and any(out.iterdir()):
        raise LearnmapError(
            f"{out}: a folder that is not a Parquet copy (no {MANIFEST}); "
            "choose an empty or new folder"
        )


def export_parquet(
    store: object,
    out: Path,
    partitions: int | None = None,
    progress: bool | None = None,
) -> Manifest:
    """Write the Parquet copy of ``store`` to ``out`` (see the module docstring) and
    return its manifest; ``partitions`` defaults to ``default_partitions``."""
    out = Path(out)
    _check_target(out)
    version = store.data_version()  # type: ignore[attr-defined]
    counts = store.counts()  # type: ignore[attr-defined]
    persons = person_tables()
    n = partitions or default_partitions(sum(counts[t] for t in persons))
    if n < 1:
        raise LearnmapError(f"--partitions must be at least 1, not {n}")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    rows: dict[str, int] = {}
    try:
        with bars.bar(sum(counts.values()), bars.words("exporting"), enabled=progress) as bar:
            for table in TABLE_ORDER:
                bar.set_description(bars.words("exporting_table", table=table))
                if table in persons:
                    rows[table] = _write_partitioned(store, table, tmp, n, bar)
                else:
                    rows[table] = _write_whole(store, table, tmp, bar)
        after = store.data_version()  # type: ignore[attr-defined]
        if after != version:
            raise StoreError(
                f"the store changed during the export (data version {version} → {after}); "
                "nothing was written: run the export again"
            )
        manifest = Manifest(
            data_version=version,
            partitions=n,
            store=safe_url(store),
            rows=rows,
        )
        (tmp / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
        _replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log.info("exported data version %d to %s in %d partitions", version, out, n)
    return manifest


def safe_url(store: object) -> str:
    """The store's URL without its password (the manifest is not a secret)."""
    url = store.engine.url  # type: ignore[attr-defined]
    return url.render_as_string(hide_password=True)
