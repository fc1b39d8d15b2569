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

#: A module's announced availability is the catalogue's schedule, not an outcome (as
#: sessions are): the recommender may see it ahead, so it is not a leak.
SCHEDULE = {("modules", "offered_from"), ("modules", "offered_to")}


def _dates(tables: dict[str, pd.DataFrame]) -> list[tuple[str, str, pd.Series]]:
    return [
        (name, col, frame[col])
        for name, frame in tables.items()
        for col in frame.columns
        if pd.api.types.is_datetime64_any_dtype(frame[col]) and (name, col) not in SCHEDULE
    ]


def _held_at(p: pd.DataFrame, cut: pd.Timestamp) -> set[tuple[str, str]]:
    """(person, module) enrolled in or completed at the cut (not dropped / no-show)."""
    before = p[(p["enrolled_on"] < cut) & p["status"].isin(["enrolled", "completed"])]
    return set(zip(before["staff_id"], before["module_id"], strict=True))


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(day=st.integers(60, 1000), horizon=st.integers(7, 120), enrolled=st.booleans())
def test_no_outcome_dated_on_or_after_the_cut_reaches_training(
    small_tables: dict[str, pd.DataFrame], day: int, horizon: int, enrolled: bool
) -> None:
    cut = pd.Timestamp("2025-01-01") + pd.Timedelta(days=day)
    truth = "enrolled" if enrolled else "completed"
    try:
        fold = temporal(small_tables, cut, horizon, truth=truth)
    except ValueError as exc:
        assert "no completions" in str(exc) or "no enrolments" in str(exc)
        return
    checked = 0
    for name, col, values in _dates(fold.train):
        if name == "sessions":  # the announced schedule: every session, future ones too
            assert fold.train["sessions"] is small_tables["sessions"]
            continue
        late = values.dropna() >= cut
        assert not late.any(), f"{name}.{col} has {int(late.sum())} values on/after {cut.date()}"
        checked += 1
    assert checked >= 6  # every dated column of the canonical tables was looked at
    # the test set: the truth events inside the horizon, of modules new to the person
    p = small_tables["participations"]
    end = cut + pd.Timedelta(days=horizon)
    if enrolled:
        events = p[p["status"] != "no_show"]
        inside = events[(events["enrolled_on"] >= cut) & (events["enrolled_on"] < end)]
    else:
        events = p[p["status"] == "completed"]
        inside = events[(events["completed_on"] >= cut) & (events["completed_on"] < end)]
    staff = small_tables["staff"]
    on_staff = set(staff.loc[staff["hired_on"] < end, "staff_id"])
    held = _held_at(p, cut)
    expected = {
        (s, m)
        for s, m in zip(inside["staff_id"], inside["module_id"], strict=True)
        if s in on_staff and (s, m) not in held
    }
    got = set(zip(fold.test["staff_id"], fold.test["module_id"], strict=True))
    assert got == expected
    # slices: warm = a participation before the cut; the two slices cover everyone once
    had = set(p.loc[p["enrolled_on"] < cut, "staff_id"])
    assert set(fold.slice_people("warm")) == {s for s, _ in got if s in had}
    assert set(fold.slice_people("cold")) == {s for s, _ in got if s not in had}
    assert sorted(fold.slice_people("warm") + fold.slice_people("cold")) == fold.people


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
    for name, _, values in _dates(val.train):
        if name != "sessions":  # the schedule (see the temporal split)
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
    fold = leave_last(small_tables, truth="enrolled")
    p = small_tables["participations"]
    chosen = p[p["status"] != "no_show"]
    last = chosen.groupby("staff_id")["enrolled_on"].max()
    n_dates = chosen.groupby("staff_id")["enrolled_on"].nunique()
    cut = last.where(n_dates >= 2).dropna()
    on_last = chosen[chosen["enrolled_on"] == chosen["staff_id"].map(cut)]
    held = {
        (s, m)
        for s, m, e, st in zip(p.staff_id, p.module_id, p.enrolled_on, p.status, strict=True)
        if s in cut.index and e < cut[s] and st in ("enrolled", "completed")
    }
    expected = set(zip(on_last.staff_id, on_last.module_id, strict=True)) - held
    assert set(zip(fold.test.staff_id, fold.test.module_id, strict=True)) == expected
    for name, col in (
        ("participations", "enrolled_on"),
        ("participations", "completed_on"),
        ("assessments", "taken_on"),
        ("outcomes", "measured_on"),
    ):
        f = fold.train[name]
        assert not (f[col] >= f["staff_id"].map(cut)).any(), f"{name}.{col} leaks a held-out date"
    # an enrolment before the person's date completed on/after it is still open then
    tp = fold.train["participations"]
    straddle = p[
        (p["enrolled_on"] < p["staff_id"].map(cut)) & (p["completed_on"] >= p["staff_id"].map(cut))
    ]
    assert len(straddle)
    seen = tp.set_index("participation_id").loc[straddle["participation_id"]]
    assert (seen["status"] == "enrolled").all() and (seen["hours"] == 0).all()
    assert (fold.person_as_of == cut.reindex(fold.person_as_of.index) - pd.Timedelta(days=1)).all()


def test_leave_last_on_completions_never_scores_a_module_enrolled_before(
    small_tables: dict,
) -> None:
    """On data where every completion follows an earlier enrolment, completions on the
    last date are all known enrolments at the cut: nothing is left to score."""
    p = small_tables["participations"]
    done = p[p["status"] == "completed"]
    assert (done["enrolled_on"] < done["completed_on"]).all()
    with pytest.raises(ValueError, match="no person has completed events on two different"):
        leave_last(small_tables)


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
