"""Large demo tables held as codes (integer indices, numbers, dates) and turned into string
columns only a slice at a time — when written (``write_dataset`` writes them in chunks) or
when a caller asks for the whole DataFrame (``generate``).

At 200,000 cadres the participations table has ≈ 25 M rows; as Python-visible string columns
(ids, staff, module, session, status) it would need several GB, as codes ≈ 40 bytes a row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from engine.demo.ids import id_array, make_ids


@dataclass(frozen=True)
class Ids:
    """Sequential ids ``prefix`` + zero-padded row number (1-based)."""

    prefix: str
    width: int


@dataclass(frozen=True)
class Lookup:
    """``values[idx]``: a string column stored as indices into a small dictionary."""

    values: pa.Array
    idx: np.ndarray

    @classmethod
    def of(cls, values: object, idx: np.ndarray) -> Lookup:
        arr = values if isinstance(values, pa.Array) else pa.array(np.asarray(values, dtype=str))
        return cls(arr, idx)


Column = np.ndarray | Ids | Lookup


class Coded:
    """A table of ``n`` rows whose columns are codes; ``frame(a, b)`` materialises rows
    ``a:b`` exactly as the DataFrame the generator used to return (strings as ``str``
    dtype, dates as ``datetime64[ns]``)."""

    def __init__(self, columns: dict[str, Column], n: int) -> None:
        for name, col in columns.items():
            size = (
                len(col.idx) if isinstance(col, Lookup) else n if isinstance(col, Ids) else len(col)
            )
            if size != n:
                raise ValueError(f"column {name!r} has {size} rows, expected {n}")
        self.columns, self.n = columns, n

    def __len__(self) -> int:
        return self.n

    def frame(self, a: int = 0, b: int | None = None) -> pd.DataFrame:
        b = self.n if b is None else min(b, self.n)
        a = min(a, b)
        out = {}
        for name, col in self.columns.items():
            if isinstance(col, Ids):
                out[name] = make_ids(col.prefix, b - a, col.width, start=a + 1)
            elif isinstance(col, Lookup):
                idx = pa.array(np.asarray(col.idx[a:b], dtype=np.int64))
                out[name] = pd.Series(col.values.take(idx), dtype="str")
            elif np.issubdtype(col.dtype, np.datetime64):
                out[name] = col[a:b].astype("datetime64[ns]")
            else:
                out[name] = col[a:b]
        return pd.DataFrame(out)

    def arrow(self, a: int, b: int, columns: list[str]) -> pa.Table:
        """Rows ``a:b`` of ``columns`` as the Arrow table ``write_dataset`` writes (the same
        text as its pandas path: dates ``YYYY-MM-DD``, missing = empty, numbers cast by
        Arrow), without building pandas columns."""
        b = min(b, self.n)
        a = min(a, b)
        out = {}
        for name in columns:
            col = self.columns[name]
            if isinstance(col, Ids):
                out[name] = id_array(col.prefix, b - a, col.width, start=a + 1)
            elif isinstance(col, Lookup):
                out[name] = col.values.take(pa.array(np.asarray(col.idx[a:b], dtype=np.int64)))
            elif np.issubdtype(col.dtype, np.datetime64):
                d = col[a:b].astype("datetime64[D]")
                out[name] = pa.array(d, type=pa.date32(), mask=np.isnat(d))
            elif np.issubdtype(col.dtype, np.floating):
                v = col[a:b].astype(float)
                text = pc.cast(pa.array(v), pa.string())
                out[name] = pc.if_else(pa.array(np.isnan(v)), pa.scalar(None, pa.string()), text)
            elif col.dtype == bool:
                out[name] = pa.array(np.where(col[a:b], "true", "false"))
            else:
                out[name] = pa.array(col[a:b])
        return pa.table(out)


def materialise(table: pd.DataFrame | Coded) -> pd.DataFrame:
    return table.frame() if isinstance(table, Coded) else table
