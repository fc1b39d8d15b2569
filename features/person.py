"""One person's view without loading the store (issue 6, item 11).

``person_view(store, staff_id, as_of)`` reads only that person's records, their
organization and the catalogue (``engine.reads.person_tables``), builds the usual
``Snapshot`` of them, and a ``MasteryTable`` whose skill priors, context offsets and
per-module indicator counts are the whole population's as of the date
(``population_context``).  Every feature computed per person — ``learner_profiles``,
``compliance``, ``learning_map`` — then gives the same answer as on the whole store's
snapshot (``tests/features/test_person.py`` checks that field by field).

Population statistics, cost per call: they come from the store's score facts
(``engine.stats.score_facts``: one row per assessment, as-of independent), read from
the store once per data version and cached on disk; per as-of date the statistics
are computed from those facts (``features.mastery.population_statistics``, a fit
over every score that takes a fraction of a second at 2 M rows) and cached as well.
So a call for a new date reads no whole table, and after ``engine.stats.warm`` (run
after each ingest) neither does the first call of a new data version.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from engine.errors import NotFoundError
from engine.reads import cached_frame, person_tables
from engine.store import Store
from features.mastery import (
    MasteryTable,
    ScoreRows,
    population_statistics,
    skill_mastery,
    skill_priors,
)
from features.snapshot import Snapshot, snapshot, to_timestamp


@dataclass
class PersonView:
    snap: Snapshot  # holds only this person (staff code 0)
    mastery: MasteryTable


def person_view(store: Store, staff_id: str, as_of: date | str) -> PersonView:
    """Snapshot and mastery of one staff member as of a date, read by targeted queries."""
    t = to_timestamp(as_of)
    tables = person_tables(store, staff_id)
    if tables is None:
        raise NotFoundError(f"no staff member {staff_id!r}")
    snap = snapshot(tables, t)
    if snap.n_staff == 0:
        raise NotFoundError(f"no staff member {staff_id!r} (hired on or before {t.date()})")
    ctx = population_context(store, t.date(), snap)
    effects = ctx[["b_rel", "b_pre"]].iloc[0].to_numpy(float) if len(ctx) else np.zeros(2)
    prior = skill_priors(snap, ctx, effects, ctx)
    return PersonView(snap, skill_mastery(snap, prior=prior, effects=effects))


def population_context(store: Store, as_of: date, catalogue: Snapshot) -> pd.DataFrame:
    """Per module with scores as of the date: ``module_id``, ``n``, ``total``,
    ``n_rel``, ``n_pre`` (``population_statistics``) and the population's offsets
    ``b_rel``, ``b_pre`` (the same on every row) — cached by data version and date.
    ``catalogue`` is any snapshot of this store (its modules and skills are used)."""

    def compute(st: Store, day: date | None) -> pd.DataFrame:
        from engine.stats import score_facts  # only when the date is not cached yet

        return _context(score_facts(st), catalogue, to_timestamp(day))

    return cached_frame(store, "population_context|v2", as_of, compute)


def _context(facts: pd.DataFrame, catalogue: Snapshot, t: pd.Timestamp) -> pd.DataFrame:
    """The population statistics as of ``t`` from the score facts (``engine.stats``)."""
    day = t.to_datetime64()
    f = facts[(facts["taken_on"].to_numpy() <= day) & (facts["hired_on"].to_numpy() <= day)]
    module_id = f["module_id"]
    module_id = (
        module_id.array
        if isinstance(module_id.dtype, pd.CategoricalDtype)
        else module_id.to_numpy(dtype=object)
    )
    ready = f["ready_from"].to_numpy()
    rows = ScoreRows(
        staff_id=f["staff"].to_numpy(),
        module_id=module_id,
        score=f["score"].to_numpy(float),
        taken_on=f["taken_on"].to_numpy(),
        flags=np.column_stack(
            [f["rel"].to_numpy(float), (~np.isnat(ready) & (ready <= day)).astype(float)]
        ),
    )
    effects, sums = population_statistics(
        rows, catalogue.modules, catalogue.skills, catalogue.module_skills, t
    )
    return sums.assign(b_rel=effects[0], b_pre=effects[1])
