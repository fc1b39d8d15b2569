"""One person's view without loading the store (issue 6, item 11).

``person_view(store, staff_id, as_of)`` reads only that person's records, their
organization and the catalogue (``engine.reads.person_tables``), builds the usual
``Snapshot`` of them, and a ``MasteryTable`` whose skill priors come from the whole
population (``engine.reads.module_score_sums``, cached by data version).  Every
feature that is computed per person — ``learner_profiles``, ``compliance``,
``learning_map`` — then gives the same answer as on the whole store's snapshot
(``tests/features/test_person.py`` checks that field by field).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from engine.errors import NotFoundError
from engine.reads import module_score_sums, person_tables
from engine.store import Store
from features.mastery import MasteryTable, skill_mastery, skill_priors
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
    prior = skill_priors(snap, module_score_sums(store, t.date()))
    return PersonView(snap, skill_mastery(snap, prior=prior))
