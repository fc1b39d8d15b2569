"""Fast id columns for large demo tables (Arrow string kernels instead of Python strings)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def id_array(prefix: str, n: int, width: int, start: int = 1) -> pa.Array:
    """``prefix`` + zero-padded ``start … start+n−1`` as an Arrow string array."""
    digits = pc.cast(pa.array(np.arange(start, start + n, dtype=np.int64)), pa.string())
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(digits, width, "0"), "")


def make_ids(prefix: str, n: int, width: int, start: int = 1) -> pd.Series:
    """``prefix`` + zero-padded ``start … start+n−1`` as a string column."""
    return pd.Series(id_array(prefix, n, width, start), dtype="str")


def take_ids(values: object, idx: np.ndarray) -> pd.Series:
    """``values[idx]`` as a string column (values: a sequence of strings)."""
    arr = (
        pa.array(np.asarray(values, dtype=object).astype(str))
        if not isinstance(values, pa.Array)
        else values
    )
    return pd.Series(arr.take(pa.array(np.asarray(idx, dtype=np.int64))), dtype="str")
