"""Row hashes and table fingerprints (see ``engine.store``, "Change detection")."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from engine.schema import TABLES, Column

_MULT = np.uint64(0x100000001B3)  # FNV prime: mixes column hashes in order
_ROW_SLICE = 131_072  # rows hashed at a time
_HASH_SLICE = 65_536  # values hashed per slice (bounds the temporary Python strings)


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
