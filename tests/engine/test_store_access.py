"""The store's file and errors guard personal data (issue 22, defects 6 and 8): the
SQLite file (and the models and caches beside it) are created 0600 whatever the umask;
a failed write names no row values; a store directory that cannot be created is a clear
error (exit 2), not a traceback."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine import store as store_module
from engine.errors import StoreAccessError, StoreError
from engine.outputs import atomic_path
from engine.readers import read_dataset
from engine.store import Store
from engine.validate import validate_dataset
from tests.engine.test_store import write_tiny


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_store_file_is_created_owner_only(tmp_path: Path, umask_022: None) -> None:
    db = tmp_path / "sub" / "learnmap.db"
    Store(f"sqlite:///{db}").create()
    assert _mode(db) == 0o600


def test_private_outputs_are_owner_only(tmp_path: Path, umask_022: None) -> None:
    with atomic_path(tmp_path / "model.joblib", private=True) as tmp:
        tmp.write_bytes(b"x")
    with atomic_path(tmp_path / "report.csv") as tmp:
        tmp.write_bytes(b"x")
    assert _mode(tmp_path / "model.joblib") == 0o600
    assert _mode(tmp_path / "report.csv") == 0o644  # shared outputs still follow the umask


def test_failed_write_names_no_personal_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write the database refuses (here: a person of no organization, slipped past
    validation) fails as a whole; the message names the statement, not the rows."""
    monkeypatch.setattr(store_module.bulk, "BULK", False)
    store = Store(f"sqlite:///{tmp_path / 'learnmap.db'}")
    typed = validate_dataset(read_dataset(write_tiny(tmp_path / "a")))
    staff = typed["staff"].copy()
    staff.loc[:, "org_id"] = "ORG-NOWHERE-SECRET"
    staff.loc[:, "staff_id"] = [f"WANG-XIAOMING-{i}" for i in range(len(staff))]
    bad = {"organizations": typed["organizations"], "staff": staff}
    with pytest.raises(StoreError) as info:
        store.write(bad)
    text = str(info.value)
    assert "nothing was written" in text
    assert "WANG-XIAOMING" not in text and "ORG-NOWHERE-SECRET" not in text


def test_store_directory_that_cannot_be_made_is_exit_2(tmp_path: Path) -> None:
    """A store under a path that cannot be a directory (a file in the way): one line
    naming the directory, exit 2, nothing created (works as root too, unlike chmod)."""
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file")
    url = f"sqlite:///{blocker / 'sub' / 'learnmap.db'}"
    with pytest.raises(StoreAccessError, match="cannot create the store's directory"):
        Store(url).create()
    data = write_tiny(tmp_path / "data")
    proc = subprocess.run(
        [sys.executable, "-m", "engine.cli", "ingest", str(data)],
        env={**os.environ, "LEARNMAP_DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "not-a-dir" in proc.stderr
    assert blocker.read_text() == "a file"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through read-only modes")
def test_read_only_directory_is_exit_2(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        with pytest.raises(StoreAccessError):
            Store(f"sqlite:///{ro / 'learnmap.db'}").create()
    finally:
        ro.chmod(0o755)
