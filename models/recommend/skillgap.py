"""Skill gap: foundation modules first, then the skills the person's role requires where
their mastery is below target, then what their cohort takes
(``models.recommend.evidence``).  Organization priorities are not in the canonical
tables, so it does not weight by them (documented choice: nothing recorded to weight by).
"""

from __future__ import annotations

import numpy as np

from features.asof import Tables
from models.recommend.base import Recommender
from models.recommend.data import Interactions
from models.recommend.evidence import Evidence, cohort_reason
from models.recommend.filters import Batch
from models.recommend.reason_text import words

__all__ = ["SkillGap"]


class SkillGap(Recommender):
    """Foundation modules not yet completed first, then modules teaching the skills the
    person's role requires where their mastery is below target (Σ weight × gap), then
    what the person's cohort takes (so it degrades to cohort popularity without skills
    or roles).  Prerequisites and completions are filtered by the base class."""

    def __init__(self, foundation_bonus: float = 1.0, cohort_weight: float = 0.1) -> None:
        self.foundation_bonus = foundation_bonus
        self.cohort_weight = cohort_weight

    def _fit(self, data: Interactions, tables: Tables) -> None:
        self.evidence_ = Evidence.build(tables, data)

    def _scores(self, batch: Batch) -> np.ndarray:
        ev = self.evidence_
        gap = ev.gap_scores(batch.rows)
        return (
            self.foundation_bonus * ev.foundation[None, :]
            + gap
            + self.cohort_weight * ev.cohort_scores(batch.rows)
        )

    def _reasons(self, batch: Batch, person: np.ndarray, item: np.ndarray) -> np.ndarray:
        ev = self.evidence_
        out = []
        for p, i in zip(person.tolist(), item.tolist(), strict=True):
            r = int(batch.rows[p])
            if ev.foundation[i]:
                out.append(words("foundation_open"))
                continue
            out.append(ev.gap_reason(r, i) or cohort_reason(ev, r, i))
        return np.asarray(out, dtype=object)
