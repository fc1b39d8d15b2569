"""The store: canonical tables in SQLite (default) or PostgreSQL, via SQLAlchemy.

``Store()`` opens ``LEARNMAP_DATABASE_URL`` or, unset, ``sqlite:///var/learnmap.db``
relative to the working directory.  ``Store.write`` upserts a validated batch in
one transaction, keyed by each table's id columns: a new id is inserted, a changed
record with a known id is updated, an identical record is left alone — so ingesting
the same dataset twice leaves the store identical.  ``Store.load`` returns every
table as pandas frames with the same dtypes ``engine.validate`` produces.

Change detection without reading the store back
------------------------------------------------
Every table has one column beyond the canonical ones, ``row_hash``: a 64-bit hash of
the record's canonical values (``row_hashes``), written with the row.  ``Store.plan``
decides what writing a frame would do:

1. *Whole table identical* — one aggregate query: when the stored row count, the count
   of stored hashes and the two 32-bit halves' sums of ``row_hash`` equal the batch's,
   every batch row is unchanged (the hashes cover the key too).  Nothing else is read.
2. *Otherwise* the stored keys and hashes only are read (not the rows) and matched
   with the batch by key: unknown key → new; equal hash → unchanged.
3. Rows whose hash differs (or is missing) are checked against their stored values,
   fetched by key, so a count of "updated" rows is always a true difference: a row
   whose values are equal but whose hash is missing or was computed by another
   version of the hash gets its hash refreshed and counts as unchanged.

Identical files: not even read
-------------------------------
A write made from files (``engine.ingest``) records, in the same transaction, per
table: the file's name, a digest of its bytes and of what reads them (the synonyms in
effect, ``engine.ingest.FORMAT``), its row count and the table's fingerprint after the
write (table ``learnmap_ingests``).  When a table's file comes again with the same
digest and the table's fingerprint still equals the recorded one, no stored row of that
table can differ from the file: ``Store.unchanged_files`` says so from one aggregate
query per table and the ingest skips reading, validating and comparing that file (an
identical re-ingest of 20 M rows takes seconds).  Any other write to a table changes
its fingerprint (count and 64-bit hash sums: the same odds as the fingerprint path
below), so the next ingest of that table takes the full path.

Older stores (created before ``row_hash`` existed) are upgraded by the first write:
``ALTER TABLE … ADD COLUMN row_hash`` in the write's transaction; until a row is
ingested again its hash is NULL, which step 3 handles (slower, never wrong).  Reads
never need the column.  ``Store.plan`` results are cached for the frame they were
computed on, so validation (which needs them to find conflicting re-sent events)
and the write share one comparison.  That assumes no other writer in between: a row
another process inserted meanwhile makes the write fail as a whole (nothing written);
``learnmap ingest`` is meant to be the one writer of a store.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from engine import progress as bars
from engine.errors import StoreError
from engine.schema import TABLE_ORDER, TABLES, Column

if TYPE_CHECKING:
    from tqdm import tqdm

log = logging.getLogger(__name__)

DEFAULT_URL = "sqlite:///var/learnmap.db"
ENV_URL = "LEARNMAP_DATABASE_URL"
HASH = "row_hash"  # the one non-canonical column of every table
#: bookkeeping table (not canonical): per table, the file last ingested into it, its
#: digest and the table's fingerprint right after (see "Identical files" above)
INGESTS = "learnmap_ingests"
_CHUNK = 20_000
_IN_CHUNK = 5_000  # keys per ``WHERE key IN (…)`` query
_FETCH_ALL_ABOVE = 20_000  # fetch a whole table rather than this many rows by key
_MULT = np.uint64(0x100000001B3)
_ROW_SLICE = 131_072  # rows hashed at a time
_BULK_ROWS = 262_144  # rows converted to Arrow and bound at a time by the bulk load
#: use the bulk load (``Store._bulk_write``) where it applies; tests switch it off to
#: compare both paths
BULK = True
_HASH_SLICE = 65_536  # values hashed per slice (bounds the temporary Python strings)  # FNV prime: mixes column hashes in order


def database_url(url: str | None = None) -> str:
    return url or os.environ.get(ENV_URL) or DEFAULT_URL


def _sql_type(col: Column) -> sa.types.TypeEngine:
    kind = col.kind.removeprefix("opt_")
    return {
        "date": sa.Date(),
        "bool": sa.Boolean(),
        "float": sa.Float(precision=53),
        "int": sa.Integer(),
    }.get(kind, sa.Text())


def build_metadata(row_hash: bool = True) -> sa.MetaData:
    """The store's tables (``row_hash=False``: as stores before the hash column)."""
    meta = sa.MetaData()
    for name in TABLE_ORDER:
        spec = TABLES[name]
        cols = []
        for c in spec.columns:
            args: list[object] = []
            if c.ref and c.kind != "refs":
                args.append(sa.ForeignKey(c.ref))
            nullable = c.optional_value or not c.required
            cols.append(
                sa.Column(
                    c.name, _sql_type(c), *args, primary_key=c.name in spec.key, nullable=nullable
                )
            )
        if row_hash:
            cols.append(sa.Column(HASH, sa.BigInteger(), nullable=True))
        sa.Table(name, meta, *cols)
    if row_hash:
        sa.Table(
            INGESTS,
            meta,
            sa.Column("table_name", sa.Text(), primary_key=True),
            sa.Column("source", sa.Text(), nullable=False),
            sa.Column("digest", sa.Text(), nullable=False),
            sa.Column("rows", sa.BigInteger(), nullable=False),
            sa.Column("fingerprint", sa.Text(), nullable=False),
        )
    return meta


METADATA = build_metadata()


@dataclass
class WriteCount:
    """What a write did to one table."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class Plan:
    """What writing ``frame`` into its table would do, row by row (see module docstring).

    ``old`` holds the stored version of the ``changed`` rows, in their batch order.
    """

    frame: pd.DataFrame
    hashes: np.ndarray
    new: np.ndarray
    changed: np.ndarray
    stale: np.ndarray  # equal values, stored hash missing or different: refresh the hash
    old: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def count(self) -> WriteCount:
        n_new, n_changed = int(self.new.sum()), int(self.changed.sum())
        return WriteCount(n_new, n_changed, len(self.frame) - n_new - n_changed)


def _number_hash(values: np.ndarray) -> np.ndarray:
    return pd.util.hash_array(values, categorize=False)


_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)


def _fmix(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finalizer: spreads every input bit over the output."""
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xFF51AFD7ED558CCD)
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xC4CEB93FE53A8DB9)
    return h ^ (h >> np.uint64(33))


def _bytes_hash(arr: pa.Array) -> np.ndarray:
    """FNV-1a over each string's UTF-8 bytes, then a finalizer mixing in the length:
    vectorized over all strings of one length at a time, no Python objects."""
    arr = arr.cast(pa.large_string())
    if arr.null_count:
        raise ValueError("fill missing values before hashing")
    n = len(arr)
    out = np.empty(n, dtype=np.uint64)
    if n == 0:
        return out
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset : arr.offset + n + 1]
    buf = arr.buffers()[2]
    data = np.frombuffer(buf, dtype=np.uint8) if buf is not None else np.zeros(0, np.uint8)
    lengths = np.diff(offsets)
    order = np.argsort(lengths, kind="stable")
    bounds = np.flatnonzero(np.diff(lengths[order])) + 1
    with np.errstate(over="ignore"):
        for group in np.split(order, bounds):
            size = int(lengths[group[0]])
            for i in range(0, len(group), _HASH_SLICE):
                rows = group[i : i + _HASH_SLICE]
                h = np.full(len(rows), _FNV_OFFSET, dtype=np.uint64)
                if size:
                    cells = data[offsets[rows][:, None] + np.arange(size)]
                    for j in range(size):
                        h = (h ^ cells[:, j]) * _FNV_PRIME
                out[rows] = _fmix(h ^ np.uint64(size))
    return out


def text_hashes(s: pd.Series, unique: bool = True) -> np.ndarray:
    """64-bit hash (uint64) of each text value of ``s``; missing values hash as U+0000."""
    return _text_hash(s, "\x00", unique)


def _text_hash(s: pd.Series, missing: str, unique: bool) -> np.ndarray:
    """Hash of each text value (``missing`` stands for an empty cell), whatever the
    dtype; with ``unique=False`` repeated values are hashed once."""
    if isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow":
        arr = pa.array(s)
        arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    else:
        arr = pa.array(s.to_numpy(dtype=object), type=pa.large_string(), from_pandas=True)
    if unique:
        return _bytes_hash(pc.fill_null(arr, missing))
    enc = pc.dictionary_encode(arr)
    words = pa.concat_arrays(
        [enc.dictionary.cast(pa.large_string()), pa.array([missing], pa.large_string())]
    )
    codes = pc.fill_null(enc.indices, len(words) - 1).to_numpy(zero_copy_only=False)
    return _bytes_hash(words)[codes]


def _column_hash(col: Column, s: pd.Series) -> np.ndarray:
    """A column's values hashed so that only the canonical values matter."""
    kind = col.kind.removeprefix("opt_")
    missing = s.isna().to_numpy()
    if kind == "date":
        return _number_hash(pd.to_datetime(s).to_numpy("datetime64[ns]").view("i8"))
    if kind in ("float", "int"):
        v = s.to_numpy(dtype="float64", na_value=np.nan) + 0.0  # -0.0 → 0.0
        bits = v.view("i8").copy()
        bits[missing | np.isnan(v)] = -1
        return _number_hash(bits)
    if kind == "bool":
        return _number_hash(s.to_numpy(dtype=bool, na_value=False).astype("i8") + missing)
    # enumerations repeat a handful of values: hash those once; ids and free text
    # (mostly distinct, or many distinct) are hashed directly
    return _text_hash(s, "" if kind == "refs" else "\x00", kind not in ("enum", "enums"))


def row_hashes(name: str, frame: pd.DataFrame) -> np.ndarray:
    """64-bit hash (as int64) of each record's canonical values, key included.

    Deterministic across processes and platforms: text is hashed from its UTF-8 bytes
    (FNV-1a with a MurmurHash3 finalizer), numbers and dates by pandas' ``hash_array``
    of their 64-bit values; column hashes are mixed in column order.  The same values
    hash alike whatever dtype a column arrives in (``str``, object, Arrow).  A change
    of this function only costs one slower ingest: rows whose stored hash differs are
    compared by value and their hashes refreshed (see the module docstring).
    """
    spec = TABLES[name]
    out = np.empty(len(frame), dtype=np.uint64)
    for start in range(0, len(frame), _ROW_SLICE):  # bounded temporaries
        part = frame.iloc[start : start + _ROW_SLICE]
        h = np.zeros(len(part), dtype=np.uint64)
        for col in spec.columns:
            h = (h * _MULT) ^ _column_hash(col, part[col.name])
        out[start : start + len(part)] = h
    return out.view(np.int64)


def _fingerprint_text(fp: tuple[int, ...]) -> str:
    return ",".join(str(int(v)) for v in fp)


def _fingerprint(hashes: np.ndarray) -> tuple[int, int, int, int]:
    """(rows, hashed rows, sum of high halves, sum of low halves), as SQL computes them
    (integer division and remainder truncate toward zero on SQLite and PostgreSQL)."""
    low = np.fmod(hashes, np.int64(1 << 32))
    high = (hashes - low) >> 32
    return len(hashes), len(hashes), int(high.sum()), int(low.sum())


def _sqlite_fk_on(dbapi_conn: object, _record: object) -> None:
    cur = dbapi_conn.cursor()  # type: ignore[attr-defined]
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _same(a: pd.Series, b: pd.Series) -> np.ndarray:
    same = (a == b).fillna(False).to_numpy(dtype=bool)
    return same | (a.isna() & b.isna()).to_numpy()


def _key_strings(frame: pd.DataFrame, key: list[str]) -> pa.Array:
    if len(key) == 1:
        arr = pa.array(frame[key[0]].astype(str))
        arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
        return arr.cast(pa.large_string())
    joined = frame[key].astype(str).agg("\x1f".join, axis=1)
    return pa.array(joined.to_numpy(dtype=object), type=pa.large_string())


class Store:
    """A handle on the canonical tables in one database."""

    def __init__(self, url: str | None = None) -> None:
        self.url = database_url(url)
        if self.url.startswith("sqlite:///") and ":memory:" not in self.url:
            Path(self.url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.engine: Engine = sa.create_engine(self.url)
        except Exception as exc:  # bad URL or missing driver
            raise StoreError(f"cannot open database {self.url!r}: {exc}") from exc
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_fk_on)
        self._ready = False
        self._hashed: dict[str, bool] = {}  # table → has the row_hash column
        self._plans: dict[str, Plan] = {}
        #: called with what the store is doing during validation ("comparing staff");
        #: ``engine.ingest`` shows it on its progress bar
        self.on_step: Callable[[str], None] | None = None

    def _step(self, what: str) -> None:
        if self.on_step is not None:
            self.on_step(what)

    def create(self) -> None:
        if not self._ready:
            try:
                METADATA.create_all(self.engine)
                inspector = sa.inspect(self.engine)
                stored = {t: {c["name"] for c in inspector.get_columns(t)} for t in TABLE_ORDER}
                self._add_optional_columns(stored)
                self._hashed = {t: HASH in stored[t] for t in TABLE_ORDER}
            except sa.exc.OperationalError as exc:
                raise StoreError(f"cannot reach database {self.url!r}: {exc.orig}") from exc
            self._ready = True

    def _add_optional_columns(self, stored: dict[str, set[str]]) -> None:
        """Upgrade an older store: add the optional columns a later schema introduced
        (e.g. ``modules.offered_from``), empty.  Required columns are never added."""
        with self.engine.begin() as conn:
            for name in TABLE_ORDER:
                for col in TABLES[name].columns:
                    if col.name in stored[name] or col.required:
                        continue
                    log.warning("%s: upgrading the store: adding column %s", name, col.name)
                    kind = _sql_type(col).compile(dialect=self.engine.dialect)
                    conn.exec_driver_sql(f"ALTER TABLE {name} ADD COLUMN {col.name} {kind}")
                    stored[name].add(col.name)

    def drop(self) -> None:
        """Remove every learnmap table (used by tests and ``db reset``)."""
        METADATA.drop_all(self.engine)
        self._ready = False
        self._plans.clear()

    # ---- reading -------------------------------------------------------------
    def load_table(
        self, name: str, columns: list[str] | None = None, conn: Connection | None = None
    ) -> pd.DataFrame:
        self.create()
        cols = list(columns or TABLES[name].names)
        for c in cols:
            METADATA.tables[name].c[c]  # unknown columns raise KeyError, as before
        sql = f"SELECT {', '.join(cols)} FROM {name}"  # names come from the schema only
        if conn is None:
            with self.engine.connect() as own:
                rows = _fetch(own, sql)
        else:
            rows = _fetch(conn, sql)
        data = dict(zip(cols, zip(*rows, strict=True), strict=True)) if rows else {}
        frame = pd.DataFrame({c: pd.Series(data.get(c, ()), dtype=object) for c in cols})
        return _restore_types(name, frame)

    def load(self, tables: list[str] | None = None) -> dict[str, pd.DataFrame]:
        """Every canonical table (or those named) as typed pandas frames."""
        with self.engine.connect() as conn:
            return {t: self.load_table(t, conn=conn) for t in (tables or TABLE_ORDER)}

    def read_tables(
        self, columns: dict[str, list[str] | None], progress: bool | None = None
    ) -> dict[str, pd.DataFrame]:
        """Every canonical table, reading only the named ``columns`` of each (``None``:
        all of them); a table not named comes back empty, with all its columns.

        Read column-pruned and typed through Arrow (``engine.scan``): ids and text as
        Arrow-backed strings, no Python object per row.  One bar counts the rows."""
        from engine import scan

        self.create()
        wanted = {t: list(c or TABLES[t].names) for t, c in columns.items()}
        with self.engine.connect() as conn:
            sizes = {
                t: int(
                    conn.execute(
                        sa.select(sa.func.count()).select_from(METADATA.tables[t])
                    ).scalar_one()
                )
                for t in wanted
            }
        out: dict[str, pd.DataFrame] = {}
        with bars.bar(sum(sizes.values()), "loading", enabled=progress) as bar:
            for name in TABLE_ORDER:
                if name in wanted:
                    bar.set_description(f"loading {name}")
                    out[name] = scan.read(self, name, wanted[name], bar=bar)
                else:
                    out[name] = scan.to_pandas(name, scan.empty(name, TABLES[name].names))
            bar.set_description("loaded")
        return out

    def existing(self, table: str, columns: list[str]) -> pd.DataFrame:
        """Stored rows of ``table`` (only ``columns``): what validation checks keys against."""
        self._step(f"reading stored {table} ({', '.join(columns)})")
        return self.load_table(table, columns)

    def lookup(self, table: str, columns: list[str], by: str, values: object) -> pd.DataFrame:
        """Stored rows of ``table`` whose ``by`` is one of ``values`` (only ``columns``)."""
        self.create()
        wanted = pd.unique(pd.Series(list(values), dtype=object).dropna())
        t = METADATA.tables[table]
        if len(wanted) > _FETCH_ALL_ABOVE:
            frame = self.load_table(table, columns)
            return frame[frame[by].isin(wanted)].reset_index(drop=True)
        parts = []
        with self.engine.connect() as conn:
            for i in range(0, len(wanted), _IN_CHUNK):
                query = sa.select(*[t.c[c] for c in columns]).where(
                    t.c[by].in_(list(wanted[i : i + _IN_CHUNK]))
                )
                parts.append(pd.read_sql(query, conn))
        if not parts:
            return _restore_types(table, pd.DataFrame({c: [] for c in columns}))
        return _restore_types(table, pd.concat(parts, ignore_index=True))

    # ---- files already ingested ---------------------------------------------
    def is_new_file(self) -> bool:
        """A SQLite store whose file does not exist yet."""
        db = self.engine.url.database
        return (
            self.engine.dialect.name == "sqlite"
            and bool(db)
            and db != ":memory:"
            and (not Path(db).exists())
        )

    def remove_file(self) -> None:
        """Delete a SQLite store's file (after a failed first ingest created it)."""
        self.engine.dispose()
        db = self.engine.url.database
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        self._ready = False
        self._plans.clear()

    def unchanged_files(self, digests: dict[str, tuple[str, str]]) -> dict[str, WriteCount]:
        """``{table: WriteCount(unchanged=rows)}`` for the tables of ``digests``
        (``{table: (file name, digest)}``) last written from a file with that digest
        and not changed since (their fingerprint is the one recorded then).  Reads one
        record and one aggregate per table; never creates a store file."""
        if not digests or self.is_new_file():
            return {}
        out = {}
        try:
            self.create()
            with self.engine.connect() as conn:
                t = METADATA.tables[INGESTS]
                rows = conn.execute(sa.select(t).where(t.c.table_name.in_(list(digests)))).all()
                found = {r.table_name: r for r in rows}
                for name, (_, digest) in digests.items():
                    rec = found.get(name)
                    if rec is None or rec.digest != digest or not self._hashed.get(name):
                        continue
                    if _fingerprint_text(self._stored_fingerprint(conn, name)) == rec.fingerprint:
                        out[name] = WriteCount(unchanged=int(rec.rows))
        except sa.exc.SQLAlchemyError as exc:
            log.warning("could not compare files with the store (%s): reading them", exc)
            return {}
        return {name: out[name] for name in TABLE_ORDER if name in out}

    @staticmethod
    def _record_files(
        files: dict[str, tuple[str, str]],
        typed: dict[str, pd.DataFrame],
        fingerprint: Callable[[str], tuple[int, int, int, int]],
        put: Callable[[dict[str, object]], None],
    ) -> None:
        """Record each table's file, digest, rows and fingerprint, inside the write's
        transaction (``fingerprint`` and ``put`` run on its connection)."""
        for name, (source, digest) in files.items():
            if name in typed:
                fp = _fingerprint_text(fingerprint(name))
                put(
                    dict(
                        table_name=name,
                        source=source,
                        digest=digest,
                        rows=len(typed[name]),
                        fingerprint=fp,
                    )
                )

    def counts(self) -> dict[str, int]:
        self.create()
        with self.engine.connect() as conn:
            return {
                t: int(
                    conn.execute(
                        sa.select(sa.func.count()).select_from(METADATA.tables[t])
                    ).scalar_one()
                )
                for t in TABLE_ORDER
            }

    # ---- comparing -----------------------------------------------------------
    def plan(self, name: str, frame: pd.DataFrame) -> Plan:
        """What writing ``frame`` (validated) into ``name`` would do; cached per frame."""
        cached = self._plans.get(name)
        if cached is not None and cached.frame is frame:
            return cached
        self.create()
        self._step(f"comparing {name} with the store")
        with self.engine.connect() as conn:
            plan = self._plan(conn, name, frame)
        self._plans[name] = plan
        return plan

    def forget_plans(self) -> None:
        """Drop cached comparisons (and the frames they hold)."""
        self._plans.clear()

    def _plan(self, conn: Connection, name: str, frame: pd.DataFrame) -> Plan:
        hashes = row_hashes(name, frame)
        n = len(frame)
        none = np.zeros(n, dtype=bool)
        if self._hashed.get(name) and self._stored_fingerprint(conn, name) == _fingerprint(hashes):
            return Plan(frame, hashes, none, none, none.copy())
        key = list(TABLES[name].key)
        stored_keys, stored_hashes, stored_null = self._stored_hashes(conn, name)
        pos = pc.index_in(_key_strings(frame, key), value_set=stored_keys)
        pos = pos.to_numpy(zero_copy_only=False)
        new = np.isnan(pos) if pos.dtype.kind == "f" else pos < 0
        at = np.where(new, 0, np.nan_to_num(pos, nan=0)).astype(np.int64)
        if len(stored_hashes) == 0:
            return Plan(frame, hashes, np.ones(n, dtype=bool), none, none.copy())
        suspect = ~new & ((stored_hashes[at] != hashes) | stored_null[at])
        changed, stale = none.copy(), none.copy()
        old = pd.DataFrame(columns=TABLES[name].names)
        if suspect.any():
            rows = frame.loc[suspect]
            stored = self._stored_rows(conn, name, rows)
            both = rows.merge(stored, on=key, how="left", suffixes=("", "__old"))
            diff = np.zeros(len(both), dtype=bool)
            for c in TABLES[name].names:
                if c not in key:
                    diff |= ~_same(both[c], both[c + "__old"])
            idx = np.flatnonzero(suspect)
            changed[idx[diff]] = True
            stale[idx[~diff]] = True
            old = both.loc[diff, key + [c + "__old" for c in TABLES[name].names if c not in key]]
            old = old.rename(columns=lambda c: c.removesuffix("__old")).reset_index(drop=True)
        return Plan(frame, hashes, new, changed, stale, old)

    def _stored_fingerprint(self, conn: Connection, name: str) -> tuple[int, int, int, int]:
        mod = "%%" if self.engine.dialect.paramstyle in ("format", "pyformat") else "%"
        row = conn.exec_driver_sql(
            f"SELECT count(*), count({HASH}), sum({HASH} / 4294967296), "
            f"sum({HASH} {mod} 4294967296) FROM {name}"
        ).one()
        return tuple(int(v or 0) for v in row)  # type: ignore[return-value]

    def _stored_hashes(
        self, conn: Connection, name: str
    ) -> tuple[pa.Array, np.ndarray, np.ndarray]:
        """Every stored key (joined by U+001F when composite), its hash, and whether the
        hash is missing (NULL)."""
        key = list(TABLES[name].key)
        hcol = HASH if self._hashed.get(name) else "NULL"
        cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        cur.execute(f"SELECT {', '.join(key)}, {hcol} FROM {name}")
        keys: list[pa.Array] = []
        hashes: list[np.ndarray] = []
        nulls: list[np.ndarray] = []
        try:
            while batch := cur.fetchmany(200_000):
                cols = list(zip(*batch, strict=True))
                if len(key) == 1:
                    k = cols[0]
                else:
                    k = ["\x1f".join(map(str, parts)) for parts in zip(*cols[:-1], strict=True)]
                keys.append(pa.array(k, type=pa.large_string()))
                null = np.array([v is None for v in cols[-1]], dtype=bool)
                hashes.append(np.array([0 if v is None else v for v in cols[-1]], dtype=np.int64))
                nulls.append(null)
        finally:
            cur.close()
        if not keys:
            empty = np.zeros(0, dtype=np.int64)
            return pa.array([], type=pa.large_string()), empty, empty.astype(bool)
        return pa.concat_arrays(keys), np.concatenate(hashes), np.concatenate(nulls)

    def _stored_rows(self, conn: Connection, name: str, rows: pd.DataFrame) -> pd.DataFrame:
        """The stored version of ``rows`` (by key), every canonical column."""
        key = list(TABLES[name].key)
        if len(key) > 1 or len(rows) > _FETCH_ALL_ABOVE:
            return self.load_table(name, conn=conn)
        t = METADATA.tables[name]
        cols = [t.c[c] for c in TABLES[name].names]
        ids = rows[key[0]].astype(str).tolist()
        parts = [
            pd.read_sql(sa.select(*cols).where(t.c[key[0]].in_(ids[i : i + _IN_CHUNK])), conn)
            for i in range(0, len(ids), _IN_CHUNK)
        ]
        return _restore_types(name, pd.concat(parts, ignore_index=True))

    # ---- writing -------------------------------------------------------------
    def write(
        self,
        typed: dict[str, pd.DataFrame],
        progress: bool = False,
        files: dict[str, tuple[str, str]] | None = None,
    ) -> dict[str, WriteCount]:
        """Upsert validated frames in one transaction; all or nothing.  ``files``
        (``{table: (file name, digest)}``, from ``engine.ingest``) are recorded in the
        same transaction, for ``unchanged_files``.

        The progress bar names the step it counts: ``comparing``, ``unchanged`` (rows
        skipped), ``inserting``, ``updating``.
        """
        self.create()
        if self._bulk_possible(typed):
            return self._bulk_write(typed, progress, files)
        result: dict[str, WriteCount] = {}
        total = sum(len(f) for f in typed.values())
        bar = bars.bar(total, "store", enabled=progress)
        try:
            with self.engine.begin() as conn:
                for name in TABLE_ORDER:
                    if name in typed:
                        result[name] = self._write_table(conn, name, typed[name], bar)
                if files:
                    t = METADATA.tables[INGESTS]

                    def put(rec: dict[str, object]) -> None:
                        conn.execute(t.delete().where(t.c.table_name == rec["table_name"]))
                        conn.execute(t.insert().values(**rec))

                    self._record_files(
                        files, typed, lambda n: self._stored_fingerprint(conn, n), put
                    )
                new, updated, same = (
                    sum(getattr(c, f) for c in result.values()) for f in vars(WriteCount())
                )
                bar.set_description("stored")
                bar.set_postfix_str(f"{new:,} new, {updated:,} updated, {same:,} unchanged")
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"write to {self.url!r} failed, nothing was written: {exc}") from exc
        finally:
            bar.close()
            self._plans.clear()
        if result.keys() - {n for n, ok in self._hashed.items() if ok}:
            self._ready = False  # columns added in the transaction: look again
        return result

    # ---- bulk load (SQLite) --------------------------------------------------
    def _bulk_possible(self, typed: dict[str, pd.DataFrame]) -> bool:
        """Whether ``typed`` can be written by bulk insert alone: a SQLite file (read and
        written through ADBC), every table with its ``row_hash`` column, and no row to
        update (every row new or unchanged).  A first ingest always qualifies."""
        from engine import scan

        if not BULK or not scan.uses_adbc(self):
            return False
        if not all(self._hashed.get(name) for name in typed):
            return False
        for name, frame in typed.items():
            plan = self.plan(name, frame)
            if plan.changed.any() or plan.stale.any():
                return False
        return True

    def _bulk_write(
        self,
        typed: dict[str, pd.DataFrame],
        progress: bool = False,
        files: dict[str, tuple[str, str]] | None = None,
    ) -> dict[str, WriteCount]:
        """Insert the new rows of every table through ADBC (``adbc_ingest``: Arrow
        buffers bound in C, no Python object per value), in one SQLite transaction —
        all or nothing.

        Foreign keys are checked set-wise instead of row by row (SQLite's per-row
        check was two thirds of the load: 14 of 20 s for 4.6 M rows): after the
        inserts, inside the transaction (which holds the write lock, so no parent can
        go meanwhile), each referencing column's distinct new values must name a key
        of the batch or a stored row (``_check_references``); a miss fails the whole
        write with the values named, like the constraint would.  Stored
        values are those of ``_insert``: ISO date text, booleans 0/1, NULL for missing
        values (``tests/engine/test_store_bulk.py`` compares both paths cell by cell)."""
        import adbc_driver_sqlite.dbapi as adbc

        result: dict[str, WriteCount] = {}
        total = sum(len(f) for f in typed.values())
        bar = bars.bar(total, "store", enabled=progress)
        path = self.engine.url.database
        try:
            conn = adbc.connect(path, autocommit=True)
        except Exception as exc:  # the driver raises its own error types
            bar.close()
            raise StoreError(f"write to {self.url!r} failed, nothing was written: {exc}") from exc
        cur = conn.cursor()
        try:
            for pragma in ("foreign_keys=OFF", "cache_size=-262144", "busy_timeout=5000"):
                cur.execute(f"PRAGMA {pragma}")
                cur.fetchall()
            conn.adbc_connection.set_options(**{"adbc.connection.autocommit": "false"})

            def aggregate(name: str) -> tuple[int, int, int, int]:
                cur.execute(
                    f"SELECT count(*), count({HASH}), sum({HASH} / 4294967296), "
                    f"sum({HASH} % 4294967296) FROM {name}"
                )
                return tuple(int(v or 0) for v in cur.fetchone())  # type: ignore[return-value]

            after: dict[str, tuple[int, int, int, int]] = {}
            for name in TABLE_ORDER:
                if name in typed:
                    # the fingerprint after the write, without reading the table again:
                    # before (instant on an empty table) plus the inserted rows' share
                    before = aggregate(name) if files and name in files else None
                    result[name] = self._bulk_table(cur, name, typed[name], bar)
                    if before is not None:
                        plan = self.plan(name, typed[name])
                        added = _fingerprint(plan.hashes[plan.new])
                        after[name] = tuple(a + b for a, b in zip(before, added, strict=True))  # type: ignore[assignment]
            bar.set_description("checking references")
            for name in TABLE_ORDER:
                if name in typed and result[name].new:
                    _check_references(cur, name, typed, self.plan(name, typed[name]).new)
            if files:

                def put(rec: dict[str, object]) -> None:
                    cur.execute(f"DELETE FROM {INGESTS} WHERE table_name = ?", (rec["table_name"],))
                    cur.execute(
                        f"INSERT INTO {INGESTS} ({', '.join(rec)}) VALUES ({', '.join('?' * len(rec))})",
                        tuple(rec.values()),
                    )

                self._record_files(files, typed, after.__getitem__, put)
            conn.adbc_connection.commit()
            new, same = (sum(getattr(c, f) for c in result.values()) for f in ("new", "unchanged"))
            bar.set_description("stored")
            bar.set_postfix_str(f"{new:,} new, 0 updated, {same:,} unchanged")
        except Exception as exc:  # ADBC raises its own DB-API error types
            try:
                conn.adbc_connection.rollback()
            except Exception:  # pragma: no cover - the failure above is the one to report
                log.exception("rollback after a failed bulk write")
            raise StoreError(f"write to {self.url!r} failed, nothing was written: {exc}") from exc
        finally:
            cur.close()
            conn.close()
            self._plans.clear()
            bar.close()
        return result

    def _bulk_table(self, cur: object, name: str, frame: pd.DataFrame, bar: tqdm) -> WriteCount:
        plan = self.plan(name, frame)
        count = plan.count
        if count.unchanged:
            bar.set_description(f"{name}: unchanged")
            bar.update(count.unchanged)
        if count.new:
            bar.set_description(f"{name}: inserting")
            rows = np.flatnonzero(plan.new)
            if name == "skills":  # parents before children for the self foreign key
                rows = rows[np.argsort(_depths(frame, frame.iloc[rows]), kind="stable")]
            every = count.new == len(frame) and name != "skills"  # slices, no copies
            for start in range(0, len(rows), _BULK_ROWS):
                part = rows[start : start + _BULK_ROWS]
                sub = frame.iloc[start : start + len(part)] if every else frame.iloc[part]
                batch = arrow_rows(name, sub, plan.hashes[part])
                cur.adbc_ingest(name, batch, mode="append")  # type: ignore[attr-defined]
                bar.update(len(part))
        log.info("%s: %d new, 0 updated, %d unchanged (bulk)", name, count.new, count.unchanged)
        return count

    def _insert(self, conn: Connection, name: str, rows: pd.DataFrame, bar: tqdm | None) -> None:
        """Plain INSERT of rows known to be new, through the driver's executemany (several
        times faster than the upsert path for first loads)."""
        if rows.empty:
            return
        cols = [*TABLES[name].names, HASH]
        mark = "?" if self.engine.dialect.paramstyle == "qmark" else "%s"
        sql = f"INSERT INTO {name} ({', '.join(cols)}) VALUES ({', '.join([mark] * len(cols))})"
        dialect = self.engine.dialect.name
        for start in range(0, len(rows), _CHUNK):
            chunk = rows.iloc[start : start + _CHUNK][cols]
            conn.exec_driver_sql(sql, _dbapi_columns(chunk, dialect))
            if bar is not None:
                bar.update(len(chunk))

    def _upsert(self, conn: Connection, name: str, rows: pd.DataFrame, bar: tqdm | None) -> None:
        """INSERT … ON CONFLICT (key) DO UPDATE for changed (or ordered) rows."""
        if rows.empty:
            return
        spec = TABLES[name]
        key = list(spec.key)
        if self.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        stmt = insert(METADATA.tables[name])
        stmt = stmt.on_conflict_do_update(
            index_elements=key,
            set_={c: stmt.excluded[c] for c in [*spec.names, HASH] if c not in key},
        )
        for start in range(0, len(rows), _CHUNK):
            chunk = rows.iloc[start : start + _CHUNK]
            conn.execute(stmt, _records(chunk))
            if bar is not None:
                bar.update(len(chunk))

    def _refresh_hashes(self, conn: Connection, name: str, rows: pd.DataFrame) -> None:
        """Set ``row_hash`` of stored rows whose values are already equal."""
        if rows.empty:
            return
        key = list(TABLES[name].key)
        mark = "?" if self.engine.dialect.paramstyle == "qmark" else "%s"
        where = " AND ".join(f"{k} = {mark}" for k in key)
        sql = f"UPDATE {name} SET {HASH} = {mark} WHERE {where}"
        cols = [HASH, *key]
        for start in range(0, len(rows), _CHUNK):
            chunk = rows.iloc[start : start + _CHUNK][cols]
            conn.exec_driver_sql(sql, _dbapi_columns(chunk, self.engine.dialect.name))

    def _add_hash_column(self, conn: Connection, name: str) -> None:
        """Upgrade a table of an older store (no ``row_hash``) in the write's transaction."""
        log.warning("%s: upgrading the store: adding column %s", name, HASH)
        conn.exec_driver_sql(f"ALTER TABLE {name} ADD COLUMN {HASH} BIGINT")

    def _write_table(
        self, conn: Connection, name: str, frame: pd.DataFrame, bar: tqdm | None = None
    ) -> WriteCount:
        def step(what: str) -> None:
            if bar is not None:
                bar.set_description(f"{name}: {what}")

        cached = self._plans.get(name)
        if cached is not None and cached.frame is frame:
            plan = cached
        else:
            step("comparing")
            plan = self._plan(conn, name, frame)
        if not self._hashed.get(name):
            self._add_hash_column(conn, name)
        count = plan.count
        if count.unchanged:
            step("unchanged")
            if bar is not None:
                bar.update(count.unchanged)

        def rows(mask: np.ndarray) -> pd.DataFrame:
            return frame.loc[mask].assign(**{HASH: plan.hashes[mask]})

        if plan.stale.any():
            step("refreshing row hashes")
            self._refresh_hashes(conn, name, rows(plan.stale))
        if name == "skills":  # parents before children for the self foreign key
            todo = rows(plan.new | plan.changed)
            todo = todo.iloc[np.argsort(_depths(frame, todo), kind="stable")]
            if len(todo):
                step("inserting" if not count.updated else "writing")
            self._upsert(conn, name, todo, bar)
        else:
            if count.new:
                step("inserting")
                self._insert(conn, name, rows(plan.new), bar)
            if count.updated:
                step("updating")
                self._upsert(conn, name, rows(plan.changed), bar)
        log.info(
            "%s: %d new, %d updated, %d unchanged", name, count.new, count.updated, count.unchanged
        )
        return count


def _fetch(conn: Connection, sql: str) -> list[tuple[object, ...]]:
    """All rows of a query as plain tuples, through the driver's own cursor (several
    times faster than SQLAlchemy rows for a few hundred thousand of them)."""
    cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cur.execute(sql)
        return cur.fetchall()
    finally:
        cur.close()


def _dbapi_columns(frame: pd.DataFrame, dialect: str) -> list[tuple[object, ...]]:
    """Rows as DB-API tuples: ISO date strings for SQLite (as SQLAlchemy stores them),
    date objects for PostgreSQL, None for missing values."""
    cols = []
    for c in frame.columns:
        s = frame[c]
        if pd.api.types.is_datetime64_any_dtype(s):
            if dialect == "sqlite":
                text = np.datetime_as_string(s.to_numpy().astype("datetime64[D]"), unit="D")
                col = np.where(s.isna().to_numpy(), None, text.astype(object))
            else:
                col = np.where(s.isna().to_numpy(), None, s.dt.date.to_numpy(dtype=object))
        elif pd.api.types.is_bool_dtype(s):
            col = s.to_numpy(dtype=object)
        else:
            col = s.astype(object).where(s.notna(), None).to_numpy(dtype=object)
            if pd.api.types.is_integer_dtype(s):
                col = np.array([None if v is None else int(v) for v in col], dtype=object)
        cols.append(col)
    return list(zip(*cols, strict=True)) if cols else []


def _check_references(
    cur: object, name: str, typed: dict[str, pd.DataFrame], new: np.ndarray
) -> None:
    """Every foreign key of the ``new`` rows of ``name`` names a row of its parent table,
    which (inside the bulk write's transaction) holds the batch's rows too.  Values
    among the batch's parent keys are settled in Arrow; only the others are looked up,
    through a temporary table joined with the parent's key index."""
    frame = typed[name]
    for col in TABLES[name].columns:
        if col.ref is None or col.kind == "refs":  # ``refs`` lists have no SQL constraint
            continue
        ptable, pcol = col.ref.split(".")
        values = pc.unique(pc.drop_null(_arrow_text(frame[col.name], new)))
        if ptable in typed and len(values):
            known = _arrow_text(typed[ptable][pcol]).cast(values.type)
            values = values.filter(pc.invert(pc.is_in(values, value_set=known)))
        if not len(values):
            continue
        probe = f"_learnmap_refs_{name}_{col.name}"
        cur.adbc_ingest(
            probe, pa.table({"v": values.cast(pa.string())}), mode="create", temporary=True
        )  # type: ignore[attr-defined]
        cur.execute(  # type: ignore[attr-defined]
            f"SELECT v FROM temp.{probe} WHERE v NOT IN (SELECT {pcol} FROM {ptable}) LIMIT 5"
        )
        missing = [row[0] for row in cur.fetchall()]  # type: ignore[attr-defined]
        cur.execute(f"DROP TABLE temp.{probe}")  # type: ignore[attr-defined]
        if missing:
            raise StoreError(
                f"FOREIGN KEY constraint failed: {name}.{col.name} names no "
                f"{ptable}.{pcol}: {', '.join(map(str, missing))}"
            )


def _arrow_text(s: pd.Series, rows: np.ndarray | None = None) -> pa.Array:
    """A text column (any dtype) as an Arrow string array, optionally only ``rows``."""
    if isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow":
        arr = pa.array(s, from_pandas=True)
        arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    else:
        arr = pa.array(s.to_numpy(dtype=object), type=pa.large_string(), from_pandas=True)
    return arr.filter(pa.array(rows)) if rows is not None else arr


def arrow_rows(name: str, frame: pd.DataFrame, hashes: np.ndarray) -> pa.Table:
    """Rows of ``frame`` (validated) with their ``row_hash`` as the Arrow table the bulk
    load binds: the values ``_dbapi_columns`` gives the SQLite driver, column for column
    (dates as ISO text, booleans as 0/1, missing values as nulls)."""
    arrays: dict[str, pa.Array] = {}
    for col in TABLES[name].columns:
        s = frame[col.name]
        kind = col.kind.removeprefix("opt_")
        if kind == "date":
            days = pa.array(s.to_numpy(dtype="datetime64[ns]"), from_pandas=True)
            arr = days.cast(pa.date32()).cast(pa.string())
        elif kind == "bool":
            arr = pa.array(s.to_numpy(dtype=bool, na_value=False).astype(np.int64))
        elif kind == "float":
            arr = pa.array(s.to_numpy(dtype="float64", na_value=np.nan), from_pandas=True)
        elif kind == "int":
            arr = pa.array(s.astype("Int64"), type=pa.int64(), from_pandas=True)
        else:
            arr = _arrow_text(s).cast(pa.string())
        arrays[col.name] = arr
    arrays[HASH] = pa.array(np.asarray(hashes, dtype=np.int64))
    return pa.table(arrays)


def load_tables(url: str | None = None) -> dict[str, pd.DataFrame]:
    """All canonical tables of the store at ``url`` (default as ``Store``) as pandas frames."""
    return Store(url).load()


def _depths(all_skills: pd.DataFrame, rows: pd.DataFrame) -> np.ndarray:
    parent = dict(zip(all_skills["skill_id"], all_skills["parent_id"], strict=True))
    out = []
    for sid in rows["skill_id"]:
        d, cur = 0, parent.get(sid)
        while cur is not None and isinstance(cur, str) and d < 1000:
            d, cur = d + 1, parent.get(cur)
        out.append(d)
    return np.asarray(out)


def _records(frame: pd.DataFrame) -> list[dict[str, object]]:
    out = pd.DataFrame(index=frame.index)
    for c in frame.columns:
        s = frame[c]
        if pd.api.types.is_datetime64_any_dtype(s):
            out[c] = pd.Series(s.dt.date.to_numpy(dtype=object), index=s.index).where(s.notna())
        elif pd.api.types.is_bool_dtype(s):
            out[c] = s.astype(object)
        else:
            out[c] = s.astype(object)
    out = out.astype(object).where(out.notna(), None)
    return out.to_dict("records")


def _restore_types(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    spec = TABLES[name]
    for c in frame.columns:
        kind = spec.column(c).kind.removeprefix("opt_")
        s = frame[c]
        if kind == "date":
            frame[c] = pd.to_datetime(s).astype("datetime64[ns]")
        elif kind == "bool":
            frame[c] = s.astype(bool)
        elif kind == "float":
            frame[c] = s.astype("float64")
        elif kind == "int":
            frame[c] = s.astype("Int64")
        elif kind == "refs":
            frame[c] = s.fillna("").astype(object)
        else:
            frame[c] = s.astype(object).where(s.notna(), None)
    return frame
