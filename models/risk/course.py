"""Risk of Fail or Withdrawn for OULAD registrations, as of a day of the presentation:
``OuladRisk``, a scikit-learn classifier on the rows of
``models.risk.course_features.oulad_frame`` (see there for the population, the
evidence, the label and the features).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV, Ridge
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from engine.errors import NotFittedError
from models.risk.course_features import BASE_RATE, FEATURES, oulad_frame

__all__ = ["BASE_RATE", "FEATURES", "OuladRisk", "oulad_frame"]


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, float), 1e-5, 1 - 1e-5)
    return np.log(p / (1 - p))


def _expit(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(z, float)))


def _shift_to(z: np.ndarray, target: float) -> float:
    """The logit shift ``d`` with mean(expit(z + d)) = ``target`` (bisection)."""
    target = float(np.clip(target, 1e-4, 1 - 1e-4))
    lo, hi = -8.0, 8.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if _expit(z + mid).mean() < target else (lo, mid)
    return (lo + hi) / 2


class OuladRisk(ClassifierMixin, BaseEstimator):
    """Gradient-boosted trees on :data:`FEATURES`, calibrated across presentations,
    with a learned per-module offset.

    ``fit(X, y)`` takes rows of :func:`oulad_frame` (one or many cut-offs; ``unit`` and
    ``module`` columns are used when present):

    1. *Out-of-presentation predictions*: ``inner_folds`` folds grouped by presentation
       (``unit``) — every training row is predicted by trees that never saw its
       presentation, as a presentation of 2014 will be.
    2. *Calibration* (``calibration="sigmoid"``): Platt scaling of those predictions'
       logits, so probabilities are calibrated for presentations not seen in training.
    3. *Module offsets* (``module_offsets`` ∈ [0, 1], 0 = off): per module, the logit
       shift that makes the calibrated out-of-presentation predictions' mean equal the
       module's observed share, times ``module_offsets``.  The share failing or
       withdrawing is mostly a property of the module (2013: DDD's presentations above
       what their students' records predict, BBB's below, in both presentations), so a
       presentation of a module seen in training gets its module's shift; a new module
       gets none — unless ``new_module_base_rate`` > 0 (default 0, off):
    4. *Base rate of a new module*: a ridge regression (``base_rate_alpha``, on
       standardised :data:`BASE_RATE` aggregates) fitted across the training
       presentations × cut-off days, from the presentation's aggregates at the cut-off
       (share already withdrawn, share of due work submitted, mean weighted score,
       share of the course elapsed) to the logit shift its calibrated
       out-of-presentation predictions needed; a presentation of a module never seen
       in training gets ``new_module_base_rate`` × that predicted shift.  Off by
       default: by leave-one-presentation-out on the nine 2013 presentations it made
       the new-module share error worse (day 60 / 120: 0.139 / 0.084 against 0.104 /
       0.070 without; GGG, with almost no early withdrawals, is pulled far below its
       share) and the best of 48 variants (``experiments.oulad_baserate``: withdrawn
       share only, alpha 100, half the shift) gained 0.016 / 0.012 — within what
       picking among 48 on three presentations buys — with AAA still 0.18 too high.
       The presentation aggregates as tree inputs were worse too (0.136 / 0.095).
    5. The trees refitted on every row.

    Inputs are the :data:`FEATURES` with at least one value in training (``inputs_``):
    a column that training never saw (e.g. clicks when the training files have no
    ``studentVle``) is not used, and a column missing for a whole scored presentation
    (no assessment due yet) stays missing — never read as a score of 0.

    ``kind="logreg"`` is the tuned logistic-regression peer on the same inputs (median
    imputation with missing indicators, standardised; C chosen by log-loss over the
    same presentation-grouped folds; no offsets).  ``kind="blend"`` averages the two.
    Choices made by leave-one-presentation-out cross-validation on the nine 2013
    presentations (``python -m experiments.oulad CONFIG --lopo``; figures in the README).
    ``n_threads`` caps OpenMP threads (see ``models.risk.estimator.StaffRisk``).
    """

    def __init__(
        self,
        kind: str = "gbm",
        learning_rate: float = 0.05,
        max_iter: int = 300,
        max_leaf_nodes: int = 15,
        min_samples_leaf: int = 40,
        l2_regularization: float = 1.0,
        calibration: str = "sigmoid",
        module_offsets: float = 0.5,
        new_module_base_rate: float = 0.0,
        base_rate_alpha: float = 10.0,
        inner_folds: int = 4,
        n_threads: int | None = 1,
        random_state: int = 0,
    ) -> None:
        self.kind = kind
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.calibration = calibration
        self.module_offsets = module_offsets
        self.new_module_base_rate = new_module_base_rate
        self.base_rate_alpha = base_rate_alpha
        self.inner_folds = inner_folds
        self.n_threads = n_threads
        self.random_state = random_state

    def _trees(self) -> HistGradientBoostingClassifier:
        return HistGradientBoostingClassifier(
            learning_rate=self.learning_rate,
            max_iter=self.max_iter,
            max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf,
            l2_regularization=self.l2_regularization,
            random_state=self.random_state,
        )

    def _logreg(self, cv):  # noqa: ANN001, ANN202
        return make_pipeline(
            SimpleImputer(strategy="median", add_indicator=True),
            StandardScaler(),
            LogisticRegressionCV(Cs=10, cv=cv, scoring="neg_log_loss", max_iter=2000),
        )

    def _folds(self, X: pd.DataFrame, n: int) -> list:
        """Folds grouped by presentation (by registration when there is one unit)."""
        if "unit" in X and X["unit"].nunique() >= 2:
            groups = X["unit"].to_numpy()
        else:
            groups = X["staff_id"].to_numpy() if "staff_id" in X else np.arange(n)
        k = int(min(self.inner_folds, len(pd.unique(groups))))
        return list(GroupKFold(n_splits=max(k, 2)).split(np.zeros(n), None, groups))

    def fit(self, X: pd.DataFrame, y: np.ndarray) -> OuladRisk:
        if self.kind not in ("gbm", "logreg", "blend"):
            raise ValueError(f"OuladRisk kind must be gbm, logreg or blend, not {self.kind!r}")
        if self.calibration not in ("sigmoid", "none"):
            raise ValueError(
                f"OuladRisk calibration must be sigmoid or none, not {self.calibration!r}"
            )
        with threadpool_limits(self.n_threads, user_api="openmp"), warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # LogisticRegressionCV attributes
            return self._fit(X, np.asarray(y).astype(int))

    def _fit(self, X: pd.DataFrame, y: np.ndarray) -> OuladRisk:
        self.classes_ = np.array([0, 1])
        if self.kind == "blend":
            params = self.get_params()
            self.parts_ = [
                OuladRisk(**{**params, "kind": "gbm"}).fit(X, y),
                OuladRisk(**{**params, "kind": "logreg"}).fit(X, y),
            ]
            self.model_ = self.parts_
            return self
        self.inputs_ = [f for f in FEATURES if f in X and X[f].notna().any()]
        Xm = self._matrix(X)
        folds = self._folds(X, len(Xm))
        if self.kind == "logreg":
            self.model_ = self._logreg(folds).fit(Xm, y)
            return self
        oof = np.zeros(len(Xm))
        for a, b in folds:
            oof[b] = self._trees().fit(Xm[a], y[a]).predict_proba(Xm[b])[:, 1]
        z = _logit(oof)
        self.scale_, self.shift_ = 1.0, 0.0
        if self.calibration == "sigmoid" and 0 < y.mean() < 1:
            platt = LogisticRegression(C=1e6).fit(z[:, None], y)
            self.scale_, self.shift_ = float(platt.coef_[0, 0]), float(platt.intercept_[0])
        zc = self.scale_ * z + self.shift_
        self.offsets_: dict[str, float] = {}
        if self.module_offsets and "module" in X:
            for module, idx in X.groupby("module").indices.items():
                d = _shift_to(zc[idx], y[idx].mean())
                self.offsets_[str(module)] = float(self.module_offsets * d)
        self.modules_ = sorted(X["module"].astype(str).unique()) if "module" in X else []
        self.base_rate_ = self._fit_base_rate(X, y, zc)
        self.oof_ = _expit(zc + self._offset(X))
        self.model_ = self._trees().fit(Xm, y)
        return self

    def _fit_base_rate(self, X: pd.DataFrame, y: np.ndarray, zc: np.ndarray):  # noqa: ANN202
        """Ridge from presentation aggregates to the shift each (presentation, day)
        needed; None when off or when training has fewer than three presentations."""
        cols = [c for c in BASE_RATE if c in X]
        if not self.new_module_base_rate or "unit" not in X or X["unit"].nunique() < 3:
            return None
        if not cols:
            return None
        keys = ["unit", "cutoff_day"] if "cutoff_day" in X else ["unit"]
        feats, need = [], []
        for _, idx in X.groupby(keys).indices.items():
            feats.append(X[cols].iloc[idx].astype(float).mean().to_numpy())
            need.append(_shift_to(zc[idx], y[idx].mean()))
        model = make_pipeline(
            SimpleImputer(strategy="median", keep_empty_features=True),
            StandardScaler(),
            Ridge(alpha=self.base_rate_alpha),
        )
        self.base_rate_inputs_ = cols
        return model.fit(np.asarray(feats), np.asarray(need))

    def _offset(self, X: pd.DataFrame) -> np.ndarray:
        out = np.zeros(len(X))
        if "module" not in X:
            return out
        module = X["module"].astype(str)
        offsets = getattr(self, "offsets_", None) or {}
        known = module.isin(getattr(self, "modules_", [])).to_numpy()
        if offsets:
            out = module.map(offsets).fillna(0.0).to_numpy(float, copy=True)
        base = getattr(self, "base_rate_", None)
        if base is not None and (~known).any():
            A = X.loc[~known, self.base_rate_inputs_].astype(float).to_numpy()
            out[~known] = self.new_module_base_rate * base.predict(A)
        return out

    def _matrix(self, X: pd.DataFrame) -> np.ndarray:
        return X[self.inputs_].astype(float).to_numpy()

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        if not hasattr(self, "model_"):
            raise NotFittedError("OuladRisk is not fitted: call fit(X, y) first")
        if self.kind == "blend":
            return np.mean([m.predict_proba(X) for m in self.parts_], axis=0)
        with threadpool_limits(self.n_threads, user_api="openmp"):
            p = self.model_.predict_proba(self._matrix(X))[:, 1]
        if self.kind == "gbm":
            p = _expit(self.scale_ * _logit(p) + self.shift_ + self._offset(X))
        return np.column_stack([1 - p, p])
