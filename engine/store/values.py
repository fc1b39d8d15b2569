"""Values between pandas, SQL drivers and Arrow, as the store writes and reads them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy.engine import Connection

from engine.schema import TABLES
from engine.store.tables import HASH

_IN_CHUNK = 5_000  # keys per ``WHERE key IN (…)`` query
_FETCH_ALL_ABOVE = 20_000  # fetch a whole table rather than this many rows by key


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
