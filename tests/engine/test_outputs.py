"""Output files: atomic, and readable as the user's umask says (not mkstemp's 0600)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pandas as pd
import pytest

from engine.errors import LearnmapError
from engine.outputs import atomic_path, write_table, write_text


@pytest.fixture
def umask():  # noqa: ANN201
    old = os.umask(0o022)
    yield os.umask
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_files_get_the_mode_the_umask_gives(tmp_path: Path, umask, mask: int, mode: int) -> None:  # noqa: ANN001
    umask(mask)
    frame = pd.DataFrame({"a": [1, 2]})
    files = [
        write_table(frame, tmp_path / "t.csv"),
        write_table(frame, tmp_path / "t.parquet"),
        write_text(tmp_path / "deep" / "n.json", "{}"),
    ]
    for f in files:
        assert _mode(f) == mode, f.name
    assert pd.read_parquet(tmp_path / "t.parquet")["a"].tolist() == [1, 2]


def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path: Path) -> None:
    path = write_text(tmp_path / "r.csv", "old\n")
    with pytest.raises(RuntimeError), atomic_path(path) as tmp:
        tmp.write_text("half a fi")
        raise RuntimeError("disk full")
    assert path.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv"]


def test_table_suffix_is_checked(tmp_path: Path) -> None:
    with pytest.raises(LearnmapError, match=r"\.csv, \.parquet or \.xlsx"):
        write_table(pd.DataFrame({"a": [1]}), tmp_path / "t.txt")
    assert list(tmp_path.iterdir()) == []
