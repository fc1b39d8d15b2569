"""Issue 23, finding 5: a person with no scores read "风险管理掌握度 0.65" in their
reason — the population's prior shown as a measurement.  A skill-gap reason now quotes
a mastery only where the person's own scores give one, and otherwise says the skill is
not yet assessed (尚未评估, with the population's estimate named as such)."""

from __future__ import annotations

import pandas as pd
import pytest

from features.asof import tables_as_of
from models.registry import create

AS_OF = "2026-06-30"
MEASURED = r"掌握度 \d\.\d\d，低于要求"
PRIOR = r"尚未评估（总体估计 \d\.\d\d，要求 \d\.\d\d）"


def _gap_first():  # noqa: ANN202
    """skillgap without the foundation modules' head start: skill-gap reasons on top."""
    return create("skillgap", foundation_bonus=0.0)


@pytest.fixture(scope="module")
def reasons(small_tables: dict) -> tuple[pd.DataFrame, set[str]]:
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("LEARNMAP_LANG", raising=False)
        known = tables_as_of(small_tables, AS_OF)
        people = sorted(known["staff"]["staff_id"].astype(str))
        recs = _gap_first().fit(small_tables, AS_OF).recommend(people, k=10)
    scored = set(known["assessments"]["staff_id"].astype(str))
    return recs[recs["reason"].str.contains("岗位要求：")], scored


def test_nobody_without_scores_is_quoted_a_measured_mastery(reasons) -> None:  # noqa: ANN001
    gap, scored = reasons
    unscored = gap[~gap["staff_id"].isin(scored)]
    assert len(unscored), "the demo should have people without scores"
    assert unscored["reason"].str.contains(PRIOR).all(), unscored["reason"].head()
    assert not unscored["reason"].str.contains(MEASURED).any()


def test_measured_masteries_are_still_quoted(reasons) -> None:  # noqa: ANN001
    gap, scored = reasons
    measured = gap[gap["reason"].str.contains(MEASURED)]
    assert len(measured) and measured["staff_id"].isin(scored).all()
    # every gap reason is one of the two, never a bare number
    assert gap["reason"].str.contains(f"{MEASURED}|{PRIOR}").all()


def test_english_says_not_yet_assessed(small_tables: dict, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("LEARNMAP_LANG", "en")
    known = tables_as_of(small_tables, AS_OF)
    scored = set(known["assessments"]["staff_id"].astype(str))
    people = [s for s in sorted(known["staff"]["staff_id"].astype(str)) if s not in scored][:40]
    recs = _gap_first().fit(small_tables, AS_OF).recommend(people, k=10)
    gap = recs[recs["reason"].str.startswith("required for your role")]
    assert (
        len(gap)
        and gap["reason"].str.contains("not yet assessed (population estimate", regex=False).all()
    )
