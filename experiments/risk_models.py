"""Risk baselines for the backtest: ``rule`` and ``logreg`` (risk family,
``models.risk.base``: ``fit(tables, as_of, policy, y)`` / ``predict(tables, as_of,
staff_ids)``).

``rule``    the compliance status on ``as_of`` (met / on track / at risk / overdue),
            turned into a probability: the miss rate of that status among the labelled
            people (add-one smoothed).  Ranking = the rule; calibrated.
``logreg``  logistic regression (standardized, C=1 by default) on profile features
            (``features.profile``), the status columns, role indicators and the
            person's colleagues' mean progress (the others of the same organization in
            the cohort ``y`` names, labelled or not).

Both learn from labels (``learns_from_labels``), so the harness fits them on some
organizations and scores the others (``experiments.splits.group_folds``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Self

import numpy as np
import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from engine.policy import Policy
from engine.schema import ROLES
from features.asof import to_timestamp
from features.compliance import STATUSES, compliance
from features.profile import learner_profiles
from features.shared import shared, tables_key
from features.snapshot import snapshot
from models.contract import check_fitted
from models.risk.base import RiskEstimator, as_policy

Tables = dict[str, pd.DataFrame]

_DROP = ("staff_id", "org_id", "role", "employed", "policy", "deadline", "status")


def status_on(tables: Tables, as_of: pd.Timestamp, policy: Policy) -> pd.DataFrame:
    """Compliance on ``as_of`` of everyone in the tables, by staff id (shared per fold)."""
    key = ("risk-status", tables_key(tables), as_of, id(policy))
    return shared(  # type: ignore[return-value]
        key,
        (tables, policy),
        lambda: compliance(snapshot(tables, as_of), policy).set_index("staff_id"),
    )


def _person_features(tables: Tables, as_of: pd.Timestamp, policy: Policy) -> pd.DataFrame:
    """Per staff id: numeric profile, status and role features (shared per fold)."""
    key = ("risk-person-features", tables_key(tables), as_of, id(policy))
    return shared(key, (tables, policy), lambda: _make_person(tables, as_of, policy))  # type: ignore[return-value]


def _make_person(tables: Tables, as_of: pd.Timestamp, policy: Policy) -> pd.DataFrame:
    prof = learner_profiles(snapshot(tables, as_of)).set_index("staff_id")
    st = status_on(tables, as_of, policy).reindex(prof.index)
    x = pd.DataFrame(index=prof.index)
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
    x["_org"] = st["org_id"].astype(str).to_numpy()
    return x


def risk_features(
    tables: Tables, as_of: pd.Timestamp, policy: Policy, people: pd.Index
) -> pd.DataFrame:
    """Numeric features per person of ``people`` (rows in that order), as of ``as_of``;
    ``org_peer_ratio`` is the mean done ratio of the others of the same organization
    among ``people`` (the cohort)."""
    x = _person_features(tables, as_of, policy).reindex(people)
    org = x.pop("_org").to_numpy()
    ratio = x["status_ratio"].fillna(0.0).to_numpy()
    tot = pd.Series(ratio).groupby(org).transform("sum").to_numpy()
    cnt = pd.Series(ratio).groupby(org).transform("size").to_numpy()
    x["org_peer_ratio"] = np.where(cnt > 1, (tot - ratio) / np.maximum(cnt - 1, 1), np.nan)
    return x.reset_index(drop=True)


def _labelled(y: pd.Series | None, model: str) -> pd.Series:
    if y is None:
        raise ValueError(f"{model} learns from labels: fit(tables, as_of, policy, y=labels)")
    return y


def _answer(people: pd.Index, p: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"staff_id": people.to_numpy(dtype=object), "p_miss": p})


class RuleRisk(RiskEstimator):
    learns_from_labels: ClassVar[bool] = True

    def fit(
        self,
        tables: Tables,
        as_of,
        policy: Policy | str,
        y: pd.Series | None = None,  # noqa: ANN001
    ) -> Self:
        y = _labelled(y, "rule")
        policy, t = as_policy(policy), to_timestamp(as_of)
        known = y[y.to_numpy() >= 0]
        status = status_on(tables, t, policy)["status"].astype(str).reindex(known.index).to_numpy()
        lab = known.to_numpy()
        self.rate_ = {
            s: (lab[status == s].sum() + 1.0) / ((status == s).sum() + 2.0) for s in STATUSES
        }
        self.policy_ = policy
        return self

    def predict(
        self, tables: Tables, as_of, staff_ids: Sequence[str] | None = None
    ) -> pd.DataFrame:  # noqa: ANN001
        check_fitted(self, "call fit(tables, as_of, policy, y) first")
        st = status_on(tables, to_timestamp(as_of), self.policy_)
        people = asked(st, staff_ids, "rule")
        p = st["status"].astype(str).reindex(people).map(self.rate_).to_numpy(dtype=float)
        return _answer(people, p)


def asked(status: pd.DataFrame, staff_ids: Sequence[str] | None, model: str) -> pd.Index:
    """The people asked for (None: everyone employed who owes something), each known."""
    if staff_ids is None:
        owe = status["employed"].to_numpy(bool) & (status["required"].to_numpy(float) > 0)
        return pd.Index(status.index[owe], dtype=object)
    people = pd.Index([str(s) for s in staff_ids], dtype=object)
    missing = people[~people.isin(status.index)]
    if len(missing):
        raise ValueError(f"{model} has no p_miss for {missing[0]!r}: unknown to the tables")
    return people


class LogRegRisk(RiskEstimator):
    learns_from_labels: ClassVar[bool] = True

    def __init__(self, C: float = 1.0) -> None:  # noqa: N803 - scikit-learn's name
        self.C = C

    def fit(
        self,
        tables: Tables,
        as_of,
        policy: Policy | str,
        y: pd.Series | None = None,  # noqa: ANN001
    ) -> Self:
        y = _labelled(y, "logreg")
        policy, t = as_policy(policy), to_timestamp(as_of)
        cohort = pd.Index(y.index.astype(str), dtype=object)
        x = risk_features(tables, t, policy, cohort)
        train = y.to_numpy() >= 0
        lab = y.to_numpy()[train]
        if len(np.unique(lab)) < 2:
            raise ValueError("logreg: the training organizations have only one label value")
        self.pipe_ = make_pipeline(
            SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
            StandardScaler(),
            LogisticRegression(C=self.C, max_iter=2000),
        )
        self.pipe_.fit(x.to_numpy()[train], lab)
        self.cohort_ = cohort
        self.policy_ = policy
        return self

    def predict(
        self, tables: Tables, as_of, staff_ids: Sequence[str] | None = None
    ) -> pd.DataFrame:  # noqa: ANN001
        """Features of the fitted cohort (plus, for anyone outside it, their own row with
        the cohort as colleagues): a person's answer does not depend on who else is asked."""
        check_fitted(self, "call fit(tables, as_of, policy, y) first")
        t = to_timestamp(as_of)
        people = asked(status_on(tables, t, self.policy_), staff_ids, "logreg")
        x = risk_features(tables, t, self.policy_, self.cohort_)
        pos = self.cohort_.get_indexer(people)
        out = np.empty(len(people))
        if (pos >= 0).any():  # the whole cohort at once: the same arithmetic for any ask
            whole = self.pipe_.predict_proba(x.to_numpy())[:, 1]
            out[pos >= 0] = whole[pos[pos >= 0]]
        for j in np.flatnonzero(pos < 0):  # outside the cohort: the cohort as colleagues
            alone = risk_features(tables, t, self.policy_, self.cohort_.append(people[[j]]))
            out[j] = self.pipe_.predict_proba(alone.to_numpy()[-1:])[0, 1]
        return _answer(people, out)
