"""Writing a batch through SQLAlchemy: insert new rows, upsert changed ones."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from engine import progress as bars
from engine.errors import StoreError
from engine.schema import TABLE_ORDER, TABLES
from engine.store.base import StoreBase
from engine.store.plan import WriteCount
from engine.store.tables import BUMP_VERSION, HASH, INGESTS, METADATA
from engine.store.values import _dbapi_columns, _depths, _records

if TYPE_CHECKING:
    from tqdm import tqdm

log = logging.getLogger(__name__)
_CHUNK = 20_000


class WriteMixin(StoreBase):
    def write(
        self,
        typed: dict[str, pd.DataFrame],
        progress: bool = False,
        files: dict[str, tuple[str, str]] | None = None,
    ) -> dict[str, WriteCount]:
        """Upsert validated frames in one transaction; all or nothing.  ``files``
        (``{table: (file name, digest)}``, from ``engine.ingest``) are recorded in the
        same transaction, for ``unchanged_files``.

        The progress bar names the step it counts: ``comparing``, ``unchanged`` (rows
        skipped), ``inserting``, ``updating``.
        """
        self.create()
        if self._bulk_possible(typed):
            return self._bulk_write(typed, progress, files)
        result: dict[str, WriteCount] = {}
        total = sum(len(f) for f in typed.values())
        bar = bars.bar(total, bars.words("store"), enabled=progress)
        try:
            with self.engine.begin() as conn:
                for name in TABLE_ORDER:
                    if name in typed:
                        result[name] = self._write_table(conn, name, typed[name], bar)
                if any(c.new or c.updated for c in result.values()):
                    conn.exec_driver_sql(BUMP_VERSION)
                if files:
                    t = METADATA.tables[INGESTS]

                    def put(rec: dict[str, object]) -> None:
                        conn.execute(t.delete().where(t.c.table_name == rec["table_name"]))
                        conn.execute(t.insert().values(**rec))

                    self._record_files(
                        files, typed, lambda n: self._stored_fingerprint(conn, n), put
                    )
                new, updated, same = (
                    sum(getattr(c, f) for c in result.values()) for f in vars(WriteCount())
                )
                bar.set_description("stored")
                bar.set_postfix_str(f"{new:,} new, {updated:,} updated, {same:,} unchanged")
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"write to {self.url!r} failed, nothing was written: {exc}") from exc
        finally:
            bar.close()
            self._plans.clear()
        if result.keys() - {n for n, ok in self._hashed.items() if ok}:
            self._ready = False  # columns added in the transaction: look again
        return result

    def _insert(self, conn: Connection, name: str, rows: pd.DataFrame, bar: tqdm | None) -> None:
        """Plain INSERT of rows known to be new, through the driver's executemany (several
        times faster than the upsert path for first loads)."""
        if rows.empty:
            return
        cols = [*TABLES[name].names, HASH]
        mark = "?" if self.engine.dialect.paramstyle == "qmark" else "%s"
        sql = f"INSERT INTO {name} ({', '.join(cols)}) VALUES ({', '.join([mark] * len(cols))})"
        dialect = self.engine.dialect.name
        for start in range(0, len(rows), _CHUNK):
            chunk = rows.iloc[start : start + _CHUNK][cols]
            conn.exec_driver_sql(sql, _dbapi_columns(chunk, dialect))
            if bar is not None:
                bar.update(len(chunk))

    def _upsert(self, conn: Connection, name: str, rows: pd.DataFrame, bar: tqdm | None) -> None:
        """INSERT … ON CONFLICT (key) DO UPDATE for changed (or ordered) rows."""
        if rows.empty:
            return
        spec = TABLES[name]
        key = list(spec.key)
        if self.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        stmt = insert(METADATA.tables[name])
        stmt = stmt.on_conflict_do_update(
            index_elements=key,
            set_={c: stmt.excluded[c] for c in [*spec.names, HASH] if c not in key},
        )
        for start in range(0, len(rows), _CHUNK):
            chunk = rows.iloc[start : start + _CHUNK]
            conn.execute(stmt, _records(chunk))
            if bar is not None:
                bar.update(len(chunk))

    def _refresh_hashes(self, conn: Connection, name: str, rows: pd.DataFrame) -> None:
        """Set ``row_hash`` of stored rows whose values are already equal."""
        if rows.empty:
            return
        key = list(TABLES[name].key)
        mark = "?" if self.engine.dialect.paramstyle == "qmark" else "%s"
        where = " AND ".join(f"{k} = {mark}" for k in key)
        sql = f"UPDATE {name} SET {HASH} = {mark} WHERE {where}"
        cols = [HASH, *key]
        for start in range(0, len(rows), _CHUNK):
            chunk = rows.iloc[start : start + _CHUNK][cols]
            conn.exec_driver_sql(sql, _dbapi_columns(chunk, self.engine.dialect.name))

    def _add_hash_column(self, conn: Connection, name: str) -> None:
        """Upgrade a table of an older store (no ``row_hash``) in the write's transaction."""
        log.warning("%s: upgrading the store: adding column %s", name, HASH)
        conn.exec_driver_sql(f"ALTER TABLE {name} ADD COLUMN {HASH} BIGINT")

    def _write_table(
        self, conn: Connection, name: str, frame: pd.DataFrame, bar: tqdm | None = None
    ) -> WriteCount:
        def step(what: str) -> None:
            if bar is not None:
                bar.set_description(
                    bars.words("table_step", table=name, what=bars.words(f"step_{what}"))
                )

        cached = self._plans.get(name)
        if cached is not None and cached.frame is frame:
            plan = cached
        else:
            step("comparing")
            plan = self._plan(conn, name, frame)
        if not self._hashed.get(name):
            self._add_hash_column(conn, name)
        count = plan.count
        if count.unchanged:
            step("unchanged")
            if bar is not None:
                bar.update(count.unchanged)

        def rows(mask: np.ndarray) -> pd.DataFrame:
            return frame.loc[mask].assign(**{HASH: plan.hashes[mask]})

        if plan.stale.any():
            step("rehash")
            self._refresh_hashes(conn, name, rows(plan.stale))
        if name == "skills":  # parents before children for the self foreign key
            todo = rows(plan.new | plan.changed)
            todo = todo.iloc[np.argsort(_depths(frame, todo), kind="stable")]
            if len(todo):
                step("inserting" if not count.updated else "writing")
            self._upsert(conn, name, todo, bar)
        else:
            if count.new:
                step("inserting")
                self._insert(conn, name, rows(plan.new), bar)
            if count.updated:
                step("updating")
                self._upsert(conn, name, rows(plan.changed), bar)
        log.info(
            "%s: %d new, %d updated, %d unchanged", name, count.new, count.updated, count.unchanged
        )
        return count
