"""The on-disk cache of population statistics (engine.reads.cached_frame)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.reads import cached_frame
from engine.store import Store


def test_cached_frames_round_trip_and_a_damaged_file_is_recomputed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEARNMAP_CACHE_DIR", str(tmp_path / "cache"))
    store = Store(f"sqlite:///{tmp_path / 's.db'}")
    store.create()
    frame = pd.DataFrame(
        {
            "module_id": np.array(["M1", "模块二", "M3"], dtype=object),
            "cat": pd.Categorical(["a", "b", "a"], categories=["a", "b", "c"]),
            "n": np.array([1, 2, 3], dtype=np.int64),
            "x": [0.1, 1 / 3, np.nan],
            "day": pd.to_datetime(["2026-01-01", None, "2026-03-01"]).astype("datetime64[ns]"),
            "flag": np.array([1, 0, 1], dtype=np.int8),
        }
    )
    calls = []

    def compute(_store: Store, _day: object) -> pd.DataFrame:
        calls.append(1)
        return frame

    first = cached_frame(store, "t", None, compute)
    again = cached_frame(store, "t", None, compute)
    assert len(calls) == 1
    pd.testing.assert_frame_equal(again, frame)
    pd.testing.assert_frame_equal(first, frame)
    (path,) = (tmp_path / "cache").glob("*.npz")
    path.write_bytes(b"not a zip file")
    pd.testing.assert_frame_equal(cached_frame(store, "t", None, compute), frame)
    assert len(calls) == 2
    # missing text cannot be cached: computed each time, never wrong
    holes = frame.assign(module_id=["M1", None, "M3"])
    out = cached_frame(store, "holes", None, lambda _s, _d: holes)
    pd.testing.assert_frame_equal(out, holes)
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 1
