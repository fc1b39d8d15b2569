"""One person's view without loading the store (issue 6, item 11).

``person_view(store, staff_id, as_of)`` reads only that person's records, their
organization and the catalogue (``engine.reads.person_tables``), builds the usual
``Snapshot`` of them, and a ``MasteryTable`` whose skill priors come from the whole
population (``engine.reads.module_score_sums``, cached by data version) and whose
context offsets (``features.mastery.context_effects``) and per-module indicator counts
are the population's too: ``population_context`` computes them once per data version
and date from the whole store (one full load, then cached by ``engine.reads.cached_frame``).  Every
feature that is computed per person — ``learner_profiles``, ``compliance``,
``learning_map`` — then gives the same answer as on the whole store's snapshot
(``tests/features/test_person.py`` checks that field by field).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from engine.errors import NotFoundError
from engine.reads import cached_frame, module_score_sums, person_tables
from engine.store import Store
from features.mastery import (
    MasteryTable,
    context_effects,
    context_sums,
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
    ctx = population_context(store, t.date())
    effects = (
        ctx[["b_rel", "b_pre"]].iloc[0].to_numpy(float) if len(ctx) else np.zeros(2)
    )  # no scores anywhere: no offsets
    prior = skill_priors(snap, module_score_sums(store, t.date()), effects, ctx)
    return PersonView(snap, skill_mastery(snap, prior=prior, effects=effects))


def _context(store: Store, as_of: date) -> pd.DataFrame:
    snap = snapshot(store.load(), to_timestamp(as_of))
    effects = context_effects(snap)
    return context_sums(snap).assign(b_rel=effects[0], b_pre=effects[1])


def population_context(store: Store, as_of: date) -> pd.DataFrame:
    """Per module with scores: ``module_id``, ``n_rel``, ``n_pre`` (``context_sums``)
    and the population's offsets ``b_rel``, ``b_pre`` (the same on every row) as of the
    date — cached by data version."""
    return cached_frame(store, "mastery_context|v1", as_of, _context)
