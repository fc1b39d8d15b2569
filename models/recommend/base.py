"""The recommender contract every module recommender implements.

Modelled on ``implicit``'s ``RecommenderBase`` (an abstract base whose subclasses fill
in how to learn and how to score, while the base owns batching, filtering and top-k),
with scikit-learn's conventions (``models.contract``: ``__init__`` stores parameters,
``fit`` returns ``self``, learned state ends in ``_``, ``clone`` works, nothing is
written while recommending)::

    model.fit(tables, as_of=None, policy=None)       # canonical tables (DESIGN.md)
    model.recommend(staff_ids, k=10, filters=None)   # staff_id, rank, module_id, score, reason

``fit`` uses only records dated on or before ``as_of`` (``features.asof.tables_as_of``;
``None`` = all records); ``fit(..., policy=...)`` also ranks, for people behind on that
policy's requirement, the modules that count toward it first
(``models.recommend.quota``).  ``person_as_of`` (staff_id → date) is the per-person
as-of date of a leave-last split, whose tables are already cut per person: models
whose answer depends on the date itself (the oracle) read it; the rest ignore it.

``recommend`` scores every module for each person, removes the ones ``Filters``
excludes (by default: already completed, or prerequisites not completed), and returns
the ``k`` best per person (``models.recommend.ranking``).  Each person is scored
independently, so a batch call gives the same rows as one call per person.  People
unknown at fit time get the model's answer for an empty history.

Subclasses implement two hooks:

``_fit(data, tables)``
    learn from ``data`` (``models.recommend.data.Interactions``: user and item
    vocabularies and the binary person × module matrix of completions) and the as-of
    tables;
``_scores(batch)``
    a dense ``(len(batch.staff_ids), n_items)`` float array; higher is better,
    ``-inf`` or NaN = never recommend;

and may set the class attribute ``reason`` — the key of the ``reason`` column's text in
the label catalogue (``reason_<key>``, read by ``models.recommend.reason_text.words`` in
the language of the moment, so one fitted model answers in Chinese or English) — or
override ``_reasons(batch, person, item)``.  Neither ``_scores`` nor ``_reasons`` may
write to ``self``: what the reasons need is recomputed from the batch.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import date
from typing import ClassVar, Self

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from engine.policy import Policy
from features.asof import Tables, tables_as_of, to_datetime64
from models.contract import check_fitted
from models.recommend import ranking
from models.recommend.data import (
    Interactions,
    build_interactions,
    open_enrolments,
    schedule,
)
from models.recommend.filters import Batch, Filters, offer_prerequisites
from models.recommend.ranking import RECOMMEND_COLUMNS
from models.recommend.reason_text import words

__all__ = ["RECOMMEND_COLUMNS", "Recommender", "Tables"]

_CHUNK = 1024  # people scored per dense block (bounds memory on large catalogues)


class Recommender(ABC, BaseEstimator):
    """Base class of module recommenders (see the module docstring)."""

    #: catalogue key of the default reason (``reason_<key>``; module docstring)
    reason: ClassVar[str] = "recommended"

    def fit(
        self,
        tables: Tables,
        as_of: date | str | pd.Timestamp | None = None,
        policy: Policy | str | None = None,
        person_as_of: pd.Series | None = None,
    ) -> Self:
        """Learn from the records known on ``as_of``.  With a ``policy`` (a
        ``Policy`` or a preset name), people behind on its requirement get the modules
        that count toward it first (``models.recommend.quota``)."""
        del person_as_of  # the tables are already cut per person (module docstring)
        sessions = schedule(tables, as_of)
        if as_of is not None:
            tables = tables_as_of(tables, as_of)
        self.data_ = build_interactions(tables)
        self.enrolled_ = open_enrolments(tables, self.data_)
        self.schedule_ = sessions
        self.quota_ = None
        #: the policy fitted for (a ``Policy``; None = none): a saved model's answers
        #: depend on it, so a service checks it before reusing one
        self.policy_ = None
        if policy is not None:
            from engine.policy import load_policy
            from models.recommend.quota import quota_state

            self.policy_ = load_policy(policy) if isinstance(policy, str) else policy
            self.quota_ = quota_state(tables, self.data_, self.policy_, as_of)
        self._fit(self.data_, tables)
        return self

    def recommend(
        self, staff_ids: Sequence[str], k: int = 10, filters: Filters | None = None
    ) -> pd.DataFrame:
        """The ``k`` best modules per person (``RECOMMEND_COLUMNS``), ``filters`` applied."""
        check_fitted(self, "call fit(tables) first")
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        filters = filters or Filters()
        ids = np.asarray([str(s) for s in staff_ids], dtype=object)
        static = self._static_mask(filters)
        parts = []
        for lo in range(0, len(ids), _CHUNK):
            chunk = ids[lo : lo + _CHUNK]
            rows = self.data_.rows(chunk)
            offer = filters.prerequisites and filters.offer_prerequisites
            batch = Batch(chunk, rows, self.data_.history(rows), self.data_.prereq, offer, static)
            scores = np.asarray(self._scores(batch), dtype=np.float64)
            if scores.shape != (len(chunk), len(self.data_.items)):
                raise ValueError(
                    f"{type(self).__name__}._scores returned shape {scores.shape}, "
                    f"expected {(len(chunk), len(self.data_.items))}"
                )
            scores = np.where(np.isnan(scores), -np.inf, scores)
            scores[:, ~static] = -np.inf
            enrolled = getattr(self, "enrolled_", None)  # None: saved before it existed
            if filters.exclude_enrolled and enrolled is not None:
                known = rows >= 0
                scores[known] = np.where(
                    enrolled[rows[known]].toarray() > 0, -np.inf, scores[known]
                )
            via = None
            if filters.prerequisites:
                if offer:
                    scores, via = offer_prerequisites(scores, batch, static)
                scores[~batch.admissible()] = -np.inf
            elif filters.exclude_completed:
                scores[np.asarray(batch.history.todense()) > 0] = -np.inf
            parts.append(self._top_k(batch, scores, k, self._quota_first(batch), via))
        if not parts:
            return ranking.empty()
        return pd.concat(parts, ignore_index=True)

    # -- hooks ------------------------------------------------------------------------
    @abstractmethod
    def _fit(self, data: Interactions, tables: Tables) -> None:
        """Learn from the completion matrix ``data`` and the as-of ``tables``."""

    @abstractmethod
    def _scores(self, batch: Batch) -> np.ndarray:
        """people × modules scores of ``batch`` (higher is better; −inf/NaN = never)."""

    def _reasons(self, batch: Batch, person: np.ndarray, item: np.ndarray) -> np.ndarray:
        """One reason per recommended (person row in ``batch``, module column) pair."""
        return np.full(len(person), words(self.reason), dtype=object)

    # -- helpers ----------------------------------------------------------------------
    def _titles(self) -> np.ndarray:
        mods = self.data_.modules
        if "title" in mods:
            return mods["title"].fillna(mods["module_id"]).astype(str).to_numpy(dtype=object)
        return self.data_.items.to_numpy(dtype=object)

    def _static_mask(self, filters: Filters) -> np.ndarray:
        mods = self.data_.modules
        keep = np.ones(len(mods), bool)
        if filters.modes is not None:
            keep &= mods["mode"].isin(filters.modes).to_numpy()
        if filters.tiers is not None:
            keep &= mods["tier"].isin(filters.tiers).to_numpy()
        if filters.exclude_modules:
            keep &= ~self.data_.items.isin(list(filters.exclude_modules))
        if filters.sessions_from is not None or filters.sessions_to is not None:
            keep &= self._bookable(filters.sessions_from, filters.sessions_to)
        return keep

    def _bookable(self, start: date | str | None, end: date | str | None) -> np.ndarray:
        """Per module: self-paced online, or a session starting in [start, end] with a
        free seat (see ``Filters``)."""
        mods = self.data_.modules
        ok = (mods["mode"].astype(str) == "online").to_numpy()
        ses = getattr(self, "schedule_", None)
        if ses is None or ses.empty:
            return ok
        sel = ses["free"].to_numpy() > 0
        if start is not None:
            sel &= ses["starts_on"].to_numpy() >= to_datetime64(start)
        if end is not None:
            sel &= ses["starts_on"].to_numpy() <= to_datetime64(end)
        return ok | self.data_.items.isin(ses.loc[sel, "module_id"].unique())

    def _quota_first(self, batch: Batch) -> np.ndarray | None:
        """people × modules bool: the module counts toward a requirement the person is
        behind on (None without a policy)."""
        q = getattr(self, "quota_", None)
        if q is None:
            return None
        behind = np.zeros(len(batch.rows), bool)
        known = batch.rows >= 0
        behind[known] = q.behind[batch.rows[known]]
        return behind[:, None] & q.counts[None, :]

    def _top_k(
        self,
        batch: Batch,
        scores: np.ndarray,
        k: int,
        first: np.ndarray | None = None,
        via: np.ndarray | None = None,
    ) -> pd.DataFrame:
        picked = ranking.top_k(scores, k, first)
        person, item = picked[0], picked[1]
        reasons = self._reasons(batch, person, item)
        if via is not None:
            ranking.with_prerequisite(reasons, person, item, via, self._titles())
        if first is not None:
            ranking.with_quota(reasons, person, item, first, batch.rows, self.quota_)
        return ranking.frame(batch.staff_ids, self.data_.items.to_numpy(), picked, reasons)
