"""Reading the store: whole tables, column-pruned tables, lookups by key, counts."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from engine import progress as bars
from engine.schema import TABLE_ORDER, TABLES
from engine.store.base import StoreBase
from engine.store.tables import METADATA
from engine.store.values import _FETCH_ALL_ABOVE, _IN_CHUNK, _fetch, _restore_types


class ReadsMixin(StoreBase):
    def load_table(
        self, name: str, columns: list[str] | None = None, conn: Connection | None = None
    ) -> pd.DataFrame:
        self.create()
        cols = list(columns or TABLES[name].names)
        for c in cols:
            METADATA.tables[name].c[c]  # unknown columns raise KeyError, as before
        sql = f"SELECT {', '.join(cols)} FROM {name}"  # names come from the schema only
        if conn is None:
            with self.engine.connect() as own:
                rows = _fetch(own, sql)
        else:
            rows = _fetch(conn, sql)
        data = dict(zip(cols, zip(*rows, strict=True), strict=True)) if rows else {}
        frame = pd.DataFrame({c: pd.Series(data.get(c, ()), dtype=object) for c in cols})
        return _restore_types(name, frame)

    def load(self, tables: list[str] | None = None) -> dict[str, pd.DataFrame]:
        """Every canonical table (or those named) as typed pandas frames."""
        with self.engine.connect() as conn:
            return {t: self.load_table(t, conn=conn) for t in (tables or TABLE_ORDER)}

    def read_tables(
        self, columns: dict[str, list[str] | None], progress: bool | None = None
    ) -> dict[str, pd.DataFrame]:
        """Every canonical table, reading only the named ``columns`` of each (``None``:
        all of them); a table not named comes back empty, with all its columns.

        Read column-pruned and typed through Arrow (``engine.scan``): ids and text as
        Arrow-backed strings, no Python object per row.  One bar counts the rows."""
        from engine import scan

        self.create()
        wanted = {t: list(c or TABLES[t].names) for t, c in columns.items()}
        with self.engine.connect() as conn:
            sizes = {
                t: int(
                    conn.execute(
                        sa.select(sa.func.count()).select_from(METADATA.tables[t])
                    ).scalar_one()
                )
                for t in wanted
            }
        out: dict[str, pd.DataFrame] = {}
        with bars.bar(sum(sizes.values()), bars.words("loading"), enabled=progress) as bar:
            for name in TABLE_ORDER:
                if name in wanted:
                    bar.set_description(bars.words("loading_table", table=name))
                    out[name] = scan.read(self, name, wanted[name], bar=bar)
                else:
                    out[name] = scan.to_pandas(name, scan.empty(name, TABLES[name].names))
            bar.set_description(bars.words("loaded"))
        return out

    def existing(self, table: str, columns: list[str]) -> pd.DataFrame:
        """Stored rows of ``table`` (only ``columns``): what validation checks keys against."""
        self._step(bars.words("reading_stored", table=table, columns=", ".join(columns)))
        return self.load_table(table, columns)

    def lookup(self, table: str, columns: list[str], by: str, values: object) -> pd.DataFrame:
        """Stored rows of ``table`` whose ``by`` is one of ``values`` (only ``columns``)."""
        self.create()
        wanted = pd.unique(pd.Series(list(values), dtype=object).dropna())
        t = METADATA.tables[table]
        if len(wanted) > _FETCH_ALL_ABOVE:
            frame = self.load_table(table, columns)
            return frame[frame[by].isin(wanted)].reset_index(drop=True)
        parts = []
        with self.engine.connect() as conn:
            for i in range(0, len(wanted), _IN_CHUNK):
                query = sa.select(*[t.c[c] for c in columns]).where(
                    t.c[by].in_(list(wanted[i : i + _IN_CHUNK]))
                )
                parts.append(pd.read_sql(query, conn))
        if not parts:
            return _restore_types(table, pd.DataFrame({c: [] for c in columns}))
        return _restore_types(table, pd.concat(parts, ignore_index=True))

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
