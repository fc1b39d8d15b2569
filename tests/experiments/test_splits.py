"""The split guarantee: nothing dated on or after the cut reaches training."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.policy import load_policy
from experiments.splits import group_folds, leave_last, risk_backtest, temporal, validation_fold
from features.compliance import compliance
from features.snapshot import snapshot


def _dates(tables: dict[str, pd.DataFrame]) -> list[tuple[str, str, pd.Series]]:
    return [
        (name, col, frame[col])
        for name, frame in tables.items()
        for col in frame.columns
        if pd.api.types.is_datetime64_any_dtype(frame[col])
    ]


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(day=st.integers(60, 1000), horizon=st.integers(7, 120))
def test_no_record_dated_on_or_after_the_cut_reaches_training(
    small_tables: dict[str, pd.DataFrame], day: int, horizon: int
) -> None:
    cut = pd.Timestamp("2025-01-01") + pd.Timedelta(days=day)
    try:
        fold = temporal(small_tables, cut, horizon)
    except ValueError as exc:
        assert "no completions" in str(exc)
        return
    checked = 0
    for name, col, values in _dates(fold.train):
        late = values.dropna() >= cut
        assert not late.any(), f"{name}.{col} has {int(late.sum())} values on/after {cut.date()}"
        checked += 1
    assert checked >= 8  # every dated column of the canonical tables was looked at
    # and the test set is exactly the new completions inside the horizon
    done = small_tables["participations"]
    done = done[done["status"] == "completed"]
    inside = done[
        (done["completed_on"] >= cut) & (done["completed_on"] < cut + pd.Timedelta(days=horizon))
    ]
    before = set(
        zip(
            done.loc[done["completed_on"] < cut, "staff_id"],
            done.loc[done["completed_on"] < cut, "module_id"],
            strict=True,
        )
    )
    hired = set(small_tables["staff"].loc[small_tables["staff"]["hired_on"] < cut, "staff_id"])
    expected = {
        (s, m)
        for s, m in zip(inside["staff_id"], inside["module_id"], strict=True)
        if s in hired and (s, m) not in before
    }
    assert set(zip(fold.test["staff_id"], fold.test["module_id"], strict=True)) == expected


def test_completion_after_the_cut_of_an_earlier_enrolment_is_hidden(
    small_tables: dict[str, pd.DataFrame],
) -> None:
    cut = pd.Timestamp("2026-03-01")
    p = small_tables["participations"]
    straddle = p[(p["enrolled_on"] < cut) & (p["completed_on"] >= cut)]
    assert len(straddle), "the demo should have enrolments that complete after the cut"
    fold = temporal(small_tables, cut, 60)
    tp = fold.train["participations"].set_index("participation_id")
    seen = tp.loc[straddle["participation_id"]]
    assert (seen["status"] == "enrolled").all() and seen["completed_on"].isna().all()
    assert (seen["hours"] == 0).all()


def test_validation_fold_lies_wholly_before_the_test_cut(small_tables: dict) -> None:
    fold = temporal(small_tables, "2026-06-01", 90)
    val = validation_fold(fold, 90)
    assert val.as_of == pd.Timestamp("2026-03-02") and val.name == "validation"
    for _, _, values in _dates(val.train):
        assert not (values.dropna() >= pd.Timestamp("2026-03-03")).any()
    # validation's test items were completed before the test cut
    assert set(zip(val.test.staff_id, val.test.module_id, strict=True)) <= set(
        zip(
            fold.train["participations"].staff_id,
            fold.train["participations"].module_id,
            strict=True,
        )
    )


def test_leave_last_holds_out_each_person_s_last_date(small_tables: dict) -> None:
    fold = leave_last(small_tables)
    done = small_tables["participations"]
    done = done[done["status"] == "completed"]
    last = done.groupby("staff_id")["completed_on"].max()
    n_dates = done.groupby("staff_id")["completed_on"].nunique()
    assert set(fold.test["staff_id"]) == set(n_dates.index[n_dates >= 2])
    for name, col in (
        ("participations", "enrolled_on"),
        ("participations", "completed_on"),
        ("assessments", "taken_on"),
        ("outcomes", "measured_on"),
    ):
        f = fold.train[name]
        cut = f["staff_id"].map(last.where(n_dates >= 2))
        assert not (f[col] >= cut).any(), f"{name}.{col} leaks a held-out date"
    assert (fold.person_as_of == last[n_dates >= 2] - pd.Timedelta(days=1)).all()


def test_risk_labels_come_from_after_as_of(small_tables: dict) -> None:
    policy = load_policy("national-2025")
    fold = risk_backtest(small_tables, "2026-06-30", policy)
    for name, col, values in _dates(fold.train):
        assert not (values.dropna() > pd.Timestamp("2026-06-30")).any(), f"{name}.{col}"
    # the label is the status at the deadline computed from all the data
    end = compliance(snapshot(small_tables, "2027-12-31"), policy).set_index("staff_id")
    got = fold.labels.set_index("staff_id")["label"]
    assert (got == (end.loc[got.index, "status"].astype(str) != "met").astype(int)).all()
    assert (fold.status["status"].astype(str) != "met").all()  # already met: not scored
    assert 0 < got.mean() < 1


def test_risk_split_refuses_data_that_end_before_the_deadline(small_tables: dict) -> None:
    short = dict(small_tables)
    p = small_tables["participations"]
    short["participations"] = p[p["enrolled_on"] < "2026-12-31"]
    with pytest.raises(ValueError, match="labels are unknown"):
        risk_backtest(short, "2026-06-30", load_policy("national-2025"))


@given(
    st.lists(st.sampled_from([f"O{i}" for i in range(12)]), min_size=10, max_size=80),
    st.integers(0, 99),
)
def test_group_folds_never_split_an_organization(groups: list[str], seed: int) -> None:
    g = np.array(groups)
    if len(set(groups)) < 3:
        with pytest.raises(ValueError, match="groups"):
            group_folds(g, 3, seed)
        return
    f = group_folds(g, 3, seed)
    for org in set(groups):
        assert len(set(f[g == org])) == 1
    assert (group_folds(g, 3, seed) == f).all()
