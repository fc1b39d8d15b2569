"""One writer at a time (issue 22, defect 1): two first ingests at once used to delete
the store ("database is locked", then "disk I/O error … COMMIT", and no file left).
Run on SQLite and, with LEARNMAP_TEST_POSTGRES_URL, on PostgreSQL."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from engine.errors import StoreBusyError
from engine.store import Store
from engine.store.lock import writer_lock

LEARNMAP = [sys.executable, "-m", "engine.cli"]


def _env(store: Store, **extra: str) -> dict[str, str]:
    env = {**os.environ, "LEARNMAP_DATABASE_URL": store.url, "PYTHONUNBUFFERED": "1"}
    return {**env, "LEARNMAP_LANG": "zh-CN", **extra}


def _start_ingest(store: Store, data: Path, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [*LEARNMAP, "ingest", str(data)],
        env=_env(store, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _read_until(stream, needle: str, timeout: float) -> str:  # noqa: ANN001
    """Lines of ``stream`` up to one containing ``needle`` (fails after ``timeout``)."""
    seen: list[str] = []
    done = threading.Event()

    def read() -> None:
        for line in stream:
            seen.append(line)
            if needle in line:
                done.set()
                return

    threading.Thread(target=read, daemon=True).start()
    assert done.wait(timeout), f"never said {needle!r}: {''.join(seen)}"
    return "".join(seen)


def _staff(store: Store) -> int:
    return store.counts()["staff"]


def test_two_first_ingests_at_once_both_succeed(store: Store, small_dir: Path) -> None:
    """The race of the report, as a user runs it: both exit 0, the store holds the data
    once, and the second reports the first's rows as unchanged."""
    first = _start_ingest(store, small_dir)
    time.sleep(0.3)
    second = _start_ingest(store, small_dir)
    results = [p.communicate(timeout=300) + (p.returncode,) for p in (first, second)]
    for _out, err, code in results:
        assert code == 0, err
        assert "Traceback" not in err
    assert _staff(store) == sum(1 for _ in open(small_dir / "staff.csv", encoding="utf-8")) - 1
    outputs = "".join(out for out, _, _ in results)
    # whichever came second found everything in place
    assert re.search(r"人员名册（staff） +新增 +0 行", outputs), outputs


def test_a_second_writer_waits_for_the_first(store: Store, small_dir: Path) -> None:
    """While another writer holds the store, an ingest says it is waiting, writes
    nothing, and completes once the lock is free."""
    with writer_lock(store):
        proc = _start_ingest(store, small_dir)
        err = _read_until(proc.stderr, "另一个导入正在写入", timeout=60)
        assert proc.poll() is None  # still waiting
        if store.sqlite_path() is not None:
            assert not store.sqlite_path().exists()  # nothing created meanwhile
    out, rest = proc.communicate(timeout=300)
    assert proc.returncode == 0, err + rest
    assert _staff(store) > 0


def test_the_loser_gives_up_with_advice_and_deletes_nothing(store: Store, small_dir: Path) -> None:
    """Past ``LEARNMAP_LOCK_TIMEOUT`` the waiting ingest exits 1 with what to do; the
    store the other writer is filling stays."""
    store.create()  # the other writer's first ingest has created the store
    with writer_lock(store):
        proc = _start_ingest(store, small_dir, LEARNMAP_LOCK_TIMEOUT="0.5")
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 1, err
        assert "请等它完成后再运行一次导入" in err and "LEARNMAP_LOCK_TIMEOUT" in err
        assert "Traceback" not in err
        if store.sqlite_path() is not None:
            assert store.sqlite_path().exists()
        assert _staff(store) == 0


def test_lock_is_exclusive_within_a_process_too(store: Store) -> None:
    with writer_lock(store), pytest.raises(StoreBusyError, match="another writer"):
        with writer_lock(Store(store.url), timeout=0.2):
            pass
    with writer_lock(store, timeout=0.2):  # free again
        pass


def test_data_version_moves_with_data_only(store: Store, small_dir: Path) -> None:
    """The data version the API answers from (issue 22, defect 2): raised by a write
    that changes data, not by an identical re-ingest."""
    from engine.ingest import ingest

    assert store.data_version() == 0
    ingest(small_dir, store)
    first = store.data_version()
    assert first > 0
    ingest(small_dir, store)
    assert store.data_version() == first
    assert Store(store.url).data_version() == first  # another handle, another process
