"""The store: canonical tables in SQLite (default) or PostgreSQL, via SQLAlchemy.

``Store()`` opens ``LEARNMAP_DATABASE_URL`` or, unset, ``sqlite:///var/learnmap.db``
relative to the working directory.  ``Store.write`` upserts a validated batch in
one transaction, keyed by each table's id columns: a new id is inserted, a changed
record with a known id is updated, an identical record is left alone — so ingesting
the same dataset twice leaves the store identical.  ``Store.load`` returns every
table as pandas frames with the same dtypes ``engine.validate`` produces.

Change detection without reading the store back
------------------------------------------------
Every table has one column beyond the canonical ones, ``row_hash``: a 64-bit hash of
the record's canonical values (``row_hashes``), written with the row.  ``Store.plan``
decides what writing a frame would do:

1. *Whole table identical* — one aggregate query: when the stored row count, the count
   of stored hashes and the two 32-bit halves' sums of ``row_hash`` equal the batch's,
   every batch row is unchanged (the hashes cover the key too).  Nothing else is read.
2. *Otherwise* the stored keys and hashes only are read (not the rows) and matched
   with the batch by key: unknown key → new; equal hash → unchanged.
3. Rows whose hash differs (or is missing) are checked against their stored values,
   fetched by key, so a count of "updated" rows is always a true difference: a row
   whose values are equal but whose hash is missing or was computed by another
   version of the hash gets its hash refreshed and counts as unchanged.

Identical files: not even read
-------------------------------
A write made from files (``engine.ingest``) records, in the same transaction, per
table: the file's name, a digest of its bytes and of what reads them (the synonyms in
effect, ``engine.ingest.FORMAT``), its row count and the table's fingerprint after the
write (table ``learnmap_ingests``).  When a table's file comes again with the same
digest and the table's fingerprint still equals the recorded one, no stored row of that
table can differ from the file: ``Store.unchanged_files`` says so from one aggregate
query per table and the ingest skips reading, validating and comparing that file (an
identical re-ingest of 20 M rows takes seconds).  Any other write to a table changes
its fingerprint (count and 64-bit hash sums: the same odds as the fingerprint path
below), so the next ingest of that table takes the full path.

Older stores (created before ``row_hash`` existed) are upgraded by the first write:
``ALTER TABLE … ADD COLUMN row_hash`` in the write's transaction; until a row is
ingested again its hash is NULL, which step 3 handles (slower, never wrong).  Reads
never need the column.  ``Store.plan`` results are cached for the frame they were
computed on, so validation (which needs them to find conflicting re-sent events)
and the write share one comparison.  That assumes no other writer in between: a row
another process inserted meanwhile makes the write fail as a whole (nothing written);
``learnmap ingest`` is meant to be the one writer of a store.

Layout (one concept per module): ``tables`` (SQL tables, URL), ``hashing`` (row hashes,
fingerprints), ``values`` (pandas ↔ SQL/Arrow values), ``base`` (the connection),
``reads``, ``plan`` (comparing a batch with the store), ``write`` (upsert path),
``bulk`` (ADBC bulk load), ``files`` (files already ingested, the writer lock).
"""

from __future__ import annotations

import pandas as pd

from engine.store.base import StoreBase
from engine.store.bulk import BulkMixin
from engine.store.files import FilesMixin
from engine.store.hashing import row_hashes, text_hashes
from engine.store.plan import Plan, PlanMixin, WriteCount
from engine.store.reads import ReadsMixin
from engine.store.tables import (
    DEFAULT_URL,
    ENV_URL,
    HASH,
    INGESTS,
    METADATA,
    build_metadata,
    database_url,
)
from engine.store.values import _records, _restore_types, arrow_rows
from engine.store.write import WriteMixin

__all__ = [
    "DEFAULT_URL",
    "ENV_URL",
    "HASH",
    "INGESTS",
    "METADATA",
    "Plan",
    "Store",
    "WriteCount",
    "_records",
    "_restore_types",
    "arrow_rows",
    "build_metadata",
    "database_url",
    "load_tables",
    "row_hashes",
    "text_hashes",
]


class Store(ReadsMixin, FilesMixin, PlanMixin, WriteMixin, BulkMixin, StoreBase):
    """A handle on the canonical tables in one database."""


def load_tables(url: str | None = None) -> dict[str, pd.DataFrame]:
    """All canonical tables of the store at ``url`` (default as ``Store``) as pandas frames."""
    return Store(url).load()
