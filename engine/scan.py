"""Column-pruned, typed reads of store tables into Arrow (issue 12).

``scan(store, table, columns)`` yields ``pyarrow.RecordBatch``es of the named columns
with their canonical Arrow types — ids and text ``large_string``, dates
``timestamp[ns]``, booleans, ``float64``, ``int64`` — and ``read(store, table,
columns)`` gathers them into one pandas frame (text as Arrow-backed strings), so a
command that needs four columns of a 20-million-row table reads four columns and
never builds a Python object per row.

Back ends:

- **SQLite** is read with ADBC (``adbc-driver-sqlite``, a C driver filling Arrow
  buffers straight from SQLite, in batches of ``BATCH_ROWS``).  That driver infers a
  column's type from its first batch; a batch of NULLs would be taken for integers and
  a later text value then fails.  Every nullable column is therefore read as
  ``COALESCE(col, <zero of its type>)`` together with a ``col IS NULL`` flag, and the
  flag puts the missing values back — robust whatever the order of rows.
- **Other back ends** (PostgreSQL) are read through SQLAlchemy with ``yield_per``
  (a server-side cursor on PostgreSQL), ``BATCH_ROWS`` rows at a time, each batch
  turned into Arrow arrays at once: Python values live only for one batch, and the
  server never sends the whole table at once.

Both give the same frames (``tests/engine/test_store.py`` checks them against
``Store.load_table``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date, datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from engine.schema import TABLES, Column

log = logging.getLogger(__name__)

BATCH_ROWS = 65_536

_ARROW = {
    "date": pa.timestamp("ns"),
    "bool": pa.bool_(),
    "float": pa.float64(),
    "int": pa.int64(),
}
#: the SQL zero each kind is coalesced to (SQLite path), so batches keep one type
_ZERO = {"date": "''", "bool": "0", "float": "0.0", "int": "0"}
_CAST = {"date": "TEXT", "bool": "INTEGER", "float": "REAL", "int": "INTEGER"}


def _kind(col: Column) -> str:
    return col.kind.removeprefix("opt_")


def arrow_type(col: Column) -> pa.DataType:
    return _ARROW.get(_kind(col), pa.large_string())


def _nullable(col: Column) -> bool:
    return col.optional_value or not col.required


def _sqlite_select(table: str, cols: list[Column]) -> str:
    parts = []
    for c in cols:
        kind = _kind(c)
        cast = _CAST.get(kind, "TEXT")
        if _nullable(c):
            zero = _ZERO.get(kind, "''")
            parts.append(f"CAST(COALESCE({c.name}, {zero}) AS {cast}) AS {c.name}")
            parts.append(f"({c.name} IS NULL) AS {c.name}__na")
        else:
            parts.append(f"CAST({c.name} AS {cast}) AS {c.name}")
    return f"SELECT {', '.join(parts)} FROM {table}"  # names come from the schema only


def _to_canonical(arr: pa.Array, col: Column) -> pa.Array:
    """A column as read (any Arrow type) in its canonical Arrow type."""
    kind = _kind(col)
    if kind == "date":
        if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
            arr = pc.if_else(pc.equal(arr, ""), pa.scalar(None, arr.type), arr)
            arr = pc.strptime(arr, format="%Y-%m-%d", unit="s", error_is_null=False)
        return arr.cast(pa.timestamp("ns"))
    if kind == "bool" and not pa.types.is_boolean(arr.type):
        return pc.not_equal(arr, pa.scalar(0, arr.type))
    target = arrow_type(col)
    return arr if arr.type == target else arr.cast(target)


def _sqlite_batches(store: object, table: str, cols: list[Column]) -> Iterator[pa.RecordBatch]:
    import adbc_driver_sqlite.dbapi as adbc
    from adbc_driver_sqlite import StatementOptions

    path = store.engine.url.database  # type: ignore[attr-defined]
    schema = pa.schema([pa.field(c.name, arrow_type(c)) for c in cols])
    with adbc.connect(path) as conn, conn.cursor() as cur:
        cur.adbc_statement.set_options(**{StatementOptions.BATCH_ROWS.value: str(BATCH_ROWS)})
        cur.execute(_sqlite_select(table, cols))
        for batch in cur.fetch_record_batch():
            arrays = []
            for c in cols:
                arr = _to_canonical(batch.column(c.name), c)
                if _nullable(c):
                    na = batch.column(f"{c.name}__na").cast(pa.bool_())
                    arr = pc.if_else(na, pa.scalar(None, arr.type), arr)
                arrays.append(arr)
            yield pa.RecordBatch.from_arrays(arrays, schema=schema)


def _python_array(values: tuple[object, ...], col: Column) -> pa.Array:
    kind = _kind(col)
    if kind == "date":
        days = [
            None
            if v is None
            else (v.date() if isinstance(v, datetime) else v)
            if isinstance(v, date)
            else date.fromisoformat(str(v))
            for v in values
        ]
        return pa.array(days, type=pa.date32()).cast(pa.timestamp("ns"))
    if kind in ("bool", "float", "int"):
        return _to_canonical(pa.array(values, from_pandas=True), col)
    return pa.array(values, type=pa.large_string())


def _dbapi_batches(store: object, table: str, cols: list[Column]) -> Iterator[pa.RecordBatch]:
    schema = pa.schema([pa.field(c.name, arrow_type(c)) for c in cols])
    sql = f"SELECT {', '.join(c.name for c in cols)} FROM {table}"
    with store.engine.connect() as conn:  # type: ignore[attr-defined]
        # yield_per: a server-side cursor where the driver has one (PostgreSQL), so only
        # one batch of rows is ever in this process, not the whole result
        result = conn.execution_options(yield_per=BATCH_ROWS).exec_driver_sql(sql)
        try:
            for rows in result.partitions(BATCH_ROWS):
                columns = list(zip(*rows, strict=True))
                arrays = [_python_array(v, c) for v, c in zip(columns, cols, strict=True)]
                yield pa.RecordBatch.from_arrays(arrays, schema=schema)
        finally:
            result.close()


_ADBC = {"enabled": True}


def disable_adbc() -> None:
    """Read (and bulk-write) SQLite through Python's ``sqlite3`` only, in this process.

    ADBC's driver links its own copy of SQLite.  Two copies in one process do not see
    each other's POSIX locks (closing a file in one drops the other's locks), so a
    process whose threads write through ``sqlite3`` while others read through ADBC —
    the API service, whose audit trail is written while requests read — can get
    "disk I/O error" or worse.  One-shot commands (ingest, status, report) do not
    write and read concurrently and keep the faster ADBC path."""
    _ADBC["enabled"] = False


def uses_adbc(store: object) -> bool:
    if not _ADBC["enabled"]:
        return False
    url = store.engine.url  # type: ignore[attr-defined]
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return False
    try:
        import adbc_driver_sqlite.dbapi  # noqa: F401
    except ImportError:  # pragma: no cover - a dependency, but keep reads working
        log.warning("adbc-driver-sqlite is missing: reading through the DB-API cursor")
        return False
    return True


def scan(
    store: object, table: str, columns: list[str] | None = None, adbc: bool | None = None
) -> Iterator[pa.RecordBatch]:
    """Batches of ``columns`` (default: every canonical column) of ``table``."""
    spec = TABLES[table]
    cols = [spec.column(c) for c in (columns or spec.names)]  # unknown names raise
    use = uses_adbc(store) if adbc is None else adbc
    return (_sqlite_batches if use else _dbapi_batches)(store, table, cols)


def empty(table: str, columns: list[str]) -> pa.Table:
    spec = TABLES[table]
    return pa.schema([pa.field(c, arrow_type(spec.column(c))) for c in columns]).empty_table()


def to_pandas(table_name: str, data: pa.Table) -> pd.DataFrame:
    """Arrow → pandas with the dtypes the builders expect (see ``Store.load_table``):
    text as Arrow-backed strings (no Python object per value), dates ``datetime64[ns]``,
    ``int`` columns nullable ``Int64``, ``refs`` with missing values as ""."""
    spec = TABLES[table_name]
    out = {}
    for name in data.column_names:
        col = data.column(name)
        kind = _kind(spec.column(name))
        if kind == "refs":
            col = pc.fill_null(col, "")
        if kind == "int":
            out[name] = pd.array(col.to_numpy(zero_copy_only=False), dtype="Int64")
            if col.null_count:
                out[name][col.is_null().to_numpy(zero_copy_only=False)] = pd.NA
        elif pa.types.is_large_string(col.type) or pa.types.is_string(col.type):
            out[name] = col.to_pandas(types_mapper=lambda _t: TEXT if TEXT is not object else None)
        elif kind == "bool":
            out[name] = col.to_numpy(zero_copy_only=False).astype(bool)
        else:
            out[name] = col.to_pandas()
    return pd.DataFrame(out, columns=data.column_names)


def _text_dtype() -> pd.api.extensions.ExtensionDtype | str:
    """Arrow-backed strings whose missing value is NaN (pandas' ``str`` dtype), so
    comparisons give plain numpy booleans as with object columns."""
    try:
        return pd.StringDtype("pyarrow", na_value=np.nan)
    except TypeError:  # pandas < 2.3: no NaN-backed string dtype
        return object


TEXT = _text_dtype()


def read(
    store: object,
    table: str,
    columns: list[str] | None = None,
    adbc: bool | None = None,
    bar: object | None = None,
) -> pd.DataFrame:
    """``columns`` of ``table`` as one pandas frame (see ``to_pandas``); ``bar`` (a
    ``tqdm`` bar) is advanced by the rows read."""
    cols = list(columns or TABLES[table].names)
    batches = []
    for batch in scan(store, table, cols, adbc=adbc):
        batches.append(batch)
        if bar is not None:
            bar.update(batch.num_rows)  # type: ignore[attr-defined]
    data = pa.Table.from_batches(batches) if batches else empty(table, cols)
    del batches
    return to_pandas(table, data.combine_chunks())
