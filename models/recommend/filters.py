"""Which modules a recommendation may contain, and the block of people being scored.

``Filters`` is the caller's choice (completed, prerequisites, modes, tiers, retired
modules, bookable sessions); ``admissible`` is the prerequisite rule; ``Batch`` is one
block of people handed to a model's ``_scores``; ``offer_prerequisites`` passes a
blocked module's score on to its missing prerequisites.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import scipy.sparse as sp

__all__ = ["Batch", "Filters", "admissible", "offer_prerequisites"]


@dataclass(frozen=True)
class Filters:
    """Which modules a recommendation may contain.

    exclude_completed : drop modules the person has already completed.
    exclude_enrolled  : drop modules the person is enrolled in now (an open enrolment
                        known on the fitted ``as_of``, neither completed nor dropped):
                        the person is already taking it — a list to *continue*, not a
                        recommendation.
    prerequisites     : keep only modules whose prerequisites the person has completed.
    offer_prerequisites : with ``prerequisites``, a module held back only by unmet
                        prerequisites is not lost: its missing prerequisites that the
                        person can take now are offered in its place, ranked by its
                        score (a prerequisite's own score counts if higher), with the
                        reason "prerequisite for <module>".  Chains are followed (the
                        prerequisite of a prerequisite).  Off by default: the harness
                        scores models on what they recommend directly.
    modes, tiers      : keep only these modes / tiers (None = any).
    exclude_modules   : module ids never to recommend (e.g. retired modules).
    sessions_from, sessions_to : when either is given, keep only modules one can take
                        in that date range (inclusive; an open end is unbounded): a
                        session starting in the range with an open seat, or a
                        self-paced ``online`` module (no sessions needed).  Documented
                        choice: the sessions table is a schedule — every session in the
                        fitted tables counts, including those starting after ``as_of``;
                        seats taken = ``enrolled`` / ``completed`` records known on
                        ``as_of``; no capacity = unlimited.
    """

    exclude_completed: bool = True
    exclude_enrolled: bool = True
    prerequisites: bool = True
    offer_prerequisites: bool = False
    modes: tuple[str, ...] | None = None
    tiers: tuple[str, ...] | None = None
    exclude_modules: frozenset[str] = field(default_factory=frozenset)
    sessions_from: date | str | None = None
    sessions_to: date | str | None = None


def admissible(history: sp.csr_matrix, prereq: sp.csr_matrix) -> np.ndarray:
    """Dense bool (people × modules): not yet completed and every prerequisite completed."""
    need = np.asarray(prereq.sum(axis=1)).ravel()
    have = np.asarray((history @ prereq.T.astype(np.float32)).todense())
    done = np.asarray(history.todense()) > 0
    return (have >= need[None, :]) & ~done


@dataclass
class Batch:
    """One block of people to score: ids, rows in the fitted vocabulary (−1 = unknown)
    and their completion history (CSR, people × modules)."""

    staff_ids: np.ndarray
    rows: np.ndarray
    history: sp.csr_matrix
    prereq: sp.csr_matrix | None = None
    #: True when blocked modules may be offered through their prerequisites: models
    #: that restrict their candidates to admissible modules should also score those
    #: (``candidates()``).
    offer: bool = False
    #: per module, False where the filters rule it out whatever the person (mode, tier,
    #: excluded, not offered in the window): models that pick a short list of
    #: candidates pick it among these, or the filter empties their list afterwards
    allowed: np.ndarray | None = None
    _adm: np.ndarray | None = field(default=None, repr=False)

    def candidates(self) -> np.ndarray:
        """Modules a model should score: admissible ones, and with ``offer`` also those
        held back only by unmet prerequisites (not completed); only ``allowed`` ones."""
        adm = self.admissible()
        if self.offer:
            adm = adm | ~(np.asarray(self.history.todense()) > 0)
        if self.allowed is not None:
            adm = adm & self.allowed[None, :]
        return adm

    def admissible(self) -> np.ndarray:
        """``admissible(history, prereq)``, computed once per batch."""
        if self._adm is None:
            self._adm = admissible(self.history, self.prereq)
        return self._adm


def offer_prerequisites(
    scores: np.ndarray, batch: Batch, allowed: np.ndarray, rounds: int = 4
) -> tuple[np.ndarray, np.ndarray]:
    """Scores with blocked modules' scores passed to their missing prerequisites.

    A module is *blocked* for a person when they have not completed it and some
    prerequisite is missing.  Each missing prerequisite ``p`` of a blocked module ``j``
    (``p`` not completed, ``allowed[p]``) receives ``j``'s score; a blocked ``p``
    passes it on to its own missing prerequisites (up to ``rounds`` links).  Where the
    received score beats the module's own, it replaces it and ``via`` names ``j``
    (the module it unlocks directly); elsewhere ``via`` is −1.  Ties go to the
    blocked module first in catalogue order.  Only admissible modules gain: the
    caller removes the rest as before."""
    adm = batch.admissible()
    done = np.asarray(batch.history.todense()) > 0
    blocked = ~adm & ~done
    prereq = batch.prereq.tocsr()
    n, n_items = scores.shape
    passing = np.where(blocked, scores, -np.inf)
    best = np.full((n, n_items), -np.inf)
    via = np.full((n, n_items), -1, dtype=np.int64)
    needs = np.flatnonzero(np.diff(prereq.indptr))
    for _ in range(rounds):
        changed = False
        for j in needs:
            src = passing[:, j]
            if not np.isfinite(src).any():
                continue
            for p in prereq.indices[prereq.indptr[j] : prereq.indptr[j + 1]]:
                if not allowed[p]:
                    continue
                gain = (src > best[:, p]) & ~done[:, p]
                if gain.any():
                    best[gain, p] = src[gain]
                    via[gain, p] = j
                    changed = True
        passing = np.where(blocked, np.maximum(passing, best), -np.inf)
        if not changed:
            break
    take = adm & (best > scores)
    out = np.where(take, best, scores)
    return out, np.where(take, via, -1)
