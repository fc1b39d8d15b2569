"""One writer at a time: the lock every ingest and record write of a store takes.

Two ``learnmap ingest`` runs into the same store used to race (issue 22, defect 1):
on a first ingest both created the SQLite file, one failed "database is locked", the
other "disk I/O error", and the loser's clean-up deleted the file the winner was
writing.  Now a writer takes ``writer_lock(store)`` before it looks at the store:

- SQLite: an exclusive ``flock`` on ``.<store file name>.lock`` beside the store
  (created 0600 and never removed — removing a lock file others may be waiting on
  would let two writers in; the kernel releases the lock when the process dies, so a
  killed ingest never leaves the store locked);
- PostgreSQL: a session advisory lock (``pg_try_advisory_lock``) on a fixed key, held
  on a connection of its own for the length of the write;
- other back ends: no lock.

A writer that finds the lock taken says so once (``on_wait``, e.g. "waiting for
another ingest into var/learnmap.db …") and retries every ``POLL`` seconds for up to
``timeout`` seconds (``LEARNMAP_LOCK_TIMEOUT``, default 600), then raises
``StoreBusyError`` saying what to do.  Because the second writer only decides whether
the store is new *after* it holds the lock, a failed first ingest can never delete a
file another process is writing.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from engine.errors import StoreAccessError, StoreBusyError

if TYPE_CHECKING:
    from engine.store.base import StoreBase

log = logging.getLogger(__name__)

ENV_TIMEOUT = "LEARNMAP_LOCK_TIMEOUT"
DEFAULT_TIMEOUT = 600.0
POLL = 0.1
#: advisory lock key of learnmap writers on PostgreSQL ("lmap" in ASCII)
PG_KEY = 0x6C6D6170


def lock_timeout() -> float:
    raw = os.environ.get(ENV_TIMEOUT)
    if not raw:
        return DEFAULT_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        raise StoreBusyError(f"{ENV_TIMEOUT}={raw!r} is not a number of seconds") from None
    return max(0.0, value)


def lock_path(store: StoreBase) -> Path | None:
    """The lock file of a SQLite store (None for other back ends or in memory)."""
    url = store.engine.url
    db = url.database
    if url.get_backend_name() != "sqlite" or not db or db == ":memory:":
        return None
    path = Path(db)
    return path.with_name(f".{path.name}.lock")


@contextmanager
def writer_lock(
    store: StoreBase,
    timeout: float | None = None,
    on_wait: Callable[[str], None] | None = None,
    what: str = "ingest",
) -> Iterator[None]:
    """Hold the store's writer lock for the ``with`` block (see the module docstring)."""
    limit = lock_timeout() if timeout is None else timeout
    path = lock_path(store)
    if path is not None:
        with _file_lock(store, path, limit, on_wait, what):
            yield
    elif store.engine.dialect.name == "postgresql":
        with _pg_lock(store, limit, on_wait, what):
            yield
    else:
        yield


def _wait(
    try_once: Callable[[], bool],
    store: StoreBase,
    limit: float,
    on_wait: Callable[[str], None] | None,
    what: str,
) -> None:
    t0 = time.monotonic()
    told = False
    while not try_once():
        waited = time.monotonic() - t0
        if waited >= limit:
            raise StoreBusyError(
                f"another writer has held the store {_where(store)} for over {limit:.0f}s; "
                f"wait for it to finish and run the {what} again (or raise {ENV_TIMEOUT}, "
                "in seconds)"
            )
        if not told:
            msg = f"waiting for another ingest into {_where(store)} to finish (up to {limit:.0f}s)"
            log.info("%s", msg)
            if on_wait is not None:
                on_wait(msg)
            told = True
        time.sleep(POLL)


def _where(store: StoreBase) -> str:
    return store.engine.url.database or store.engine.url.render_as_string(hide_password=True)


@contextmanager
def _file_lock(
    store: StoreBase,
    path: Path,
    limit: float,
    on_wait: Callable[[str], None] | None,
    what: str,
) -> Iterator[None]:
    import fcntl

    store.make_directory()
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise StoreAccessError(
            f"cannot write beside the store {path.parent}: {exc.strerror} "
            "(the store's directory must be writable by this user; set "
            "LEARNMAP_DATABASE_URL to a writable place)"
        ) from exc

    def try_once() -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    try:
        _wait(try_once, store, limit, on_wait, what)
        try:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextmanager
def _pg_lock(
    store: StoreBase, limit: float, on_wait: Callable[[str], None] | None, what: str
) -> Iterator[None]:
    conn = store.engine.connect()
    try:

        def try_once() -> bool:
            got = conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": PG_KEY})
            ok = bool(got.scalar_one())
            conn.commit()
            return ok

        _wait(try_once, store, limit, on_wait, what)
        try:
            yield
        finally:
            conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": PG_KEY})
            conn.commit()
    finally:
        conn.close()
