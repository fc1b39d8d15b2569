"""``learnmap export parquet DIR`` (``engine.parquet``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from engine.cli import add_quiet, positive_int, require_store
from engine.labels import text


def _cmd_export_parquet(args: argparse.Namespace) -> int:
    from engine.parquet import export_parquet
    from engine.store import Store

    require_store()
    manifest = export_parquet(Store(), args.dir, partitions=args.partitions)
    persons = sum(manifest.rows[t] for t in manifest.person_tables)
    catalogue = sum(manifest.rows.values()) - persons
    said = text(
        "export_written",
        path=args.dir,
        version=manifest.data_version,
        partitions=manifest.partitions,
        persons=f"{persons:,}",
        catalogue=f"{catalogue:,}",
    )
    print(said)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``export parquet`` to the ``learnmap`` parser."""
    p = sub.add_parser("export", help="copy the store for analytical engines")
    esub = p.add_subparsers(dest="export_command", metavar="FORMAT", required=True)
    q = esub.add_parser(
        "parquet",
        help="the store as Parquet, person-keyed tables partitioned by a hash of staff_id",
        description="Write every table of the store under DIR: staff and their records "
        "(participations, assessments, outcomes, accounts) as DIR/<table>/part-NNNNN."
        "parquet, one file per partition, a person's rows all in the partition of a "
        "stable hash of their staff_id; catalogue tables whole as DIR/<table>.parquet; "
        "DIR/manifest.json records the store's data version, so a stale copy is "
        "detected. Read in bounded batches; written to a temporary folder and renamed "
        "into place (a failure leaves DIR as it was).",
    )
    q.add_argument("dir", type=Path, help="folder to write (replaced if it is a copy)")
    q.add_argument(
        "--partitions",
        type=positive_int,
        default=None,
        help="number of partitions (default: one per million person-keyed rows, 1 to 512)",
    )
    add_quiet(q)
    q.set_defaults(func=_cmd_export_parquet)
