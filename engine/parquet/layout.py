"""Where things are in a Parquet copy, and reading it back (see ``engine.parquet``)."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from engine import scan
from engine.errors import LearnmapError
from engine.schema import TABLE_ORDER, TABLES
from engine.store.hashing import text_hashes

MANIFEST = "manifest.json"
LAYOUT_VERSION = 1
HASH_NAME = "fnv1a64-fmix(staff_id) mod partitions"
#: target person-keyed rows (staff + records) per partition for the default count: about
#: 100 MB as pandas frames, far below a worker's memory, and enough partitions to spread
ROWS_PER_PARTITION = 1_000_000
MAX_PARTITIONS = 512


class StaleCopyError(LearnmapError):
    """The Parquet copy is missing, of another layout, or older than the store."""


def person_tables() -> tuple[str, ...]:
    """The tables partitioned by person: every table with a ``staff_id`` column."""
    return tuple(t for t in TABLE_ORDER if "staff_id" in TABLES[t].names)


def default_partitions(person_rows: int) -> int:
    """One partition per ``ROWS_PER_PARTITION`` person-keyed rows, between 1 and 512."""
    return int(min(MAX_PARTITIONS, max(1, math.ceil(person_rows / ROWS_PER_PARTITION))))


def bucket_of(staff_ids: pd.Series | pa.Array, partitions: int) -> np.ndarray:
    """The bucket (0 … partitions−1) of each staff id (a missing id hashes as U+0000)."""
    if isinstance(staff_ids, pd.Series):
        values = staff_ids
    else:
        values = staff_ids.to_pandas(types_mapper=lambda _t: pd.StringDtype("pyarrow"))
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    hashes = text_hashes(values, unique=False)
    return (hashes % np.uint64(partitions)).astype(np.int64)


@dataclass
class Manifest:
    data_version: int
    partitions: int
    store: str
    rows: dict[str, int] = field(default_factory=dict)
    layout: int = LAYOUT_VERSION
    hash: str = HASH_NAME
    person_tables: list[str] = field(default_factory=lambda: list(person_tables()))

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, sort_keys=True)


def read_manifest(directory: Path) -> Manifest:
    path = Path(directory) / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise StaleCopyError(
            f"{directory}: no Parquet copy here (run `learnmap export parquet {directory}`)"
        ) from exc
    except (OSError, ValueError) as exc:
        raise StaleCopyError(f"{path}: unreadable manifest: {exc}") from exc
    if data.get("layout") != LAYOUT_VERSION:
        raise StaleCopyError(f"{path}: layout {data.get('layout')!r}, expected {LAYOUT_VERSION}")
    return Manifest(**data)


def check_fresh(directory: Path, data_version: int, store: str | None = None) -> Manifest:
    """The copy's manifest if it holds the store's ``data_version`` (and, given
    ``store``, was made from that store: its URL without password); ``StaleCopyError``
    naming both otherwise."""
    manifest = read_manifest(directory)
    if store is not None and manifest.store != store:
        raise StaleCopyError(
            f"{directory}: the copy was made from {manifest.store}, not from {store}"
        )
    if manifest.data_version != data_version:
        raise StaleCopyError(
            f"{directory}: the copy holds data version {manifest.data_version}, the store "
            f"is at {data_version} (run `learnmap export parquet {directory}` again)"
        )
    return manifest


def bucket_file(directory: Path, table: str, bucket: int) -> Path:
    return Path(directory) / table / f"part-{bucket:05d}.parquet"


def whole_file(directory: Path, table: str) -> Path:
    return Path(directory) / f"{table}.parquet"


def _to_pandas(table: str, data: pa.Table, columns: list[str]) -> pd.DataFrame:
    if data.num_rows == 0:
        data = scan.empty(table, columns)
    return scan.to_pandas(table, data.select(columns).combine_chunks())


def read_bucket(
    directory: Path, table: str, bucket: int, columns: list[str] | None = None
) -> pd.DataFrame:
    """Bucket ``bucket`` of a person-keyed ``table`` (only ``columns``) as typed frames."""
    cols = list(columns or TABLES[table].names)
    return _to_pandas(
        table, pq.read_table(bucket_file(directory, table, bucket), columns=cols), cols
    )


def read_table(directory: Path, table: str, columns: list[str] | None = None) -> pd.DataFrame:
    """A whole table of the copy (all buckets of a person-keyed one, in bucket order)."""
    cols = list(columns or TABLES[table].names)
    if table not in person_tables():
        return _to_pandas(table, pq.read_table(whole_file(directory, table), columns=cols), cols)
    n = read_manifest(directory).partitions
    parts = [pq.read_table(bucket_file(directory, table, k), columns=cols) for k in range(n)]
    return _to_pandas(table, pa.concat_tables(parts), cols)
