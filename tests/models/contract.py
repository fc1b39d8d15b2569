"""Contract test mixins: what every registered model promises (``models.contract``).

A test class inherits a mixin and provides two fixtures:

``estimator``  a new, unfitted model (the class parametrizes it over the registry);
``data``       a ``ContractData``: tables, the as-of date, the policy, people to ask
               about, and (risk models that learn from labels) the labels ``y``.

The mixin's tests then check, for every model: clear ``NotFittedError`` before
``fit``; ``clone`` and ``set_params``; the output columns; batch = single; unknown
people; ``as_of`` respected (records dated later change nothing); a joblib round
trip gives the same answers; and predicting writes nothing on the model.  Modelled
on LensKit's ``lenskit/testing/_components.py``.  ``tests/models/test_contract.py``
runs them over the registry; a new model gets them by registering.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError as SklearnNotFitted

from engine.errors import NotFittedError
from models.recommend.ranking import RECOMMEND_COLUMNS
from models.risk.base import RISK_COLUMNS

UNKNOWN = "NOBODY-0000"


@dataclass
class ContractData:
    tables: dict[str, pd.DataFrame]
    as_of: pd.Timestamp
    people: list[str]
    policy: object = None
    y: pd.Series | None = None
    cache: dict = field(default_factory=dict)

    def future_changed(self) -> dict[str, pd.DataFrame]:
        """The same tables with every record dated after ``as_of`` removed: what a model
        fitted as of ``as_of`` learns must not change (sessions stay: a schedule)."""
        t = self.as_of.to_datetime64()
        out = dict(self.tables)
        for name, col in (
            ("staff", "hired_on"),
            ("participations", "enrolled_on"),
            ("assessments", "taken_on"),
            ("outcomes", "measured_on"),
        ):
            frame = self.tables[name]
            out[name] = frame[frame[col].to_numpy() <= t].reset_index(drop=True)
        return out


def _state(model: object) -> str:
    """A hash of everything the model holds (``joblib.hash`` of its ``__dict__``)."""
    return joblib.hash(vars(model))


def _round_trip(model: object) -> object:
    buf = io.BytesIO()
    joblib.dump(model, buf)
    buf.seek(0)
    return joblib.load(buf)


class EstimatorContract:
    """What every estimator promises, whatever its family."""

    def test_clone_and_set_params(self, estimator: object) -> None:
        params = estimator.get_params()
        copy = clone(estimator)
        assert type(copy) is type(estimator) and copy is not estimator
        assert copy.get_params().keys() == params.keys()
        assert copy.set_params(**params) is copy

    def test_not_fitted_is_a_clear_error(self, estimator: object, data: ContractData) -> None:
        with pytest.raises(NotFittedError, match=rf"{type(estimator).__name__} is not fitted.*fit"):
            self.ask(clone(estimator), data, data.people[:2])
        with pytest.raises(SklearnNotFitted):  # scikit-learn's error too
            self.ask(clone(estimator), data, data.people[:2])

    def test_batch_equals_single(self, fitted: object, data: ContractData) -> None:
        people = data.people[:4]
        batch = self.ask(fitted, data, people)
        single = pd.concat([self.ask(fitted, data, [p]) for p in people], ignore_index=True)
        pd.testing.assert_frame_equal(batch, single)

    def test_predicting_writes_no_state(self, fitted: object, data: ContractData) -> None:
        before = _state(fitted)
        self.ask(fitted, data, data.people[:3])
        self.ask(fitted, data, data.people[3:5])
        assert _state(fitted) == before, f"{type(fitted).__name__} wrote state while predicting"

    def test_joblib_round_trip_gives_the_same_answers(
        self, fitted: object, data: ContractData
    ) -> None:
        again = _round_trip(fitted)
        pd.testing.assert_frame_equal(
            self.ask(again, data, data.people), self.ask(fitted, data, data.people)
        )

    def test_as_of_respected(
        self, estimator: object, fitted: object, data: ContractData
    ) -> None:
        """Records dated after as_of (here: removed) change nothing."""
        cut = self.fit(clone(estimator), data, data.future_changed())
        pd.testing.assert_frame_equal(
            self.ask(cut, data, data.people, data.future_changed()),
            self.ask(fitted, data, data.people),
        )

    # -- per family ---------------------------------------------------------------------
    def fit(self, model: object, data: ContractData, tables: dict | None = None) -> object:
        raise NotImplementedError

    def ask(
        self, model: object, data: ContractData, people: list[str], tables: dict | None = None
    ) -> pd.DataFrame:
        raise NotImplementedError


class RecommenderContract(EstimatorContract):
    """``fit(tables, as_of)`` → ``recommend(staff_ids, k)`` (``models.recommend.base``)."""

    k = 5

    @pytest.fixture
    def fitted(self, estimator: object, data: ContractData) -> object:
        key = repr(estimator)
        if key not in data.cache:
            data.cache[key] = self.fit(clone(estimator), data)
        return data.cache[key]

    def fit(self, model: object, data: ContractData, tables: dict | None = None) -> object:
        return model.fit(data.tables if tables is None else tables, data.as_of)

    def ask(
        self, model: object, data: ContractData, people: list[str], tables: dict | None = None
    ) -> pd.DataFrame:
        return model.recommend(people, k=self.k)

    def test_output_columns_ranks_and_reasons(self, fitted: object, data: ContractData) -> None:
        rec = self.ask(fitted, data, data.people)
        assert list(rec.columns) == RECOMMEND_COLUMNS
        assert len(rec) and set(rec["staff_id"]) <= set(data.people)
        for _, g in rec.groupby("staff_id"):
            assert g["rank"].tolist() == list(range(1, len(g) + 1)) and len(g) <= self.k
            assert g["score"].is_monotonic_decreasing and np.isfinite(g["score"]).all()
            assert not g["module_id"].duplicated().any()
        assert rec["reason"].map(lambda r: isinstance(r, str) and len(r) > 0).all()

    def test_unknown_person_gets_the_empty_history_answer(
        self, fitted: object, data: ContractData
    ) -> None:
        a = self.ask(fitted, data, [UNKNOWN])
        b = self.ask(fitted, data, [UNKNOWN + "-2"])
        assert len(a), "an unknown person gets recommendations (cold start)"
        pd.testing.assert_frame_equal(a.drop(columns="staff_id"), b.drop(columns="staff_id"))


class RiskContract(EstimatorContract):
    """``fit(tables, as_of, policy, y)`` → ``predict(tables, as_of, staff_ids)``
    (``models.risk.base``)."""

    @pytest.fixture
    def fitted(self, estimator: object, data: ContractData) -> object:
        key = repr(estimator)
        if key not in data.cache:
            data.cache[key] = self.fit(clone(estimator), data)
        return data.cache[key]

    def fit(self, model: object, data: ContractData, tables: dict | None = None) -> object:
        y = data.y if model.learns_from_labels else None
        return model.fit(data.tables if tables is None else tables, data.as_of, data.policy, y=y)

    def ask(
        self, model: object, data: ContractData, people: list[str], tables: dict | None = None
    ) -> pd.DataFrame:
        return model.predict(data.tables if tables is None else tables, data.as_of, people)

    def test_output_columns_and_probabilities(self, fitted: object, data: ContractData) -> None:
        pred = self.ask(fitted, data, data.people)
        assert set(RISK_COLUMNS) <= set(pred.columns)
        assert pred["staff_id"].tolist() == data.people  # in the order asked
        p = pred["p_miss"].to_numpy(dtype=float)
        assert np.isfinite(p).all() and ((p >= 0) & (p <= 1)).all()

    def test_unknown_person_is_an_error_naming_them(
        self, fitted: object, data: ContractData
    ) -> None:
        with pytest.raises(ValueError, match=UNKNOWN):
            self.ask(fitted, data, [data.people[0], UNKNOWN])
