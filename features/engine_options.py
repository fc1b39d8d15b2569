"""The engine options of ``status`` and ``report`` (``--engine``, ``--scheduler``,
``--parquet``) and what each engine gives those commands (``features.partitioned``)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from engine import progress as bars
from engine.errors import LearnmapError
from engine.labels import label
from engine.store import Store


def status_tables(policy_kind: str):  # noqa: ANN202
    """The tables ``status`` reads (``features.snapshot.status_columns``), through Arrow."""
    from features.snapshot import status_columns

    tables = Store().read_tables(status_columns(policy_kind))
    if tables["staff"].empty:
        raise LearnmapError("the store is empty: run `learnmap ingest DIR` first")
    return tables


def parquet_dir(value: Path | None) -> Path:
    """The Parquet copy the dask engine reads: ``--parquet``, else
    ``LEARNMAP_PARQUET_DIR``, else ``var/parquet`` (relative to the working directory,
    like the default store)."""
    import os

    return Path(value or os.environ.get("LEARNMAP_PARQUET_DIR") or "var/parquet")


def fresh_copy(directory: Path) -> Path:
    """``directory`` holding a Parquet copy of the store at its current data version:
    made or refreshed (a whole export) when missing or stale.  Refreshing when used,
    rather than after each ingest, keeps ingest as fast as before and costs nothing
    to stores that never use the dask engine; an export reads the store once."""
    from engine.parquet import StaleCopyError, check_fresh, export_parquet
    from engine.parquet.export import safe_url

    store = Store()
    try:
        manifest = check_fresh(directory, store.data_version(), safe_url(store))
    except StaleCopyError as why:
        print(f"refreshing the Parquet copy: {why}")
        manifest = export_parquet(store, directory)
    if manifest.rows.get("staff", 0) == 0:
        raise LearnmapError("the store is empty: run `learnmap ingest DIR` first")
    return directory


def status_frame(args: argparse.Namespace, policy) -> pd.DataFrame:  # noqa: ANN001
    """Everyone's status on the engine asked for (``--engine``; ``features.partitioned``)."""
    from engine.cluster import dask_client, engine_name
    from features.partitioned import status_dask, status_pandas

    if engine_name(args.engine) == "pandas":
        tables = status_tables(policy.kind)
        with bars.spinner(bars.words("status", policy=label("policy", policy.name))):
            return status_pandas(tables, args.as_of, policy)
    directory = fresh_copy(parquet_dir(args.parquet))
    with dask_client(args.scheduler, announce=print) as client:
        with bars.spinner(bars.words("status_dask", policy=label("policy", policy.name))):
            return status_dask(directory, args.as_of, policy, client)


def report_inputs(args: argparse.Namespace, policy):  # noqa: ANN001, ANN202
    """``report``'s status and snapshot from the dask engine (None: the pandas engine)."""
    from engine.cluster import dask_client, engine_name
    from features.partitioned import report_inputs_dask

    if engine_name(args.engine) == "pandas":
        return None
    directory = fresh_copy(parquet_dir(args.parquet))
    with dask_client(args.scheduler, announce=print) as client:
        with bars.spinner(bars.words("report_status_dask", policy=label("policy", policy.name))):
            return report_inputs_dask(directory, args.as_of, policy, client)


def add_engine_options(parser: argparse.ArgumentParser) -> None:
    """``--engine``, ``--scheduler`` and ``--parquet`` (``engine.cluster``)."""
    parser.add_argument(
        "--engine",
        choices=("pandas", "dask"),
        default=None,
        help="pandas (default; LEARNMAP_ENGINE): in this process from the store; dask: per "
        "person-partition of the Parquet copy (--parquet) on a Dask cluster",
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="dask engine: a Dask scheduler (tcp://host:8786; LEARNMAP_SCHEDULER) whose "
        "workers can read the Parquet copy; default: a local cluster, one worker per core",
    )
    parser.add_argument(
        "--parquet",
        type=Path,
        default=None,
        metavar="DIR",
        help="dask engine: the Parquet copy to read, exported or refreshed first if the "
        "store has changed (default var/parquet; LEARNMAP_PARQUET_DIR)",
    )
