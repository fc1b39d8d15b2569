"""The store: canonical tables in SQLite (default) or PostgreSQL, via SQLAlchemy.

``Store()`` opens ``LEARNMAP_DATABASE_URL`` or, unset, ``sqlite:///var/learnmap.db``
relative to the working directory.  ``Store.write`` upserts a validated batch in
one transaction, keyed by each table's id columns: a new id is inserted, a changed
record with a known id is updated, an identical record is left alone — so ingesting
the same dataset twice leaves the store identical.  ``Store.load`` returns every
table as pandas frames with the same dtypes ``engine.validate`` produces.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from tqdm.auto import tqdm

from engine.errors import StoreError
from engine.schema import TABLE_ORDER, TABLES, Column

log = logging.getLogger(__name__)

DEFAULT_URL = "sqlite:///var/learnmap.db"
ENV_URL = "LEARNMAP_DATABASE_URL"
_CHUNK = 20_000


def database_url(url: str | None = None) -> str:
    return url or os.environ.get(ENV_URL) or DEFAULT_URL


def _sql_type(col: Column) -> sa.types.TypeEngine:
    kind = col.kind.removeprefix("opt_")
    return {
        "date": sa.Date(),
        "bool": sa.Boolean(),
        "float": sa.Float(precision=53),
        "int": sa.Integer(),
    }.get(kind, sa.Text())


def build_metadata() -> sa.MetaData:
    meta = sa.MetaData()
    for name in TABLE_ORDER:
        spec = TABLES[name]
        cols = []
        for c in spec.columns:
            args: list[object] = []
            if c.ref and c.kind != "refs":
                args.append(sa.ForeignKey(c.ref))
            nullable = c.optional_value or not c.required
            cols.append(
                sa.Column(
                    c.name, _sql_type(c), *args, primary_key=c.name in spec.key, nullable=nullable
                )
            )
        sa.Table(name, meta, *cols)
    return meta


METADATA = build_metadata()


@dataclass
class WriteCount:
    """What a write did to one table."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0


def _sqlite_fk_on(dbapi_conn: object, _record: object) -> None:
    cur = dbapi_conn.cursor()  # type: ignore[attr-defined]
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


class Store:
    """A handle on the canonical tables in one database."""

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

    def create(self) -> None:
        if not self._ready:
            try:
                METADATA.create_all(self.engine)
            except sa.exc.OperationalError as exc:
                raise StoreError(f"cannot reach database {self.url!r}: {exc.orig}") from exc
            self._ready = True

    def drop(self) -> None:
        """Remove every learnmap table (used by tests and ``db reset``)."""
        METADATA.drop_all(self.engine)
        self._ready = False

    # ---- reading -------------------------------------------------------------
    def load_table(
        self, name: str, columns: list[str] | None = None, conn: Connection | None = None
    ) -> pd.DataFrame:
        self.create()
        table = METADATA.tables[name]
        cols = [table.c[c] for c in columns] if columns else list(table.c)
        query = sa.select(*cols)
        if conn is None:
            with self.engine.connect() as own:
                frame = pd.read_sql(query, own)
        else:
            frame = pd.read_sql(query, conn)
        return _restore_types(name, frame)

    def load(self, tables: list[str] | None = None) -> dict[str, pd.DataFrame]:
        """Every canonical table (or those named) as typed pandas frames."""
        with self.engine.connect() as conn:
            return {t: self.load_table(t, conn=conn) for t in (tables or TABLE_ORDER)}

    def existing(self, table: str, columns: list[str]) -> pd.DataFrame:
        """Stored rows of ``table`` (only ``columns``): what validation checks keys against."""
        return self.load_table(table, columns)

    def counts(self) -> dict[str, int]:
        self.create()
        with self.engine.connect() as conn:
            return {
                t: int(
                    conn.execute(
                        sa.select(sa.func.count()).select_from(METADATA.tables[t])
                    ).scalar_one()
                )
                for t in TABLE_ORDER
            }

    # ---- writing -------------------------------------------------------------
    def write(
        self, typed: dict[str, pd.DataFrame], progress: bool = False
    ) -> dict[str, WriteCount]:
        """Upsert validated frames in one transaction; all or nothing."""
        self.create()
        result: dict[str, WriteCount] = {}
        total = sum(len(f) for f in typed.values())
        bar = tqdm(total=total, desc="writing", unit="row", unit_scale=True, disable=not progress)
        try:
            with self.engine.begin() as conn:
                for name in TABLE_ORDER:
                    if name in typed:
                        result[name] = self._write_table(conn, name, typed[name], bar)
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"write to {self.url!r} failed, nothing was written: {exc}") from exc
        finally:
            bar.close()
        return result

    def _insert(self, conn: Connection, name: str, rows: pd.DataFrame, bar: tqdm | None) -> None:
        """Plain INSERT of rows known to be new, through the driver's executemany (several
        times faster than the upsert path for first loads)."""
        if rows.empty:
            return
        cols = TABLES[name].names
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
            index_elements=key, set_={c: stmt.excluded[c] for c in spec.names if c not in key}
        )
        for start in range(0, len(rows), _CHUNK):
            chunk = rows.iloc[start : start + _CHUNK]
            conn.execute(stmt, _records(chunk))
            if bar is not None:
                bar.update(len(chunk))

    def _write_table(
        self, conn: Connection, name: str, frame: pd.DataFrame, bar: tqdm | None = None
    ) -> WriteCount:
        spec = TABLES[name]
        key = list(spec.key)
        old = self.load_table(name, conn=conn)
        merged = frame.merge(old, on=key, how="left", suffixes=("", "__old"), indicator=True)
        is_new = (merged["_merge"] == "left_only").to_numpy()
        changed = np.zeros(len(merged), dtype=bool)
        for c in spec.names:
            if c in key:
                continue
            a, b = merged[c], merged[c + "__old"]
            same = (a == b).fillna(False).to_numpy(dtype=bool) | (a.isna() & b.isna()).to_numpy()
            changed |= ~same
        changed &= ~is_new
        todo = frame.loc[is_new | changed]
        if bar is not None:
            bar.update(len(frame) - len(todo))  # unchanged rows need no writing
        if name == "skills":  # parents before children for the self foreign key
            todo = todo.iloc[np.argsort(_depths(frame, todo), kind="stable")]
            fresh, upsert = todo.iloc[:0], todo
        else:
            fresh, upsert = frame.loc[is_new], frame.loc[changed]
        self._insert(conn, name, fresh, bar)
        self._upsert(conn, name, upsert, bar)
        count = WriteCount(int(is_new.sum()), int(changed.sum()), len(frame) - int(len(todo)))
        log.info(
            "%s: %d new, %d updated, %d unchanged", name, count.new, count.updated, count.unchanged
        )
        return count


def _dbapi_columns(frame: pd.DataFrame, dialect: str) -> list[tuple[object, ...]]:
    """Rows as DB-API tuples: ISO date strings for SQLite (as SQLAlchemy stores them),
    date objects for PostgreSQL, None for missing values."""
    cols = []
    for c in frame.columns:
        s = frame[c]
        if pd.api.types.is_datetime64_any_dtype(s):
            if dialect == "sqlite":
                text = np.datetime_as_string(s.to_numpy().astype("datetime64[D]"), unit="D")
                col = np.where(s.isna().to_numpy(), None, text.astype(object))
            else:
                col = np.where(s.isna().to_numpy(), None, s.dt.date.to_numpy(dtype=object))
        elif pd.api.types.is_bool_dtype(s):
            col = s.to_numpy(dtype=object)
        else:
            col = s.astype(object).where(s.notna(), None).to_numpy(dtype=object)
            if pd.api.types.is_integer_dtype(s):
                col = np.array([None if v is None else int(v) for v in col], dtype=object)
        cols.append(col)
    return list(zip(*cols, strict=True)) if cols else []


def load_tables(url: str | None = None) -> dict[str, pd.DataFrame]:
    """All canonical tables of the store at ``url`` (default as ``Store``) as pandas frames."""
    return Store(url).load()


def _depths(all_skills: pd.DataFrame, rows: pd.DataFrame) -> np.ndarray:
    parent = dict(zip(all_skills["skill_id"], all_skills["parent_id"], strict=True))
    out = []
    for sid in rows["skill_id"]:
        d, cur = 0, parent.get(sid)
        while cur is not None and isinstance(cur, str) and d < 1000:
            d, cur = d + 1, parent.get(cur)
        out.append(d)
    return np.asarray(out)


def _records(frame: pd.DataFrame) -> list[dict[str, object]]:
    out = pd.DataFrame(index=frame.index)
    for c in frame.columns:
        s = frame[c]
        if pd.api.types.is_datetime64_any_dtype(s):
            out[c] = pd.Series(s.dt.date.to_numpy(dtype=object), index=s.index).where(s.notna())
        elif pd.api.types.is_bool_dtype(s):
            out[c] = s.astype(object)
        else:
            out[c] = s.astype(object)
    out = out.astype(object).where(out.notna(), None)
    return out.to_dict("records")


def _restore_types(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    spec = TABLES[name]
    for c in frame.columns:
        kind = spec.column(c).kind.removeprefix("opt_")
        s = frame[c]
        if kind == "date":
            frame[c] = pd.to_datetime(s).astype("datetime64[ns]")
        elif kind == "bool":
            frame[c] = s.astype(bool)
        elif kind == "float":
            frame[c] = s.astype("float64")
        elif kind == "int":
            frame[c] = s.astype("Int64")
        elif kind == "refs":
            frame[c] = s.fillna("").astype(object)
        else:
            frame[c] = s.astype(object).where(s.notna(), None)
    return frame
