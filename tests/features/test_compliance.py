"""Every status rule at its boundaries, pro-rating, multiple roles, the ministry-managed
party-worker rule, what counts as a person-time, hours and credits with carry-over."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from engine.policy import load_policy
from features.compliance import compliance
from features.snapshot import snapshot
from tests.features.world import world

PLAN = load_policy("national-2025")


def status_of(tables, as_of: str, policy=PLAN) -> pd.DataFrame:  # noqa: ANN001
    return compliance(snapshot(tables, as_of), policy).set_index("staff_id")


def head_with(n_done: int) -> dict[str, pd.DataFrame]:
    parts = [("H", "ON2", f"2025-0{i + 1}-15", "completed") for i in range(n_done)]
    return world([("H", "O2", "head", "2020-01-01", "")], parts)


@pytest.mark.parametrize(
    ("as_of", "done", "expected"),
    [
        ("2027-12-30", 2, "at_risk"),  # the day before the deadline
        ("2027-12-31", 2, "at_risk"),  # the day of the deadline is still in time
        ("2028-01-01", 2, "overdue"),  # the day after
        ("2027-12-31", 3, "met"),
        ("2028-06-30", 3, "met"),
    ],
)
def test_deadline_boundaries(as_of: str, done: int, expected: str) -> None:
    row = status_of(head_with(done), as_of).loc["H"]
    assert row["status"] == expected
    assert (row["required"], row["done"], row["remaining"]) == (3, done, 3 - done)
    assert row["deadline"] == pd.Timestamp("2027-12-31")


def test_on_track_boundary_is_elapsed_share_of_requirement() -> None:
    # 2025-12-31 is day 365 of 1,095: a third elapsed, so 1 of 3 is exactly on track
    one = head_with(1)
    assert status_of(one, "2025-12-31").loc["H", "status"] == "on_track"
    assert status_of(one, "2026-01-01").loc["H", "status"] == "at_risk"  # 366/1095·3 > 1
    assert status_of(head_with(0), "2025-01-01").loc["H", "status"] == "at_risk"


def test_only_completed_participations_in_window_count() -> None:
    t = world(
        [("H", "O2", "head", "2020-01-01", "")],
        [
            ("H", "ON2", "2024-12-31", "completed"),  # before the window
            ("H", "ON6", "2025-03-01", "completed"),
            ("H", "ON10", "2025-04-01", "dropped"),
            ("H", "OFF5D", "2025-05-01", "no_show"),
            ("H", "OFF2D", "2025-06-01", "enrolled"),
            ("H", "LIVE", "2026-02-01", "completed"),  # after the as-of date
        ],
    )
    row = status_of(t, "2026-01-31").loc["H"]
    assert row["done"] == 1
    assert status_of(t, "2026-02-01").loc["H", "done"] == 2


def test_multiple_roles_take_the_maximum_and_party_worker_rule() -> None:
    t = world(
        [
            ("HF", "O2", "head|finance", "2020-01-01", ""),
            ("PW1", "O1", "party_worker", "2020-01-01", ""),  # ministry-managed
            ("PW2", "O2", "party_worker", "2020-01-01", ""),  # not ministry-managed
            ("PWH", "O2", "party_worker|spokesperson", "2020-01-01", ""),
            ("OT", "O2", "other", "2020-01-01", ""),
        ],
        [],
    )
    st = status_of(t, "2025-06-30")
    assert st.loc["HF", "required"] == 5
    assert st.loc["PW1", "required"] == 2 and st.loc["PW1", "status"] == "at_risk"
    assert st.loc["PW2", "required"] == 0 and st.loc["PW2", "status"] == "met"
    assert st.loc["PWH", "required"] == 1  # only the spokesperson quota applies
    assert st.loc["OT", "required"] == 0


def test_pro_rating_for_part_of_the_window() -> None:
    t = world(
        [
            ("NEW", "O2", "finance", "2026-07-01", ""),  # 549 of 1,095 days: ceil(5·0.5014) = 3
            ("LATE", "O2", "spokesperson", "2027-12-01", ""),  # ceil(1·31/1095) → at least 1
            ("GONE", "O2", "supervisor", "2020-01-01", "2025-03-31"),  # 90 days: ceil(5·0.082) = 1
            ("FULL", "O2", "finance", "2024-01-01", ""),
        ],
        [("NEW", "ON2", "2026-08-01", "completed")],
    )
    # (the completion on 2026-08-01 is after 2026-07-31, so it does not count then)
    st = status_of(t, "2027-12-31")
    assert st.loc["NEW", "required"] == 3 and st.loc["NEW", "remaining"] == 2
    assert st.loc["LATE", "required"] == 1
    assert st.loc["GONE", "required"] == 1
    assert st.loc["FULL", "required"] == 5
    assert st.loc["NEW", "employed_fraction"] == pytest.approx(549 / 1095, abs=1e-4)
    # elapsed share is of the person's own employed part: 92 of 549 days → 3·0.168 ≈ 0.5 due
    assert status_of(t, "2026-09-30").loc["NEW", "status"] == "on_track"
    assert status_of(t, "2026-07-31").loc["NEW", "status"] == "at_risk"  # nothing done yet
    assert "LATE" not in status_of(t, "2027-11-30").index  # not yet hired then


def test_prorate_option_none_and_exact(tmp_path: Path) -> None:
    base = Path(
        load_policy.__globals__["resources"].files("engine.policies").joinpath("national-2025.toml")
    ).read_text("utf-8")
    t = world([("NEW", "O2", "finance", "2026-07-01", "")], [])
    for how, expected in (("none", 5), ("exact", 5 * 549 / 1095)):
        f = tmp_path / f"{how}.toml"
        f.write_text(base.replace('prorate = "ceil_min1"', f'prorate = "{how}"'), "utf-8")
        got = status_of(t, "2027-01-01", load_policy(f)).loc["NEW", "required"]
        assert got == pytest.approx(expected)


def test_policy_modes_restrict_what_counts(tmp_path: Path) -> None:
    base = Path(
        load_policy.__globals__["resources"].files("engine.policies").joinpath("national-2025.toml")
    ).read_text("utf-8")
    f = tmp_path / "offline-only.toml"
    f.write_text(
        base.replace(
            'modes = ["offline", "online", "live", "blended"]', 'modes = ["offline", "blended"]'
        ),
        "utf-8",
    )
    t = world(
        [("H", "O2", "head", "2020-01-01", "")],
        [("H", "ON2", "2025-03-01", "completed"), ("H", "OFF5D", "2025-04-01", "completed")],
    )
    assert status_of(t, "2025-12-31", load_policy(f)).loc["H", "done"] == 1
    row = status_of(t, "2025-12-31").loc["H"]
    assert (row["done"], row["done_offline"], row["done_online"]) == (2, 1, 1)


CREDITS = """name = "credits-test"
kind = "credits"
start = 2025-01-01
end = 2027-12-31
[credits]
annual = 60
cycle = 150
carry_over = {carry}
"""


def test_credit_rules_and_carry_over(tmp_path: Path) -> None:
    parts = [("C", "OFF5D", f"2025-0{i}-20", "completed") for i in (2, 3, 4, 5)]  # 4 × 25
    parts += [
        ("C", "ON2", "2026-03-01", "completed"),  # 2 h online → 5
        ("C", "ON6", "2026-04-01", "completed"),  # 6 h → 15
        ("C", "ON10", "2026-05-01", "completed"),  # 10 h → capped at 20
        ("C", "OFF2D", "2026-06-01", "completed"),  # 2 days offline → below 3 days: 0
        ("C", "LIVE", "2026-07-01", "completed"),
    ]  # failed below → 0
    t = world(
        [("C", "O2", "finance", "2020-01-01", "")],
        parts,
        scores=[("C", "LIVE", "2026-07-01", "55"), ("C", "ON6", "2026-04-01", "90")],
    )
    for carry, qualified_2026 in (("true", True), ("false", False)):
        f = tmp_path / f"c{carry}.toml"
        f.write_text(CREDITS.format(carry=carry), "utf-8")
        row = status_of(t, "2027-01-15", load_policy(f)).loc["C"]
        assert row["credits_2025"] == 100 and row["credits_2026"] == 40
        assert bool(row["qualified_2025"]) is True
        assert bool(row["qualified_2026"]) is qualified_2026  # 40 + 40 carried ≥ 60
        assert row["cycle_done"] == 140 and row["cycle_status"] == "on_track"
        assert row["required"] == 60 and row["deadline"] == pd.Timestamp("2027-12-31")
        assert row["carried_in"] == (20 if carry == "true" else 0)  # 2026: 80 − 60
    # years before hiring are neither qualified nor unqualified
    late = world([("N", "O2", "finance", "2026-02-01", "")], [])
    row = status_of(late, "2027-01-15", load_policy(tmp_path / "ctrue.toml")).loc["N"]
    assert pd.isna(row["qualified_2025"]) and not bool(row["qualified_2026"])


def test_hours_policy_yearly_and_leader_cycle() -> None:
    hours = load_policy("cadre-hours")
    parts = [
        ("S", "OFF5D", "2025-03-01", "completed"),
        ("S", "OFF5D", "2025-05-01", "completed"),
        ("S", "ON10", "2025-06-01", "completed"),
        ("L", "OFF5D", "2024-03-01", "completed"),
    ]
    t = world(
        [("S", "O2", "finance", "2020-01-01", ""), ("L", "O2", "head", "2020-01-01", "")], parts
    )
    st = status_of(t, "2025-06-30", hours)
    assert (st.loc["S", "required"], st.loc["S", "done"]) == (90, 90)
    assert st.loc["S", "status"] == "met" and st.loc["S", "deadline"] == pd.Timestamp("2025-12-31")
    assert st.loc["L", "required"] == 550 and st.loc["L", "done"] == 40
    assert st.loc["L", "deadline"] == pd.Timestamp("2027-12-31")
    nxt = status_of(t, "2026-02-01", hours)
    assert bool(nxt.loc["S", "qualified_2025"]) and nxt.loc["S", "done"] == 0
    assert bool(nxt.loc["L", "qualified_2024"]) is False
