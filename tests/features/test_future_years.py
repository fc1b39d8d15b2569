"""Issue 23: a year that has not begun on the as-of date is not reported — not as a
"0 hours" column of the status file or the person profile (it would read as a year
with nothing done), nor in the programme report's volume (tests/features/test_cli.py)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from engine.policy import load_policy
from features.compliance import compliance
from features.profile import learner_profiles
from features.snapshot import snapshot


def _years(frame: pd.DataFrame, prefix: str) -> set[int]:
    return {int(m.group(1)) for c in frame.columns if (m := re.fullmatch(rf"{prefix}(\d{{4}})", c))}


@pytest.mark.parametrize("as_of", ["2023-06-30", "2025-01-01", "2026-06-30", "2027-12-31"])
def test_hours_status_reports_only_years_begun(small_tables: dict, as_of: str) -> None:
    policy = load_policy("cadre-hours")  # 2023-2027
    st = compliance(snapshot(small_tables, as_of), policy)
    year = pd.Timestamp(as_of).year
    assert _years(st, "hours_") == {y for y in policy.years if y <= year}
    assert _years(st, "qualified_") == {y for y in policy.years if y < year}  # years ended


@pytest.mark.parametrize("as_of", ["2025-03-31", "2026-06-30"])
def test_profile_reports_only_years_begun(small_tables: dict, as_of: str) -> None:
    prof = learner_profiles(snapshot(small_tables, as_of))
    year = pd.Timestamp(as_of).year
    assert _years(prof, "hours_") == {y for y in range(2025, year + 1)}  # the 2025–2027 plan
    # the hours of the years shown still add up to the window's
    shown = prof[[f"hours_{y}" for y in range(2025, year + 1)]].sum(axis=1)
    assert (shown.round(2) == prof["hours_window"].round(2)).all()
