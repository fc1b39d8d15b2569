"""The store's connection: URL, engine, table creation."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from engine.errors import StoreError
from engine.schema import TABLE_ORDER
from engine.store.tables import HASH, METADATA, database_url

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
        if self.url.startswith("sqlite:///") and ":memory:" not in self.url:
            Path(self.url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.engine: Engine = sa.create_engine(self.url)
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

    def _step(self, what: str) -> None:
        if self.on_step is not None:
            self.on_step(what)

    def create(self) -> None:
        if not self._ready:
            try:
                METADATA.create_all(self.engine)
                inspector = sa.inspect(self.engine)
                self._hashed = {
                    t: HASH in {c["name"] for c in inspector.get_columns(t)} for t in TABLE_ORDER
                }
            except sa.exc.OperationalError as exc:
                raise StoreError(f"cannot reach database {self.url!r}: {exc.orig}") from exc
            self._ready = True

    def drop(self) -> None:
        """Remove every learnmap table (used by tests and ``db reset``)."""
        METADATA.drop_all(self.engine)
        self._ready = False
        self._plans.clear()
