"""Id lookups through Arrow: membership and positions of text values (several times
faster than pandas on millions of ids; missing values are nulls and match nothing)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def _isin(values: pd.Series, *known: pd.Series) -> np.ndarray:
    """``values.isin(known)`` for text, through Arrow (several times faster on millions)."""
    if len(values) == 0:
        return np.zeros(0, dtype=bool)
    ref = pc.drop_null(pa.concat_arrays([_arrow_text(k) for k in known]))
    hit = pc.fill_null(pc.is_in(_arrow_text(values), value_set=ref), False)
    return hit.to_numpy(zero_copy_only=False).astype(bool)


def _arrow_text(values: pd.Series) -> pa.Array:
    """Text as an Arrow array (missing values as nulls)."""
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        arr = pa.array(values)
        arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
        return arr.cast(pa.large_string())
    return pa.array(values.to_numpy(dtype=object), type=pa.large_string(), from_pandas=True)


def _positions(values: pd.Series, ref: pd.Series) -> np.ndarray:
    """Position in ``ref`` of each value (first match), -1 where absent."""
    pos = pc.index_in(_arrow_text(values), value_set=_arrow_text(ref))
    return pc.fill_null(pos, -1).to_numpy(zero_copy_only=False).astype(np.int64)
