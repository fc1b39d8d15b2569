"""Cohort popularity: what people of the same role and organization type complete
(``models.recommend.evidence``: cohorts under ``MIN_COHORT`` people fall back to the
role, then to everyone).  The reason names the cohort and its share."""

from __future__ import annotations

import numpy as np

from features.asof import Tables
from models.recommend.base import Recommender
from models.recommend.data import Interactions
from models.recommend.evidence import Evidence, cohort_reason
from models.recommend.filters import Batch

__all__ = ["CohortPopularity"]


class CohortPopularity(Recommender):
    """Most completed among people of the same role and organization type (falls back to
    the role, then to everyone, for cohorts under ``MIN_COHORT`` people)."""

    def _fit(self, data: Interactions, tables: Tables) -> None:
        self.evidence_ = Evidence.build(tables, data)

    def _scores(self, batch: Batch) -> np.ndarray:
        return self.evidence_.cohort_scores(batch.rows)

    def _reasons(self, batch: Batch, person: np.ndarray, item: np.ndarray) -> np.ndarray:
        ev = self.evidence_
        out = []
        for p, i in zip(person.tolist(), item.tolist(), strict=True):
            out.append(cohort_reason(ev, int(batch.rows[p]), i))
        return np.asarray(out, dtype=object)
