"""As of a date, only what was known that day counts: a departure dated later is not
known yet (issue 6).  A person who leaves next month is judged today exactly as one
who stays; once the departure has happened, the requirement is pro-rated."""

from __future__ import annotations

import pandas as pd
import pytest

from engine.policy import load_policy
from features.compliance import compliance
from features.snapshot import snapshot
from tests.features.world import world

POLICIES = ("national-2025", "cadre-hours", "credits")


def _status(tables: dict[str, pd.DataFrame], as_of: str, policy: str) -> pd.DataFrame:
    return compliance(snapshot(tables, as_of), load_policy(policy)).set_index("staff_id")


def _pair(left_on: str) -> dict[str, pd.DataFrame]:
    """Two heads with the same record; GOES has a departure date, STAY none."""
    staff = [
        ("STAY", "O2", "head", "2020-01-01", ""),
        ("GOES", "O2", "head", "2020-01-01", left_on),
    ]
    parts = [
        (s, m, d, "completed")
        for s in ("STAY", "GOES")
        for m, d in (("ON2", "2025-03-01"), ("OFF5D", "2025-09-10"), ("ON6", "2026-01-20"))
    ]
    scores = [(s, "ON6", "2026-01-20", "85") for s in ("STAY", "GOES")]
    return world(staff, parts, scores)


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("as_of", ["2025-06-30", "2025-12-31", "2026-02-15"])
def test_a_departure_after_the_date_changes_nothing(policy: str, as_of: str) -> None:
    st = _status(_pair("2026-03-31"), as_of, policy)
    stay, goes = st.loc["STAY"], st.loc["GOES"]
    pd.testing.assert_series_equal(stay, goes, check_names=False)
    assert bool(goes["employed"]) and goes["employed_fraction"] == 1


def test_a_head_leaving_next_month_still_owes_the_full_quota() -> None:
    # as of 2025-12-31 a head owes 3 person-times by 2027-12-31; one is due by now
    st = _status(_pair("2026-01-31"), "2025-12-31", "national-2025")
    assert st.loc["GOES", "required"] == 3 and st.loc["GOES", "remaining"] == 1
    assert st.loc["GOES", "deadline"] == pd.Timestamp("2027-12-31")
    # hours: a leader owes the whole 550-hour cycle, not the 13 months left to him
    hours = _status(_pair("2026-01-31"), "2025-12-31", "cadre-hours")
    assert hours.loc["GOES", "required"] == hours.loc["STAY", "required"] == 550


def test_once_gone_the_requirement_is_pro_rated_to_the_time_employed() -> None:
    st = _status(_pair("2026-01-31"), "2026-03-01", "national-2025")
    goes = st.loc["GOES"]
    # employed 396 of 1,095 days: ceil(3 · 0.36) = 2 owed
    assert not goes["employed"] and goes["employed_fraction"] == pytest.approx(396 / 1095, abs=1e-4)
    assert goes["required"] == 2 and st.loc["STAY", "required"] == 3
