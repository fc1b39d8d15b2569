"""The risk contract: every model that says who will miss their requirement.

scikit-learn's discipline (``models.contract``), one ``fit`` for the family::

    model.fit(tables, as_of, policy, y=None)          # canonical tables (DESIGN.md)
    model.predict(tables, as_of, staff_ids=None)      # staff_id, p_miss (+ the model's columns)

- ``fit`` uses only records dated on or before ``as_of`` under ``policy`` (a
  ``Policy`` or a preset name).  ``y`` (models with ``learns_from_labels``) is a
  ``Series`` indexed by staff id: 1 = missed the requirement, 0 = met it, −1 = not
  known (scikit-learn's mark of an unlabelled sample).  The people in ``y`` are the
  cohort the model is fitted for (features that compare a person with their
  colleagues compare within it); only the labelled ones are learned from.  Models
  that learn without labels (``StaffRisk``: from backtests of earlier snapshots) ignore it.
- ``predict`` answers, per person in ``staff_ids`` (None = everyone employed on
  ``as_of`` the model can score), ``p_miss`` in [0, 1], in the order asked; each
  person's answer does not depend on who else is asked (batch = single), and
  nothing is written on the model.  A person the model cannot score is an error
  naming them, never a silent gap.

``learns_from_labels`` is part of the contract (a class attribute every risk model
has), so the experiment harness knows whether to fit on some organizations' labels
and score the others (``experiments.splits.group_folds``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import date
from typing import ClassVar, Self

import pandas as pd
from sklearn.base import BaseEstimator

from engine.policy import Policy, load_policy

__all__ = ["RISK_COLUMNS", "RiskEstimator", "as_policy", "select"]

#: The columns every risk model's ``predict`` has (first, in this order).
RISK_COLUMNS = ["staff_id", "p_miss"]

Tables = dict[str, pd.DataFrame]
AsOf = date | str | pd.Timestamp


def as_policy(policy: Policy | str) -> Policy:
    """A ``Policy`` from a policy or a preset name / file."""
    return load_policy(policy) if isinstance(policy, str) else policy


def select(frame: pd.DataFrame, staff_ids: Sequence[str] | None, model: str) -> pd.DataFrame:
    """The rows of ``frame`` (one per ``staff_id``) for ``staff_ids`` in that order (all
    when None); an id the model has no answer for is a ``ValueError`` naming it."""
    if staff_ids is None:
        return frame.reset_index(drop=True)
    ids = pd.Index([str(s) for s in staff_ids], dtype=object)
    pos = pd.Index(frame["staff_id"].astype(str), dtype=object).get_indexer(ids)
    if (pos < 0).any():
        raise ValueError(
            f"{model} has no p_miss for {ids[pos < 0][0]!r}: not employed on as_of, "
            "or unknown to the tables"
        )
    return frame.iloc[pos].reset_index(drop=True)


class RiskEstimator(ABC, BaseEstimator):
    """Base class of risk models (see the module docstring)."""

    #: True: ``fit`` needs ``y`` (the harness fits on some organizations' labels).
    learns_from_labels: ClassVar[bool] = False

    @abstractmethod
    def fit(
        self, tables: Tables, as_of: AsOf, policy: Policy | str, y: pd.Series | None = None
    ) -> Self:
        """Learn from the records known on ``as_of`` (and ``y``, when it learns from labels)."""

    @abstractmethod
    def predict(
        self, tables: Tables, as_of: AsOf, staff_ids: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """``RISK_COLUMNS`` (+ the model's own) per person, in the order of ``staff_ids``."""
