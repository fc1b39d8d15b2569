"""Staff risk (and its organization roll-up) on two engines, one implementation
(issue 26).

``staff_risk(tables, as_of, model, pop)`` is *the* scoring of some people: their as-of
snapshot, their features (``models.risk.features``) and the fitted model's forecast
(``StaffRisk.predict_frame``).  A person's row depends on their own rows, the
catalogue, the policy and the model (broadcast: the same for everyone), and on the
population statistics of ``Population``:

- ``seen_from``: the first enrolment on record (where observed histories start);
- ``first``: ``compliance``'s first day the records cover (hours, credits);
- ``colleagues``: last year's completions and exposure summed per organization and
  per role — the colleagues' (leave-one-out) and role peers' rates.  An
  organization's staff are spread over partitions (they are bucketed by a hash of
  ``staff_id``), so these are sums, reduced across partitions.

**pandas** engine (``risk_pandas``): ``staff_risk`` on the whole store, the statistics
taken from it — what ``learnmap risk`` has always computed.  **dask** engine
(``risk_dask``): three passes over the person-partitions of the Parquet copy
(``features.partitioned.Partitions``) — (1) the minimum over partitions of each
partition's first enrolment and first completion day; (2) with those, each
partition's colleague sums, added up (``Colleagues.total``); (3) the staff scored
per partition with ``map_partitions`` and the broadcast ``Population``.  Each pass
reads the partitions again rather than keeping them in memory between passes, as
``status_dask`` does.

Organizations (``--level org``): the per-person forecasts come back to the command's
process (only the columns ``score_orgs`` reads, ``ORG_INPUTS``) and ``score_orgs``
reduces them per organization there — the Poisson-binomial ``p_unit_rule`` needs
every owing person's ``p_miss`` of a unit at once.  ``score_orgs`` puts each unit's
staff in ``staff_id`` order first, so the roll-up does not depend on the order rows
arrive in.

The drivers are worded on the workers in the command's language (``--lang``,
``LEARNMAP_LANG`` of the command's process), passed with each task.

Floating point: the colleague sums are added in another order on the dask engine,
so ``org_rate`` and ``role_rate`` (and what follows from them) agree with the pandas
engine's to about 1e-15 relative, not bit for bit.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from engine import progress as bars
from engine.labels import get_lang
from features.asof import Tables
from features.compliance import uses_data_start
from features.partitioned import Partitions, compute, read_catalogue, tables_of
from features.periods import data_start, day_of
from features.snapshot import ASSESSMENT_COLUMNS, STATUS_COLUMNS, snapshot, to_timestamp
from models.risk.estimator import StaffRisk
from models.risk.features import (
    Colleagues,
    Population,
    colleague_sums,
    first_enrolment,
    last_year,
)

__all__ = ["ORG_INPUTS", "risk_columns", "risk_dask", "risk_pandas", "staff_names", "staff_risk"]

log = logging.getLogger(__name__)

#: The per-person columns ``models.risk.org.score_orgs`` reads.
ORG_INPUTS = ["staff_id", "org_id", "required", "p_miss", "expected_shortfall"]
ORG_INPUTS += ["top_driver", "top_effect"]


def risk_columns() -> dict[str, list[str] | None]:
    """The tables (columns; None: all) the risk features read: the status's, with the
    sessions (a drop or no-show is known from its session's end), the staff's and
    participations' other columns and the assessments' scores."""
    need = dict(STATUS_COLUMNS)
    need.update(staff=None, participations=None, sessions=None, assessments=ASSESSMENT_COLUMNS)
    return need


def staff_risk(
    tables: Tables,
    as_of: date | pd.Timestamp,
    model: StaffRisk,
    pop: Population | None = None,
    chunk: int = 200_000,
    progress: bool = False,
) -> pd.DataFrame:
    """The forecast for the people of ``tables`` employed on ``as_of`` (every column of
    ``StaffRisk.predict_frame``); ``pop``: the population's statistics (None: those of
    ``tables``)."""
    snap = snapshot(tables, to_timestamp(as_of))
    return model.predict_frame(snap, chunk=chunk, progress=progress, pop=pop)


def risk_pandas(
    tables: Tables,
    as_of: date | pd.Timestamp,
    model: StaffRisk,
    chunk: int = 200_000,
    progress: bool = False,
) -> pd.DataFrame:
    """The pandas engine: everyone at once, in this process."""
    return staff_risk(tables, as_of, model, None, chunk, progress)


def _partition_starts(*frames: Any, persons: list[str], as_of: Any, dated: bool) -> pd.DataFrame:  # noqa: ANN401
    *parts, catalogue = frames
    snap = snapshot(tables_of(persons, tuple(parts), catalogue), to_timestamp(as_of))
    first = data_start(snap) if dated else np.datetime64("NaT")
    return pd.DataFrame(
        {"seen_from": [first_enrolment(snap)], "first": [first]},
        columns=["seen_from", "first"],
    ).astype("datetime64[ns]")


def _partition_sums(*frames: Any, persons: list[str], as_of: Any, model: StaffRisk) -> Colleagues:  # noqa: ANN401
    *parts, catalogue, starts = frames
    snap = snapshot(tables_of(persons, tuple(parts), catalogue), to_timestamp(as_of))
    pop = Population(seen_from=starts["seen_from"])
    r365, exposure = last_year(snap, model.policy_, getattr(model, "season_", None), pop)
    return colleague_sums(snap, r365, exposure)


def _partition_risk(*frames: Any, persons: list[str], as_of: Any, lang: str) -> Any:  # noqa: ANN401
    *parts, catalogue, model, pop = frames
    with _language(lang):
        return staff_risk(tables_of(persons, tuple(parts), catalogue), as_of, model, pop)


@contextmanager
def _language(lang: str) -> Iterator[None]:
    """The drivers' words in the command's language (``--lang``), not the worker
    process's: ``LEARNMAP_LANG`` set for the task, as the CLI sets it for a command.
    (Tasks of commands in different languages running at once in threads of one
    worker could see each other's; the local cluster's workers have one thread.)"""
    before = os.environ.get("LEARNMAP_LANG")
    os.environ["LEARNMAP_LANG"] = lang
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("LEARNMAP_LANG", None)
        else:
            os.environ["LEARNMAP_LANG"] = before


def _population(p: Partitions, model: StaffRisk, client: Any) -> Population:  # noqa: ANN401
    """Passes 1 and 2 (see the module docstring): the broadcast ``Population``."""
    import dask
    import dask.dataframe as dd

    dated = uses_data_start(model.policy_)
    starts = dd.map_partitions(
        _partition_starts,
        *p.frames,
        p.catalogue,
        persons=p.persons,
        as_of=p.as_of,
        dated=dated,
        meta=pd.DataFrame({"seen_from": [], "first": []}).astype("datetime64[ns]"),
        align_dataframes=False,
        enforce_metadata=False,
    )
    lows = compute(starts.min(), client)
    seen = {"seen_from": lows["seen_from"]}
    tasks = [
        dask.delayed(_partition_sums)(
            *parts, p.catalogue, seen, persons=p.persons, as_of=p.as_of, model=model
        )
        for parts in zip(*(frame.to_delayed() for frame in p.frames), strict=True)
    ]
    total = dask.delayed(Colleagues.total)(tasks)
    colleagues = compute(total, client)
    first = None if not dated or pd.isna(lows["first"]) else day_of(lows["first"])
    log.info("dask: first enrolment %s, records start %s", lows["seen_from"], first)
    return Population(seen_from=lows["seen_from"], first=first, colleagues=colleagues)


def risk_dask(
    directory: Path,
    as_of: date | pd.Timestamp,
    model: StaffRisk,
    client: Any = None,  # noqa: ANN401
    columns: list[str] | None = None,
    progress: bool | None = False,
) -> pd.DataFrame:
    """The dask engine: ``staff_risk`` per person-partition of the Parquet copy at
    ``directory`` on ``client``'s cluster, with the population's statistics computed
    once and broadcast; ``columns``: only these come back (``ORG_INPUTS`` for the
    organization roll-up).  Rows in partition order.  ``progress``: a spinner while
    the population passes run, then a bar of the partitions scored (tasks finished
    on the cluster; ``engine.progress``: only on a terminal, None = when one is)."""
    import dask
    import dask.dataframe as dd

    p = Partitions(directory, as_of, model.policy_, client, need=risk_columns(), first=False)
    with bars.spinner("risk: the population's statistics on dask", enabled=progress):
        pop = _population(p, model, client)
    meta = staff_risk(p.empty_tables(), as_of, model, pop)
    out = dd.map_partitions(  # the model and the statistics: one task each, shared
        _partition_risk,
        *p.frames,
        p.catalogue,
        dask.delayed(model, pure=True),
        dask.delayed(pop, pure=True),
        persons=p.persons,
        as_of=as_of,
        lang=get_lang(),
        meta=meta,
        align_dataframes=False,
        enforce_metadata=False,
    )
    if columns is not None:
        out = out[columns]
    if client is None:
        return out.compute().reset_index(drop=True)
    return _gather(out, client, "risk: scoring on dask", progress)


def _gather(frame: Any, client: Any, desc: str, progress: bool | None) -> pd.DataFrame:  # noqa: ANN401
    """``frame``'s partitions computed on ``client``, joined in partition order; a bar
    ticks as each partition's task finishes (``distributed.as_completed``: dask's own
    ``ProgressBar`` does not see a distributed scheduler's tasks)."""
    from distributed import as_completed

    futures = client.compute(frame.to_delayed())
    with bars.bar(len(futures), desc, unit="partition", enabled=progress) as bar:
        for _ in as_completed(futures):
            bar.update(1)
    parts = client.gather(futures)
    return pd.concat(parts, ignore_index=True) if parts else frame._meta.iloc[:0]


def staff_names(directory: Path) -> Tables:
    """The staff (ids, names, roles) and organizations of the copy, which the staff
    file puts beside the forecasts (``features.exports.with_people``)."""
    from engine.parquet import read_table

    return {
        "staff": read_table(Path(directory), "staff", ["staff_id", "name", "role"]),
        **read_catalogue(str(Path(directory).resolve()), {"organizations": None}),
    }
