"""Validate raw tables into typed canonical frames, collecting *every* problem.

``validate_dataset`` checks, per table: required columns present; each cell against
its column's kind, enumeration and bounds; unique keys; cross-column rules (dates in
order, completed ⇔ completion date, a session belongs to the participation's
module); foreign keys against the batch and what is already stored; acyclic skill
parents and module prerequisites (each cycle group — strongly connected component —
reported once, with one example cycle).  It raises one ``ValidationError`` listing
all problems, or returns the typed frames.

Across tables, and against the store (``_check_dates_across``, ``_check_conflicts``):

* A **completion** (``status = completed``) must lie within its person's employment,
  ``hired_on ≤ completed_on ≤ left_on`` (both days included; an empty ``left_on`` is
  open), and a session-bound completion within its session,
  ``starts_on ≤ completed_on ≤ ends_on``.  The problem names both records: the other
  one by file and row when it is in the batch, or as "already in the store".  The
  check runs both ways: a re-sent staff or session row whose dates no longer cover a
  stored completion is rejected too (on the staff/session row).
* Only completions are checked.  ``enrolled_on`` may precede ``hired_on`` (people are
  registered for induction before their first day) and a session-bound enrolment may
  fall outside the session (registration opens weeks before; late entries happen);
  assessments and outcomes are not tied to employment (follow-up measures may come
  after a person left).  Open (not completed) records count toward nothing.
* An **event** (participation, assessment, outcome) re-sent with a stored id but
  another ``staff_id`` or ``module_id`` is a conflict, reported with the stored and the
  new value: an event never moves to another person or module (send a new id).  Any
  other changed column is an ordinary update.

Modules: ``store_view`` (what validation reads from the store), ``collector`` (the
problems), ``cells`` (types and bounds), ``rows`` (keys and rules within a row),
``references`` (foreign keys, sessions, cycles), ``table`` (one table), ``across``
(across tables and against the store), ``dataset`` (a whole batch), ``text_lookup``
(id lookups through Arrow).  The names below are re-exported here.
"""

from __future__ import annotations

from engine.validate.across import EVENT_TABLES
from engine.validate.dataset import validate_dataset
from engine.validate.references import CYCLE_MEMBERS_SHOWN
from engine.validate.store_view import Existing, StoredPlan, StoreView
from engine.validate.table import validate_table

__all__ = [
    "CYCLE_MEMBERS_SHOWN",
    "EVENT_TABLES",
    "Existing",
    "StoreView",
    "StoredPlan",
    "validate_dataset",
    "validate_table",
]
