"""Files already ingested (table ``learnmap_ingests``) and the SQLite store file."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from engine.schema import TABLE_ORDER
from engine.store.base import StoreBase
from engine.store.hashing import _fingerprint_text
from engine.store.plan import WriteCount
from engine.store.tables import INGESTS, METADATA

log = logging.getLogger(__name__)


class FilesMixin(StoreBase):
    def is_new_file(self) -> bool:
        """A SQLite store whose file does not exist yet."""
        db = self.engine.url.database
        return (
            self.engine.dialect.name == "sqlite"
            and bool(db)
            and db != ":memory:"
            and (not Path(db).exists())
        )

    def remove_file(self) -> None:
        """Delete a SQLite store's file (after a failed first ingest created it)."""
        self.engine.dispose()
        db = self.engine.url.database
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        self._ready = False
        self._plans.clear()

    def unchanged_files(self, digests: dict[str, tuple[str, str]]) -> dict[str, WriteCount]:
        """``{table: WriteCount(unchanged=rows)}`` for the tables of ``digests``
        (``{table: (file name, digest)}``) last written from a file with that digest
        and not changed since (their fingerprint is the one recorded then).  Reads one
        record and one aggregate per table; never creates a store file."""
        if not digests or self.is_new_file():
            return {}
        out = {}
        try:
            self.create()
            with self.engine.connect() as conn:
                t = METADATA.tables[INGESTS]
                rows = conn.execute(sa.select(t).where(t.c.table_name.in_(list(digests)))).all()
                found = {r.table_name: r for r in rows}
                for name, (_, digest) in digests.items():
                    rec = found.get(name)
                    if rec is None or rec.digest != digest or not self._hashed.get(name):
                        continue
                    if _fingerprint_text(self._stored_fingerprint(conn, name)) == rec.fingerprint:
                        out[name] = WriteCount(unchanged=int(rec.rows))
        except sa.exc.SQLAlchemyError as exc:
            log.warning("could not compare files with the store (%s): reading them", exc)
            return {}
        return {name: out[name] for name in TABLE_ORDER if name in out}

    @staticmethod
    def _record_files(
        files: dict[str, tuple[str, str]],
        typed: dict[str, pd.DataFrame],
        fingerprint: Callable[[str], tuple[int, int, int, int]],
        put: Callable[[dict[str, object]], None],
    ) -> None:
        """Record each table's file, digest, rows and fingerprint, inside the write's
        transaction (``fingerprint`` and ``put`` run on its connection)."""
        for name, (source, digest) in files.items():
            if name in typed:
                fp = _fingerprint_text(fingerprint(name))
                put(
                    dict(
                        table_name=name,
                        source=source,
                        digest=digest,
                        rows=len(typed[name]),
                        fingerprint=fp,
                    )
                )
