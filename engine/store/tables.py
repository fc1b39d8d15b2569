"""The store's SQL tables and where the store is (``LEARNMAP_DATABASE_URL``)."""

from __future__ import annotations

import os

import sqlalchemy as sa

from engine.schema import TABLE_ORDER, TABLES, Column

DEFAULT_URL = "sqlite:///var/learnmap.db"
ENV_URL = "LEARNMAP_DATABASE_URL"
HASH = "row_hash"  # the one non-canonical column of every table
#: bookkeeping table (not canonical): per table, the file last ingested into it, its
#: digest and the table's fingerprint right after (see "Identical files" above)
INGESTS = "learnmap_ingests"
#: bookkeeping table (not canonical): one row, the data version — a counter every
#: write that inserts or changes a row raises in its own transaction (``Store.data_version``)
VERSION = "learnmap_version"
#: raises the data version (inside a write's transaction)
BUMP_VERSION = f"UPDATE {VERSION} SET version = version + 1 WHERE id = 1"


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


def build_metadata(row_hash: bool = True) -> sa.MetaData:
    """The store's tables (``row_hash=False``: as stores before the hash column)."""
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
        if row_hash:
            cols.append(sa.Column(HASH, sa.BigInteger(), nullable=True))
        sa.Table(name, meta, *cols)
    if row_hash:
        sa.Table(
            INGESTS,
            meta,
            sa.Column("table_name", sa.Text(), primary_key=True),
            sa.Column("source", sa.Text(), nullable=False),
            sa.Column("digest", sa.Text(), nullable=False),
            sa.Column("rows", sa.BigInteger(), nullable=False),
            sa.Column("fingerprint", sa.Text(), nullable=False),
        )
        sa.Table(
            VERSION,
            meta,
            sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
            sa.Column("version", sa.BigInteger(), nullable=False),
        )
    return meta


METADATA = build_metadata()
