"""The store's connection: URL, engine, table creation."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from engine.errors import StoreAccessError, StoreError
from engine.schema import TABLE_ORDER, TABLES
from engine.store.tables import HASH, METADATA, VERSION, _sql_type, database_url

if TYPE_CHECKING:
    from engine.store.plan import Plan

log = logging.getLogger(__name__)


def _sqlite_fk_on(dbapi_conn: object, _record: object) -> None:
    cur = dbapi_conn.cursor()  # type: ignore[attr-defined]
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


class StoreBase:
    """The connection every part of ``Store`` shares."""

    def __init__(self, url: str | None = None) -> None:
        self.url = database_url(url)
        try:
            # hide_parameters: a failed statement's message (logged, printed, raised as
            # StoreError) names the SQL but never the rows' personal values
            self.engine: Engine = sa.create_engine(self.url, hide_parameters=True)
        except Exception as exc:  # bad URL or missing driver
            raise StoreError(f"cannot open database {self.url!r}: {exc}") from exc
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_fk_on)
        self._ready = False
        self._hashed: dict[str, bool] = {}  # table → has the row_hash column
        self._plans: dict[str, Plan] = {}
        #: called with what the store is doing during validation ("comparing staff");
        #: ``engine.ingest`` shows it on its progress bar
        self.on_step: Callable[[str], None] | None = None

    def sqlite_path(self) -> Path | None:
        """The SQLite store's file (None for other back ends or in memory)."""
        db = self.engine.url.database
        if self.engine.dialect.name != "sqlite" or not db or db == ":memory:":
            return None
        return Path(db)

    def make_directory(self) -> None:
        """Create a SQLite store's directory if missing (StoreAccessError if it cannot be)."""
        path = self.sqlite_path()
        if path is None or path.parent.is_dir():
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreAccessError(
                f"cannot create the store's directory {path.parent}: {exc.strerror} "
                "(create it, or set LEARNMAP_DATABASE_URL to a writable place)"
            ) from exc

    def _make_file(self) -> None:
        """Create a missing SQLite store file with mode 0600 (only its owner may read
        it: it holds personal data, key hashes and the pseudonym salt); SQLite gives its
        journal and WAL files the same mode."""
        path = self.sqlite_path()
        if path is None or path.exists():
            return
        self.make_directory()
        try:
            os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        except OSError as exc:
            raise StoreAccessError(
                f"cannot create the store {path}: {exc.strerror} (the directory must be "
                "writable by this user; or set LEARNMAP_DATABASE_URL to a writable place)"
            ) from exc

    def _step(self, what: str) -> None:
        if self.on_step is not None:
            self.on_step(what)

    def create(self) -> None:
        if not self._ready:
            self._make_file()
            try:
                METADATA.create_all(self.engine)
                inspector = sa.inspect(self.engine)
                stored = {t: {c["name"] for c in inspector.get_columns(t)} for t in TABLE_ORDER}
                self._add_optional_columns(stored)
                self._hashed = {t: HASH in stored[t] for t in TABLE_ORDER}
                self._seed_version()
            except sa.exc.OperationalError as exc:
                if "readonly" in str(exc.orig) or "read-only" in str(exc.orig):
                    raise StoreAccessError(
                        f"the store {self.url!r} is read-only: {exc.orig} (make the file and "
                        "its directory writable by this user)"
                    ) from exc
                raise StoreError(f"cannot reach database {self.url!r}: {exc.orig}") from exc
            self._ready = True

    def _seed_version(self) -> None:
        try:
            with self.engine.begin() as conn:
                conn.exec_driver_sql(
                    f"INSERT INTO {VERSION} (id, version) SELECT 1, 0 "
                    f"WHERE NOT EXISTS (SELECT 1 FROM {VERSION})"
                )
        except sa.exc.IntegrityError:  # another process seeded it first
            pass
        except sa.exc.OperationalError as exc:  # a read-only store: reads still work
            log.warning("could not seed the data version: %s", exc.orig)

    def data_version(self) -> int:
        """The store's data version: raised by every write that inserts or changes a row
        (not by the service's own audit or key rows).  One primary-key read."""
        self.create()
        with self.engine.connect() as conn:
            got = conn.exec_driver_sql(f"SELECT version FROM {VERSION} WHERE id = 1").first()
        return int(got[0]) if got else 0

    def _add_optional_columns(self, stored: dict[str, set[str]]) -> None:
        """Upgrade an older store: add the optional columns a later schema introduced
        (e.g. ``modules.offered_from``), empty.  Required columns are never added."""
        with self.engine.begin() as conn:
            for name in TABLE_ORDER:
                for col in TABLES[name].columns:
                    if col.name in stored[name] or col.required:
                        continue
                    log.warning("%s: upgrading the store: adding column %s", name, col.name)
                    kind = _sql_type(col).compile(dialect=self.engine.dialect)
                    conn.exec_driver_sql(f"ALTER TABLE {name} ADD COLUMN {col.name} {kind}")
                    stored[name].add(col.name)

    def drop(self) -> None:
        """Remove every learnmap table (used by tests and ``db reset``)."""
        METADATA.drop_all(self.engine)
        self._ready = False
        self._plans.clear()
