"""Comparing a batch with the store: which rows are new, changed or unchanged."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from engine import progress as bars
from engine.schema import TABLES
from engine.store.base import StoreBase
from engine.store.hashing import _fingerprint, row_hashes
from engine.store.tables import HASH, METADATA
from engine.store.values import (
    _FETCH_ALL_ABOVE,
    _IN_CHUNK,
    _key_strings,
    _restore_types,
    _same,
)


@dataclass
class WriteCount:
    """What a write did to one table."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class Plan:
    """What writing ``frame`` into its table would do, row by row (see module docstring).

    ``old`` holds the stored version of the ``changed`` rows, in their batch order.
    """

    frame: pd.DataFrame
    hashes: np.ndarray
    new: np.ndarray
    changed: np.ndarray
    stale: np.ndarray  # equal values, stored hash missing or different: refresh the hash
    old: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def count(self) -> WriteCount:
        n_new, n_changed = int(self.new.sum()), int(self.changed.sum())
        return WriteCount(n_new, n_changed, len(self.frame) - n_new - n_changed)


class PlanMixin(StoreBase):
    def plan(self, name: str, frame: pd.DataFrame) -> Plan:
        """What writing ``frame`` (validated) into ``name`` would do; cached per frame."""
        cached = self._plans.get(name)
        if cached is not None and cached.frame is frame:
            return cached
        self.create()
        self._step(bars.words("comparing_table", table=name))
        with self.engine.connect() as conn:
            plan = self._plan(conn, name, frame)
        self._plans[name] = plan
        return plan

    def forget_plans(self) -> None:
        """Drop cached comparisons (and the frames they hold)."""
        self._plans.clear()

    def _plan(self, conn: Connection, name: str, frame: pd.DataFrame) -> Plan:
        hashes = row_hashes(name, frame)
        n = len(frame)
        none = np.zeros(n, dtype=bool)
        if self._hashed.get(name) and self._stored_fingerprint(conn, name) == _fingerprint(hashes):
            return Plan(frame, hashes, none, none, none.copy())
        key = list(TABLES[name].key)
        stored_keys, stored_hashes, stored_null = self._stored_hashes(conn, name)
        pos = pc.index_in(_key_strings(frame, key), value_set=stored_keys)
        pos = pos.to_numpy(zero_copy_only=False)
        new = np.isnan(pos) if pos.dtype.kind == "f" else pos < 0
        at = np.where(new, 0, np.nan_to_num(pos, nan=0)).astype(np.int64)
        if len(stored_hashes) == 0:
            return Plan(frame, hashes, np.ones(n, dtype=bool), none, none.copy())
        suspect = ~new & ((stored_hashes[at] != hashes) | stored_null[at])
        changed, stale = none.copy(), none.copy()
        old = pd.DataFrame(columns=TABLES[name].names)
        if suspect.any():
            rows = frame.loc[suspect]
            stored = self._stored_rows(conn, name, rows)
            both = rows.merge(stored, on=key, how="left", suffixes=("", "__old"))
            diff = np.zeros(len(both), dtype=bool)
            for c in TABLES[name].names:
                if c not in key:
                    diff |= ~_same(both[c], both[c + "__old"])
            idx = np.flatnonzero(suspect)
            changed[idx[diff]] = True
            stale[idx[~diff]] = True
            old = both.loc[diff, key + [c + "__old" for c in TABLES[name].names if c not in key]]
            old = old.rename(columns=lambda c: c.removesuffix("__old")).reset_index(drop=True)
        return Plan(frame, hashes, new, changed, stale, old)

    def _stored_fingerprint(self, conn: Connection, name: str) -> tuple[int, int, int, int]:
        mod = "%%" if self.engine.dialect.paramstyle in ("format", "pyformat") else "%"
        row = conn.exec_driver_sql(
            f"SELECT count(*), count({HASH}), sum({HASH} / 4294967296), "
            f"sum({HASH} {mod} 4294967296) FROM {name}"
        ).one()
        return tuple(int(v or 0) for v in row)  # type: ignore[return-value]

    def _stored_hashes(
        self, conn: Connection, name: str
    ) -> tuple[pa.Array, np.ndarray, np.ndarray]:
        """Every stored key (joined by U+001F when composite), its hash, and whether the
        hash is missing (NULL)."""
        key = list(TABLES[name].key)
        hcol = HASH if self._hashed.get(name) else "NULL"
        cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        cur.execute(f"SELECT {', '.join(key)}, {hcol} FROM {name}")
        keys: list[pa.Array] = []
        hashes: list[np.ndarray] = []
        nulls: list[np.ndarray] = []
        try:
            while batch := cur.fetchmany(200_000):
                cols = list(zip(*batch, strict=True))
                if len(key) == 1:
                    k = cols[0]
                else:
                    k = ["\x1f".join(map(str, parts)) for parts in zip(*cols[:-1], strict=True)]
                keys.append(pa.array(k, type=pa.large_string()))
                null = np.array([v is None for v in cols[-1]], dtype=bool)
                hashes.append(np.array([0 if v is None else v for v in cols[-1]], dtype=np.int64))
                nulls.append(null)
        finally:
            cur.close()
        if not keys:
            empty = np.zeros(0, dtype=np.int64)
            return pa.array([], type=pa.large_string()), empty, empty.astype(bool)
        return pa.concat_arrays(keys), np.concatenate(hashes), np.concatenate(nulls)

    def _stored_rows(self, conn: Connection, name: str, rows: pd.DataFrame) -> pd.DataFrame:
        """The stored version of ``rows`` (by key), every canonical column."""
        key = list(TABLES[name].key)
        if len(key) > 1 or len(rows) > _FETCH_ALL_ABOVE:
            return self.load_table(name, conn=conn)
        t = METADATA.tables[name]
        cols = [t.c[c] for c in TABLES[name].names]
        ids = rows[key[0]].astype(str).tolist()
        parts = [
            pd.read_sql(sa.select(*cols).where(t.c[key[0]].in_(ids[i : i + _IN_CHUNK])), conn)
            for i in range(0, len(ids), _IN_CHUNK)
        ]
        return _restore_types(name, pd.concat(parts, ignore_index=True))
