"""Compliance status (and the report's inputs) on two engines, one implementation
(issue 26).

``status_of(tables, as_of, policy, first)`` is *the* status computation: the as-of
snapshot of some people's tables (``features.snapshot``) and their ``compliance``.
Every output row depends on that person's own rows (staff, participations,
assessments), on the catalogue tables and the policy (broadcast: the same for everyone)
and on one population statistic, ``first`` (the first day the records cover,
``periods.data_start``).

- **pandas** engine: ``status_of`` on the whole store's tables, ``first`` taken from
  them (``status_pandas``) — what ``learnmap status`` has always computed.
- **dask** engine: the same ``status_of`` applied to each person-partition of the
  Parquet copy (``engine.parquet``) with ``dask.dataframe.map_partitions``; staff,
  participations and assessments of bucket ``k`` form partition ``k`` (one person's
  rows are all in one bucket), the catalogue is read once and shared, and ``first`` —
  only for policies that use it (``compliance.uses_data_start``) — is computed first,
  as the minimum over partitions of ``data_start`` of each partition's snapshot
  (``status_dask``).  It is a separate pass, so that no partition's frames wait in
  memory for the other partitions' figure.

``report`` (``report_inputs`` / ``report_inputs_dask``): per partition, the same status
and the partition's snapshot cut to what the report builders read (staff and completed
participations), joined in the command's process (``combine``), where the unchanged
builders (``features.report``, ``features.org``) make the roll-ups.

Rows come back in partition order (the pandas engine: store order); compare sorted.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from engine import scan
from engine.parquet import person_tables, read_bucket, read_manifest, read_table
from engine.policy import Policy
from engine.schema import TABLE_ORDER, TABLES
from features.asof import Tables
from features.compliance import compliance, uses_data_start
from features.periods import data_start, day_of
from features.snapshot import Snapshot, snapshot, status_columns

log = logging.getLogger(__name__)


def status_of(
    tables: Tables, as_of: date | pd.Timestamp, policy: Policy, first: Any = None
) -> pd.DataFrame:
    """Compliance status of the people in ``tables`` (the one per-person function)."""
    return compliance(snapshot(tables, as_of), policy, first)


def records_start(tables: Tables, as_of: date | pd.Timestamp) -> np.datetime64:
    """``data_start`` of the people in ``tables`` as of ``as_of`` (NaT: no completion)."""
    return data_start(snapshot(tables, as_of))


def status_pandas(tables: Tables, as_of: date | pd.Timestamp, policy: Policy) -> pd.DataFrame:
    """The pandas engine: everyone at once, in this process."""
    return status_of(tables, as_of, policy)


def _empty(name: str) -> pd.DataFrame:
    return scan.to_pandas(name, scan.empty(name, TABLES[name].names))


def _split(need: dict[str, list[str] | None]) -> tuple[list[str], dict[str, list[str] | None]]:
    """The person tables of ``need`` (in partition order) and its catalogue tables."""
    persons = [t for t in person_tables() if t in need]
    return persons, {t: c for t, c in need.items() if t not in persons}


def read_catalogue(directory: str, columns: dict[str, list[str] | None]) -> Tables:
    """The catalogue tables of the copy (small; read once, shared by every partition)."""
    return {t: read_table(Path(directory), t, c) for t, c in columns.items()}


def tables_of(persons: list[str], frames: tuple[pd.DataFrame, ...], catalogue: Tables) -> Tables:
    """One partition's tables: its people's frames, the catalogue, empty others."""
    out = {t: _empty(t) for t in TABLE_ORDER if t not in catalogue}
    out.update(catalogue)
    out.update(dict(zip(persons, frames, strict=True)))
    return out


def _partition_status(*frames: Any, persons: list[str], as_of: Any, policy: Policy) -> Any:  # noqa: ANN401
    *parts, catalogue, first = frames
    # NaT (no completion anywhere) is also every partition's own: None recomputes it
    first = None if first is None or pd.isna(first) else day_of(first)
    return status_of(tables_of(persons, tuple(parts), catalogue), as_of, policy, first)


def _partition_start(*frames: Any, persons: list[str], as_of: Any) -> pd.Series:  # noqa: ANN401
    *parts, catalogue = frames
    start = records_start(tables_of(persons, tuple(parts), catalogue), as_of)
    return pd.Series([start], dtype="datetime64[ns]")


def _bucket_reader(directory: str, table: str, columns: list[str]):  # noqa: ANN202
    def read(bucket: int) -> pd.DataFrame:
        return read_bucket(Path(directory), table, bucket, columns)

    return read


class Partitions:
    """The person-partitions of a Parquet copy as dask collections: one dask frame per
    person table of ``need`` (default: what a status reads; partition ``k`` = bucket
    ``k``), the catalogue as one shared task, and (``first=True``) the population's
    first completion day (when the policy uses it)."""

    def __init__(
        self,
        directory: Path,
        as_of: date | pd.Timestamp,
        policy: Policy,
        client: Any,  # noqa: ANN401
        need: dict[str, list[str] | None] | None = None,
        first: bool = True,
    ) -> None:
        import dask
        import dask.dataframe as dd

        self.directory = str(Path(directory).resolve())
        self.as_of, self.policy, self.client = as_of, policy, client
        n = read_manifest(Path(self.directory)).partitions
        need = need or status_columns(policy.kind)
        self.persons, self.cat_cols = _split(need)
        self.cols = {t: list(need[t] or TABLES[t].names) for t in self.persons}
        self.frames = [
            dd.from_map(
                _bucket_reader(self.directory, t, self.cols[t]),
                range(n),
                meta=_empty(t)[self.cols[t]],
                label=f"read-{t}",
                enforce_metadata=False,
            )
            for t in self.persons
        ]
        self.catalogue = dask.delayed(read_catalogue, pure=True)(self.directory, self.cat_cols)
        self.first = None
        if first and uses_data_start(policy):
            starts = dd.map_partitions(
                _partition_start,
                *self.frames,
                self.catalogue,
                persons=self.persons,
                as_of=as_of,
                meta=pd.Series(dtype="datetime64[ns]"),
                align_dataframes=False,
            )
            self.first = compute(starts.min(), client)
            log.info("dask: records start on %s", self.first)

    def empty_tables(self) -> Tables:
        empty = tuple(_empty(t)[self.cols[t]] for t in self.persons)
        return tables_of(self.persons, empty, read_catalogue(self.directory, self.cat_cols))


def status_dask(
    directory: Path, as_of: date | pd.Timestamp, policy: Policy, client: Any = None
) -> pd.DataFrame:
    """The dask engine: ``status_of`` per person-partition of the Parquet copy at
    ``directory`` on ``client``'s cluster (default: dask's current scheduler)."""
    import dask.dataframe as dd

    p = Partitions(directory, as_of, policy, client)
    out = dd.map_partitions(
        _partition_status,
        *p.frames,
        p.catalogue,
        p.first,
        persons=p.persons,
        as_of=as_of,
        policy=policy,
        meta=status_of(p.empty_tables(), as_of, policy),
        align_dataframes=False,
        enforce_metadata=False,
    )
    return compute(out, client).reset_index(drop=True)


def report_inputs(
    tables: Tables, as_of: date | pd.Timestamp, policy: Policy, first: Any = None
) -> tuple[pd.DataFrame, Snapshot]:
    """What ``learnmap report`` starts from, for the people in ``tables``: their status
    (``status_of``) and their snapshot cut to what the report's builders read — staff,
    catalogue and completed participations (``Snapshot.done``); no assessments or
    outcomes.  Partitions' pieces join with ``combine``."""
    snap = snapshot(tables, as_of)
    status = compliance(snap, policy, first)
    cut = replace(
        snap,
        part=snap.done().reset_index(drop=True),
        assess=snap.assess.iloc[:0],
        outcomes=snap.outcomes.iloc[:0],
    )
    return status, cut


def combine(pieces: list[tuple[pd.DataFrame, Snapshot]]) -> tuple[pd.DataFrame, Snapshot]:
    """Partitions' ``report_inputs`` as one: rows in partition order, staff codes
    ``s`` shifted by the staff of the partitions before."""
    snaps = [snap for _, snap in pieces]
    offsets = np.cumsum([0] + [snap.n_staff for snap in snaps[:-1]])
    kind = snaps[0].part["s"].dtype
    part = pd.concat(
        [
            snap.part.assign(s=(snap.part["s"].to_numpy() + off).astype(kind))
            for snap, off in zip(snaps, offsets, strict=True)
        ],
        ignore_index=True,
    )
    staff = pd.concat([snap.staff for snap in snaps], ignore_index=True)
    status = pd.concat([st for st, _ in pieces], ignore_index=True)
    return status, replace(snaps[0], staff=staff, part=part)


def _partition_report(*frames: Any, persons: list[str], as_of: Any, policy: Policy) -> Any:  # noqa: ANN401
    *parts, catalogue, first = frames
    first = None if first is None or pd.isna(first) else day_of(first)
    return report_inputs(tables_of(persons, tuple(parts), catalogue), as_of, policy, first)


def report_inputs_dask(
    directory: Path, as_of: date | pd.Timestamp, policy: Policy, client: Any = None
) -> tuple[pd.DataFrame, Snapshot]:
    """The dask engine's ``report_inputs``: computed per person-partition on the
    cluster (a task per partition on the partitions of ``status_dask``), then joined
    here.  The organization roll-ups and volumes are then computed in this process on
    what comes back — everyone's status and completions, not their other records."""
    import dask

    p = Partitions(directory, as_of, policy, client)
    per_table = [frame.to_delayed() for frame in p.frames]
    tasks = [
        dask.delayed(_partition_report)(
            *parts, p.catalogue, p.first, persons=p.persons, as_of=as_of, policy=policy
        )
        for parts in zip(*per_table, strict=True)
    ]
    pieces = client.gather(client.compute(tasks)) if client else list(dask.compute(*tasks))
    return combine(pieces)


def compute(collection: Any, client: Any) -> Any:  # noqa: ANN401
    if client is None:
        return collection.compute()
    return client.compute(collection).result()
