"""Every registered model keeps its family's promises (``tests/models/contract.py``).

The classes below parametrize the contract mixins over the registry
(``models.registry.available``, after ``experiments`` registered the harness's models),
so a model registered later is checked without a line here.  The oracles read the
demo's future through ``tests.experiments.fakes.FutureTruth``.
"""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError as SklearnNotFitted

import experiments  # noqa: F401 - registers the peers, the oracles and the risk baselines
from engine.demo import DemoSpec, generate
from engine.errors import NotFittedError
from engine.policy import load_policy
from experiments.splits import risk_backtest
from models.registry import available, create
from models.risk.course import OuladRisk
from models.risk.estimator import StaffRisk
from tests.experiments.fakes import FutureTruth
from tests.models.contract import ContractData, RecommenderContract, RiskContract

AS_OF = pd.Timestamp("2026-06-30")

#: smaller settings for the slow models, so the suite stays quick (the promises checked
#: do not depend on them); any other registered model runs with its defaults
QUICK: dict[tuple[str, str], dict[str, object]] = {
    ("recommend", "hybrid"): {"max_train_people": 150, "n_candidates": 15},
    ("recommend", "implicit-als"): {"factors": 8, "iterations": 3},
    ("recommend", "implicit-bpr"): {"factors": 8, "iterations": 10},
    ("risk", "risk"): {"max_iter": 30, "max_snapshots": 3},
}


@pytest.fixture(scope="module")
def world() -> dict:
    """A 15-organization national demo (about a hundred staff)."""
    return generate(DemoSpec(orgs=15, seed=5))


def _estimator(name: str, task: str, tables: dict) -> object:
    est = create(name, task, **QUICK.get((task, name), {}))
    if "truth" in est.get_params():  # the oracles read the generator's truth
        est.set_params(truth=FutureTruth(tables))
    return est


@pytest.mark.parametrize("name", available("recommend"))
class TestRecommenders(RecommenderContract):
    @pytest.fixture(scope="class")
    @classmethod
    def data(cls, world: dict) -> ContractData:
        staff = world["staff"]
        known = staff[staff["hired_on"] <= AS_OF]["staff_id"].astype(str)
        return ContractData(world, AS_OF, known.iloc[:: max(len(known) // 6, 1)].tolist()[:6])

    @pytest.fixture
    def estimator(self, name: str, data: ContractData) -> object:
        return _estimator(name, "recommend", data.tables)


@pytest.mark.parametrize("name", available("risk"))
class TestRiskModels(RiskContract):
    @pytest.fixture(scope="class")
    @classmethod
    def data(cls, world: dict) -> ContractData:
        policy = load_policy("national-2025")
        labels = risk_backtest(world, AS_OF, policy).labels
        orgs = sorted(labels["org_id"].unique())
        held = labels["org_id"].isin(orgs[::3]).to_numpy()  # a third of the orgs unlabelled
        y = pd.Series(labels["label"].where(~held, -1).to_numpy(), index=labels["staff_id"])
        people = labels.loc[held, "staff_id"].astype(str).tolist()[:6]
        return ContractData(world, AS_OF, people, policy=policy, y=y)

    @pytest.fixture
    def estimator(self, name: str, data: ContractData) -> object:
        return _estimator(name, "risk", data.tables)


def test_staff_risk_is_a_scikit_learn_estimator() -> None:
    model = clone(StaffRisk(max_iter=7))
    assert model.get_params()["max_iter"] == 7
    assert clone(model).set_params(random_state=3).random_state == 3


def test_course_risk_is_a_scikit_learn_classifier() -> None:
    model = clone(OuladRisk()).set_params(random_state=2)
    assert model.random_state == 2
    with pytest.raises(NotFittedError, match="OuladRisk is not fitted"):
        model.predict_proba(pd.DataFrame({"x": [1.0]}))
    with pytest.raises(SklearnNotFitted):
        model.predict_proba(pd.DataFrame({"x": [1.0]}))
