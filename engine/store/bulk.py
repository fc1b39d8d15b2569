"""The bulk load of a SQLite store through ADBC (every row new or unchanged)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from engine import progress as bars
from engine.errors import StoreError
from engine.schema import TABLE_ORDER, TABLES
from engine.store.base import StoreBase
from engine.store.hashing import _fingerprint
from engine.store.plan import WriteCount
from engine.store.tables import BUMP_VERSION, HASH, INGESTS
from engine.store.values import _arrow_text, _depths, arrow_rows

if TYPE_CHECKING:
    from tqdm import tqdm

log = logging.getLogger(__name__)
_BULK_ROWS = 262_144  # rows converted to Arrow and bound at a time by the bulk load
#: use the bulk load (``BulkMixin._bulk_write``) where it applies; tests switch it off
#: to compare both paths
BULK = True


class BulkMixin(StoreBase):
    def _bulk_possible(self, typed: dict[str, pd.DataFrame]) -> bool:
        """Whether ``typed`` can be written by bulk insert alone: a SQLite file (read and
        written through ADBC), every table with its ``row_hash`` column, and no row to
        update (every row new or unchanged).  A first ingest always qualifies."""
        from engine import scan

        if not BULK or not scan.uses_adbc(self):
            return False
        if not all(self._hashed.get(name) for name in typed):
            return False
        for name, frame in typed.items():
            plan = self.plan(name, frame)
            if plan.changed.any() or plan.stale.any():
                return False
        return True

    def _bulk_write(
        self,
        typed: dict[str, pd.DataFrame],
        progress: bool = False,
        files: dict[str, tuple[str, str]] | None = None,
    ) -> dict[str, WriteCount]:
        """Insert the new rows of every table through ADBC (``adbc_ingest``: Arrow
        buffers bound in C, no Python object per value), in one SQLite transaction —
        all or nothing.

        Foreign keys are checked set-wise instead of row by row (SQLite's per-row
        check was two thirds of the load: 14 of 20 s for 4.6 M rows): after the
        inserts, inside the transaction (which holds the write lock, so no parent can
        go meanwhile), each referencing column's distinct new values must name a key
        of the batch or a stored row (``_check_references``); a miss fails the whole
        write with the values named, like the constraint would.  Stored
        values are those of ``_insert``: ISO date text, booleans 0/1, NULL for missing
        values (``tests/engine/test_store_bulk.py`` compares both paths cell by cell)."""
        import adbc_driver_sqlite.dbapi as adbc

        result: dict[str, WriteCount] = {}
        total = sum(len(f) for f in typed.values())
        bar = bars.bar(total, bars.words("store"), enabled=progress)
        path = self.engine.url.database
        try:
            conn = adbc.connect(path, autocommit=True)
        except Exception as exc:  # the driver raises its own error types
            bar.close()
            raise StoreError(f"write to {self.url!r} failed, nothing was written: {exc}") from exc
        cur = conn.cursor()
        try:
            for pragma in ("foreign_keys=OFF", "cache_size=-262144", "busy_timeout=5000"):
                cur.execute(f"PRAGMA {pragma}")
                cur.fetchall()
            conn.adbc_connection.set_options(**{"adbc.connection.autocommit": "false"})

            def aggregate(name: str) -> tuple[int, int, int, int]:
                cur.execute(
                    f"SELECT count(*), count({HASH}), sum({HASH} / 4294967296), "
                    f"sum({HASH} % 4294967296) FROM {name}"
                )
                return tuple(int(v or 0) for v in cur.fetchone())  # type: ignore[return-value]

            after: dict[str, tuple[int, int, int, int]] = {}
            for name in TABLE_ORDER:
                if name in typed:
                    # the fingerprint after the write, without reading the table again:
                    # before (instant on an empty table) plus the inserted rows' share
                    before = aggregate(name) if files and name in files else None
                    result[name] = self._bulk_table(cur, name, typed[name], bar)
                    if before is not None:
                        plan = self.plan(name, typed[name])
                        added = _fingerprint(plan.hashes[plan.new])
                        after[name] = tuple(a + b for a, b in zip(before, added, strict=True))  # type: ignore[assignment]
            bar.set_description(bars.words("checking_refs"))
            for name in TABLE_ORDER:
                if name in typed and result[name].new:
                    _check_references(cur, name, typed, self.plan(name, typed[name]).new)
            if files:

                def put(rec: dict[str, object]) -> None:
                    cur.execute(f"DELETE FROM {INGESTS} WHERE table_name = ?", (rec["table_name"],))
                    cur.execute(
                        f"INSERT INTO {INGESTS} ({', '.join(rec)}) VALUES ({', '.join('?' * len(rec))})",
                        tuple(rec.values()),
                    )

                self._record_files(files, typed, after.__getitem__, put)
            if any(c.new for c in result.values()):
                cur.execute(BUMP_VERSION)
            conn.adbc_connection.commit()
            new, same = (sum(getattr(c, f) for c in result.values()) for f in ("new", "unchanged"))
            bar.set_description(bars.words("stored"))
            bar.set_postfix_str(bars.words("stored_counts", new=new, same=same))
        except Exception as exc:  # ADBC raises its own DB-API error types
            try:
                conn.adbc_connection.rollback()
            except Exception:  # pragma: no cover - the failure above is the one to report
                log.exception("rollback after a failed bulk write")
            raise StoreError(f"write to {self.url!r} failed, nothing was written: {exc}") from exc
        finally:
            cur.close()
            conn.close()
            self._plans.clear()
            bar.close()
        return result

    def _bulk_table(self, cur: object, name: str, frame: pd.DataFrame, bar: tqdm) -> WriteCount:
        plan = self.plan(name, frame)
        count = plan.count
        if count.unchanged:
            bar.set_description(
                bars.words("table_step", table=name, what=bars.words("step_unchanged"))
            )
            bar.update(count.unchanged)
        if count.new:
            bar.set_description(
                bars.words("table_step", table=name, what=bars.words("step_inserting"))
            )
            rows = np.flatnonzero(plan.new)
            if name == "skills":  # parents before children for the self foreign key
                rows = rows[np.argsort(_depths(frame, frame.iloc[rows]), kind="stable")]
            every = count.new == len(frame) and name != "skills"  # slices, no copies
            for start in range(0, len(rows), _BULK_ROWS):
                part = rows[start : start + _BULK_ROWS]
                sub = frame.iloc[start : start + len(part)] if every else frame.iloc[part]
                batch = arrow_rows(name, sub, plan.hashes[part])
                cur.adbc_ingest(name, batch, mode="append")  # type: ignore[attr-defined]
                bar.update(len(part))
        log.info("%s: %d new, 0 updated, %d unchanged (bulk)", name, count.new, count.unchanged)
        return count


def _check_references(
    cur: object, name: str, typed: dict[str, pd.DataFrame], new: np.ndarray
) -> None:
    """Every foreign key of the ``new`` rows of ``name`` names a row of its parent table,
    which (inside the bulk write's transaction) holds the batch's rows too.  Values
    among the batch's parent keys are settled in Arrow; only the others are looked up,
    through a temporary table joined with the parent's key index."""
    frame = typed[name]
    for col in TABLES[name].columns:
        if col.ref is None or col.kind == "refs":  # ``refs`` lists have no SQL constraint
            continue
        ptable, pcol = col.ref.split(".")
        values = pc.unique(pc.drop_null(_arrow_text(frame[col.name], new)))
        if ptable in typed and len(values):
            known = _arrow_text(typed[ptable][pcol]).cast(values.type)
            values = values.filter(pc.invert(pc.is_in(values, value_set=known)))
        if not len(values):
            continue
        probe = f"_learnmap_refs_{name}_{col.name}"
        cur.adbc_ingest(
            probe, pa.table({"v": values.cast(pa.string())}), mode="create", temporary=True
        )  # type: ignore[attr-defined]
        cur.execute(  # type: ignore[attr-defined]
            f"SELECT v FROM temp.{probe} WHERE v NOT IN (SELECT {pcol} FROM {ptable}) LIMIT 5"
        )
        missing = [row[0] for row in cur.fetchall()]  # type: ignore[attr-defined]
        cur.execute(f"DROP TABLE temp.{probe}")  # type: ignore[attr-defined]
        if missing:
            raise StoreError(
                f"FOREIGN KEY constraint failed: {name}.{col.name} names no "
                f"{ptable}.{pcol}: {', '.join(map(str, missing))}"
            )
