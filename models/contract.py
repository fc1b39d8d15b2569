"""What every estimator in ``models`` promises, whatever its family.

scikit-learn's discipline (``sklearn.base.BaseEstimator``):

- ``__init__`` only stores its parameters, under their own names, so ``get_params``,
  ``set_params`` and ``sklearn.base.clone`` work;
- ``fit`` learns and returns ``self``; everything it learns ends in ``_``;
- using a model before ``fit`` raises ``NotFittedError`` (``check_fitted``), which is
  scikit-learn's ``NotFittedError`` and learnmap's at once;
- predicting writes nothing on the estimator (answers for a batch equal answers one
  at a time, and concurrent calls need no lock).

Families and their ``fit`` (one signature per family; ``tests/models/contract.py``
checks every registered model against these):

- recommend (``models.recommend.base.Recommender``):
  ``fit(tables, as_of=None, policy=None, person_as_of=None)`` →
  ``recommend(staff_ids, k, filters)``;
- risk (``models.risk.base.RiskEstimator``):
  ``fit(tables, as_of, policy, y=None)`` → ``predict(tables, as_of)``;
- course risk (``models.risk.course.OuladRisk``): a scikit-learn classifier,
  ``fit(X, y)`` → ``predict_proba(X)``.
"""

from __future__ import annotations

from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError as _SklearnNotFitted
from sklearn.utils.validation import check_is_fitted

from engine.errors import NotFittedError as _LearnmapNotFitted

__all__ = ["NotFittedError", "check_fitted"]


class NotFittedError(_LearnmapNotFitted, _SklearnNotFitted):
    """A model was used before ``fit`` (both learnmap's and scikit-learn's error)."""


def check_fitted(estimator: BaseEstimator, how: str = "call fit(tables) first") -> None:
    """``check_is_fitted``, raising :class:`NotFittedError` naming the model and what to do."""
    try:
        check_is_fitted(estimator)
    except _SklearnNotFitted as exc:
        raise NotFittedError(f"{type(estimator).__name__} is not fitted: {how}") from exc
