"""The contract suite catches a model that breaks a promise: each planted violation
below makes the matching mixin test fail, while the honest model passes it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _pytest.outcomes import Failed
from sklearn.base import clone

from engine.policy import load_policy
from models.recommend.popularity import Popularity
from models.risk.base import RiskEstimator, select
from tests.models.contract import ContractData, RecommenderContract, RiskContract
from tests.models.test_baselines import tiny

AS_OF = pd.Timestamp("2025-02-01")


class StatefulPopularity(Popularity):
    """Counts its calls on itself: writes state while recommending."""

    def _scores(self, batch):  # noqa: ANN001, ANN202
        self.calls_ = getattr(self, "calls_", 0) + 1
        return super()._scores(batch)


class PeekingPopularity(Popularity):
    """Ignores ``as_of``: learns from records dated after it too."""

    def fit(self, tables, as_of=None, policy=None, person_as_of=None):  # noqa: ANN001, ANN201
        return super().fit(tables, None, policy)


@pytest.fixture
def rec_data() -> ContractData:
    # B1 becomes the most popular module only after AS_OF
    parts = [("p", "A1", "2025-01-10"), ("q", "A1", "2025-01-12")]
    parts += [(f"late{i}", "B1", "2025-03-01") for i in range(4)]
    return ContractData(tiny(parts, staff=["p", "q", "r", "s"] + [f"late{i}" for i in range(4)]),
                        AS_OF, ["p", "q", "r", "s"])  # fmt: skip


def _fitted(contract: RecommenderContract | RiskContract, model, data: ContractData):  # noqa: ANN001, ANN202
    return contract.fit(clone(model), data)


def test_honest_recommender_passes(rec_data: ContractData) -> None:
    c = RecommenderContract()
    fitted = _fitted(c, Popularity(), rec_data)
    c.test_predicting_writes_no_state(fitted, rec_data)
    c.test_as_of_respected(Popularity(), fitted, rec_data)
    c.test_batch_equals_single(fitted, rec_data)


def test_catches_state_written_while_recommending(rec_data: ContractData) -> None:
    c = RecommenderContract()
    fitted = _fitted(c, StatefulPopularity(), rec_data)
    with pytest.raises(AssertionError, match="wrote state while predicting"):
        c.test_predicting_writes_no_state(fitted, rec_data)


def test_catches_a_model_that_ignores_as_of(rec_data: ContractData) -> None:
    c = RecommenderContract()
    fitted = _fitted(c, PeekingPopularity(), rec_data)
    with pytest.raises(AssertionError):
        c.test_as_of_respected(PeekingPopularity(), fitted, rec_data)


class _OpenShare(RiskEstimator):
    """p_miss = the share of the requirement still open (an honest risk model)."""

    def fit(self, tables, as_of, policy, y=None):  # noqa: ANN001, ANN201
        from features.compliance import compliance
        from features.snapshot import snapshot

        self.status_ = compliance(snapshot(tables, as_of), policy)
        return self

    def predict(self, tables, as_of, staff_ids=None):  # noqa: ANN001, ANN201
        from models.contract import check_fitted

        check_fitted(self)
        s = self.status_
        p = (s["remaining"] / s["required"].where(s["required"] > 0, 1)).clip(0, 1)
        return select(pd.DataFrame({"staff_id": s["staff_id"], "p_miss": p}), staff_ids, "x")


class BatchDependentRisk(_OpenShare):
    """Ranks people against the others asked with them: batch ≠ single."""

    def predict(self, tables, as_of, staff_ids=None):  # noqa: ANN001, ANN201
        out = super().predict(tables, as_of, staff_ids)
        return out.assign(p_miss=out["p_miss"].rank(pct=True).to_numpy())


class UncheckedRisk(_OpenShare):
    """Forgets ``check_fitted``: an AttributeError instead of a clear error."""

    def predict(self, tables, as_of, staff_ids=None):  # noqa: ANN001, ANN201
        s = self.status_
        return select(s[["staff_id"]].assign(p_miss=0.5), staff_ids, "x")


@pytest.fixture(scope="module")
def risk_data(small_tables: dict) -> ContractData:
    policy = load_policy("national-2025")
    staff = small_tables["staff"]
    as_of = pd.Timestamp("2026-06-30")
    known = staff[(staff["hired_on"] <= as_of) & staff["left_on"].isna()]["staff_id"]
    people = known.astype(str).tolist()[:8]
    return ContractData(small_tables, as_of, people, policy=policy)


def test_honest_risk_model_passes(risk_data: ContractData) -> None:
    c = RiskContract()
    fitted = _fitted(c, _OpenShare(), risk_data)
    c.test_batch_equals_single(fitted, risk_data)
    c.test_not_fitted_is_a_clear_error(_OpenShare(), risk_data)
    c.test_output_columns_and_probabilities(fitted, risk_data)


def test_catches_answers_that_depend_on_the_batch(risk_data: ContractData) -> None:
    c = RiskContract()
    fitted = _fitted(c, BatchDependentRisk(), risk_data)
    assert np.ptp(fitted.predict(risk_data.tables, risk_data.as_of, risk_data.people)["p_miss"]) > 0
    with pytest.raises(AssertionError):
        c.test_batch_equals_single(fitted, risk_data)


def test_catches_an_unclear_not_fitted_error(risk_data: ContractData) -> None:
    with pytest.raises((AttributeError, AssertionError, Failed)):
        RiskContract().test_not_fitted_is_a_clear_error(UncheckedRisk(), risk_data)
