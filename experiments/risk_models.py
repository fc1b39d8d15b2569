"""Risk baselines for the backtest, and the adapter for registered ``StaffRisk`` models.

``rule``    the compliance status on ``as_of`` (met / on track / at risk / overdue),
            turned into a probability: the miss rate of that status among the training
            organizations' people (add-one smoothed).  Ranking = the rule; calibrated.
``logreg``  logistic regression (standardized, C=1 by default) on profile features
            (``features.profile``), the status columns, role indicators and the
            person's organization's mean progress (colleagues excluding the person).

Both learn from labels, so the harness fits them on some organizations and scores the
others (``experiments.splits.group_folds``).  ``StaffRiskAdapter`` runs any model with
the ``StaffRisk`` interface (``fit(tables, as_of, policy)``, ``predict(tables, as_of)``
→ ``p_miss``), which learns without our labels, on the as-of tables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from engine.schema import ROLES
from experiments.splits import RiskFold
from features.compliance import STATUSES
from features.profile import learner_profiles
from features.snapshot import snapshot


class RuleRisk:
    needs_labels = True

    def fit_fold(self, fold: RiskFold, train: np.ndarray) -> RuleRisk:
        status = fold.status["status"].astype(str).to_numpy()[train]
        y = fold.labels["label"].to_numpy()[train]
        self.rate_ = {
            s: (y[status == s].sum() + 1.0) / ((status == s).sum() + 2.0) for s in STATUSES
        }
        return self

    def predict_fold(self, fold: RiskFold) -> np.ndarray:
        return fold.status["status"].astype(str).map(self.rate_).to_numpy(dtype=float)


_DROP = ("staff_id", "org_id", "role", "employed", "policy", "deadline", "status")


def risk_features(fold: RiskFold) -> pd.DataFrame:
    """Numeric features per scored person (rows in ``fold.labels`` order), as of as_of."""
    cached = getattr(fold, "_features", None)
    if cached is not None:
        return cached
    prof = learner_profiles(snapshot(fold.train, fold.as_of)).set_index("staff_id")
    ids = fold.labels["staff_id"]
    prof = prof.reindex(ids)
    st = fold.status.set_index("staff_id").reindex(ids)
    x = pd.DataFrame(index=ids)
    for c in prof.columns:
        if c not in _DROP and prof[c].dtype != object and not isinstance(prof[c].dtype, str):
            try:
                x[c] = pd.to_numeric(prof[c]).astype(float).to_numpy()
            except (TypeError, ValueError):
                continue
    for c in ("required", "done", "remaining", "employed_fraction"):
        x[f"status_{c}"] = pd.to_numeric(st[c]).astype(float).to_numpy()
    x["status_ratio"] = x["status_done"] / x["status_required"].where(x["status_required"] > 0)
    for s in STATUSES:
        x[f"is_{s}"] = (st["status"].astype(str) == s).astype(float).to_numpy()
    roles = st["role"].astype(str).str.split("|")
    for r in ROLES:
        x[f"role_{r}"] = roles.map(lambda rs, r=r: r in rs).astype(float).to_numpy()
    # colleagues' progress: mean done ratio of the others in the same organization
    org = st["org_id"].astype(str).to_numpy()
    ratio = x["status_ratio"].fillna(0.0).to_numpy()
    tot = pd.Series(ratio).groupby(org).transform("sum").to_numpy()
    cnt = pd.Series(ratio).groupby(org).transform("size").to_numpy()
    x["org_peer_ratio"] = np.where(cnt > 1, (tot - ratio) / np.maximum(cnt - 1, 1), np.nan)
    fold._features = x.reset_index(drop=True)
    return fold._features


class LogRegRisk:
    needs_labels = True

    def __init__(self, C: float = 1.0) -> None:  # noqa: N803 - scikit-learn's name
        self.C = C

    def fit_fold(self, fold: RiskFold, train: np.ndarray) -> LogRegRisk:
        x = risk_features(fold)
        y = fold.labels["label"].to_numpy()[train]
        self.pipe_ = make_pipeline(
            SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
            StandardScaler(),
            LogisticRegression(C=self.C, max_iter=2000),
        )
        if len(np.unique(y)) < 2:
            raise ValueError("logreg: the training organizations have only one label value")
        self.pipe_.fit(x.to_numpy()[train], y)
        return self

    def predict_fold(self, fold: RiskFold) -> np.ndarray:
        return self.pipe_.predict_proba(risk_features(fold).to_numpy())[:, 1]


class StaffRiskAdapter:
    """Scores a ``StaffRisk``-style estimator (learns without our labels)."""

    needs_labels = False

    def __init__(self, model: object) -> None:
        self.model = model

    def predict_fold(self, fold: RiskFold) -> np.ndarray:
        self.model.fit(fold.train, fold.as_of, fold.policy)
        pred = self.model.predict(fold.train, fold.as_of).set_index("staff_id")
        p = pred["p_miss"].reindex(fold.labels["staff_id"])
        if p.isna().any():
            missing = fold.labels["staff_id"][p.isna().to_numpy()].iloc[0]
            raise ValueError(f"{type(self.model).__name__} gave no p_miss for {missing!r}")
        return p.to_numpy(dtype=float)
