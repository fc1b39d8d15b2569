"""The analytical copy: the store as Parquet, partitioned by person (issue 26).

``learnmap export parquet DIR`` writes every canonical table of the store under DIR:

- **person-keyed tables** (those with a ``staff_id`` column: staff, participations,
  assessments, outcomes, accounts) as ``DIR/<table>/part-00000.parquet`` …, one file per
  bucket, the bucket of a row being ``bucket_of(staff_id) = text_hash(staff_id) mod N``
  (``engine.store.hashing.text_hashes``: FNV-1a over UTF-8 with a Murmur finalizer,
  the same on every machine and Python).  So one person's staff row and all their
  records are in the same bucket, and bucket ``k`` of every person table can be
  processed alone.  Every bucket has a file, possibly empty, so readers can pair
  buckets by number;
- **catalogue tables** (organizations, skills, modules, …) whole, ``DIR/<table>.parquet``;
- ``DIR/manifest.json``: the layout version, the number of buckets, the hash, the
  store's data version (``Store.data_version``) and row counts.  A copy whose data
  version differs from the store's is stale (``check_fresh``).

Columns have the canonical Arrow types of ``engine.scan`` (text ``large_string``,
dates ``timestamp[ns]``), so ``read_table`` gives the same pandas frames as
``Store.read_tables``.  The number of buckets defaults to ``default_partitions``.
"""

from engine.parquet.export import export_parquet
from engine.parquet.layout import (
    Manifest,
    StaleCopyError,
    bucket_of,
    check_fresh,
    default_partitions,
    person_tables,
    read_bucket,
    read_manifest,
    read_table,
)

__all__ = [
    "Manifest",
    "StaleCopyError",
    "bucket_of",
    "check_fresh",
    "default_partitions",
    "export_parquet",
    "person_tables",
    "read_bucket",
    "read_manifest",
    "read_table",
]
