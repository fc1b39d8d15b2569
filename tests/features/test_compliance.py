"""Every status rule at its boundaries, pro-rating, multiple roles, the ministry-managed
party-worker rule, what counts as a person-time, hours and credits with carry-over."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as hs

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
        # with 2 of 3 done the third falls due, in whole units, only on the last day
        ("2027-12-30", 2, "on_track"),  # the day before the deadline
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


def _variant(tmp_path: Path, preset: str, old: str, new: str) -> object:
    """A copy of a preset with one line changed."""
    text = Path(
        load_policy.__globals__["resources"].files("engine.policies").joinpath(f"{preset}.toml")
    ).read_text("utf-8")
    assert old in text
    f = tmp_path / f"{preset}-{abs(hash(new))}.toml"
    f.write_text(text.replace(old, new), "utf-8")
    return load_policy(f)


def test_nobody_is_behind_before_a_whole_person_time_falls_due() -> None:
    # a head owes 3 in 1,095 days: the first falls due on day 365, the second on day 730
    nothing, one = head_with(0), head_with(1)
    assert status_of(nothing, "2025-01-02").loc["H", "status"] == "on_track"  # second day
    assert status_of(nothing, "2025-12-30").loc["H", "status"] == "on_track"  # day 364
    assert status_of(nothing, "2025-12-31").loc["H", "status"] == "at_risk"  # day 365: 1 due
    assert status_of(one, "2026-12-30").loc["H", "status"] == "on_track"  # day 729
    assert status_of(one, "2026-12-31").loc["H", "status"] == "at_risk"  # day 730: 2 due


def test_pace_exact_is_the_plain_pro_rata_amount(tmp_path: Path) -> None:
    exact = _variant(tmp_path, "national-2025", 'pace = "floor"', 'pace = "exact"')
    assert exact.pace == "exact" and PLAN.pace == "floor"
    assert status_of(head_with(0), "2025-01-02", exact).loc["H", "status"] == "at_risk"
    one = head_with(1)
    assert status_of(one, "2025-12-31", exact).loc["H", "status"] == "on_track"  # 3·365/1095 = 1
    assert status_of(one, "2026-01-01", exact).loc["H", "status"] == "at_risk"


def test_hours_and_credits_pace_in_whole_units(tmp_path: Path) -> None:
    t = world([("S", "O2", "finance", "2020-01-01", "")], [("S", "ON2", "2025-03-01", "completed")])
    hours = load_policy("cadre-hours")
    # 90 hours a year: less than one whole hour is due on 4 January (90·4/365 = 0.99)
    assert status_of(t, "2025-01-04", hours).loc["S", "status"] == "on_track"
    assert status_of(t, "2025-01-05", hours).loc["S", "status"] == "at_risk"
    assert status_of(t, "2025-03-01", hours).loc["S", "done"] == 2
    exact = _variant(tmp_path, "cadre-hours", 'pace = "floor"', 'pace = "exact"')
    assert status_of(t, "2025-01-04", exact).loc["S", "status"] == "at_risk"
    credits = load_policy("credits")
    # 60 credits a year: a whole credit falls due on day 7 (60·7/365 = 1.15)
    assert status_of(t, "2025-01-06", credits).loc["S", "status"] == "on_track"
    assert status_of(t, "2025-01-07", credits).loc["S", "status"] == "at_risk"


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
    st = status_of(t, "2026-09-30")  # past half the window: 1 of 2 due
    assert st.loc["HF", "required"] == 5
    assert st.loc["PW1", "required"] == 2 and st.loc["PW1", "status"] == "at_risk"
    # owing nothing is 无要求 ("none"), not "met" (issue 23)
    assert st.loc["PW2", "required"] == 0 and st.loc["PW2", "status"] == "none"
    assert st.loc["OT", "status"] == "none"
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
    # the pace is of the person's own employed part (549 days, 3 owed): the first falls
    # due on day 183, the second on day 366 — and one was done on 2026-08-01
    assert status_of(t, "2026-07-31").loc["NEW", "status"] == "on_track"  # nothing due yet
    assert status_of(t, "2027-06-30").loc["NEW", "status"] == "on_track"  # day 365: 1 due
    assert status_of(t, "2027-07-01").loc["NEW", "status"] == "at_risk"  # day 366: 2 due
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


def _credits(tmp_path: Path, **options: str) -> object:
    """The test credits policy (2025-2027, 60 a year) with ``[credits]`` options."""
    f = tmp_path / ("c-" + "-".join(f"{k}{v}" for k, v in options.items()) + ".toml")
    extra = "".join(f"{k} = {v}\n" for k, v in options.items())
    f.write_text(CREDITS.format(carry="true") + extra, "utf-8")
    return load_policy(f)


def test_failed_attempt_then_passing_retake_earns_the_pass_credits(tmp_path: Path) -> None:
    policy = _credits(tmp_path)
    # two attempts at ON6 (6 h online: 15 credits): failed in March, passed in June
    twice = world(
        [("C", "O2", "finance", "2020-01-01", "")],
        [("C", "ON6", "2025-03-01", "completed"), ("C", "ON6", "2025-06-01", "completed")],
        scores=[("C", "ON6", "2025-03-01", "50"), ("C", "ON6", "2025-06-01", "80")],
    )
    assert status_of(twice, "2026-01-10", policy).loc["C", "credits_2025"] == 15
    # one attempt failed in November 2025, retaken and passed in January 2026: the
    # credits are earned by the pass, in 2026, and not before it
    retake = world(
        [("C", "O2", "finance", "2020-01-01", "")],
        [("C", "ON6", "2025-11-20", "completed")],
        scores=[("C", "ON6", "2025-11-20", "40"), ("C", "ON6", "2026-01-10", "75")],
    )
    assert status_of(retake, "2026-01-09", policy).loc["C", "done"] == 0
    row = status_of(retake, "2026-01-10", policy).loc["C"]
    assert (row["credits_2025"], row["done"]) == (0, 15)
    # failed with no retake: nothing
    failed = world(
        [("C", "O2", "finance", "2020-01-01", "")],
        [("C", "ON6", "2025-11-20", "completed")],
        scores=[("C", "ON6", "2025-11-20", "40")],
    )
    assert status_of(failed, "2026-06-30", policy).loc["C", "cycle_done"] == 0


def test_a_failed_score_never_removes_credits_of_another_year(tmp_path: Path) -> None:
    policy = _credits(tmp_path)
    t = world(
        [("C", "O2", "finance", "2020-01-01", "")],
        [
            ("C", "ON10", "2025-05-01", "completed"),  # passed: 20 credits in 2025
            ("C", "ON10", "2026-05-01", "completed"),  # taken again in 2026 and failed
            ("C", "ON2", "2025-04-01", "completed"),  # no score in 2025: 5 credits
        ],
        scores=[
            ("C", "ON10", "2025-05-01", "90"),
            ("C", "ON10", "2026-05-01", "30"),
            ("C", "ON2", "2026-02-01", "20"),  # a failed score a year later
        ],
    )
    row = status_of(t, "2027-01-15", policy).loc["C"]
    assert row["credits_2025"] == 25 and row["credits_2026"] == 0
    # within its own year a failed score does remove the course's credits
    t2 = world(
        [("C", "O2", "finance", "2020-01-01", "")],
        [("C", "ON2", "2025-04-01", "completed")],
        scores=[("C", "ON2", "2025-04-20", "20")],
    )
    assert status_of(t2, "2025-04-19", policy).loc["C", "done"] == 5
    assert status_of(t2, "2025-04-20", policy).loc["C", "done"] == 0


def test_module_credits_column_overrides_but_a_failed_online_course_earns_nothing(
    tmp_path: Path,
) -> None:
    policy = _credits(tmp_path)
    t = world(
        [("P", "O2", "finance", "2020-01-01", ""), ("F", "O2", "finance", "2020-01-01", "")],
        [
            ("P", "ON6", "2025-03-01", "completed"),
            ("F", "ON6", "2025-03-01", "completed"),
            ("P", "OFF2D", "2025-04-01", "completed"),
            ("F", "OFF2D", "2025-04-01", "completed"),
        ],
        scores=[
            ("P", "ON6", "2025-03-01", "85"),
            ("F", "ON6", "2025-03-01", "35"),
            ("F", "OFF2D", "2025-04-01", "10"),  # offline credits follow attendance
        ],
    )
    mods = t["modules"].set_index("module_id")
    mods.loc["ON6", "credits"] = 12  # instead of 6 h × 2.5 = 15
    mods.loc["OFF2D", "credits"] = 8  # a 2-day module would otherwise earn 0
    t["modules"] = mods.reset_index()
    st = status_of(t, "2026-01-10", policy)
    assert st.loc["P", "credits_2025"] == 12 + 8
    assert st.loc["F", "credits_2025"] == 8


@pytest.mark.parametrize(
    ("hours", "rule", "credits"),
    [
        (16, "whole", 0),  # 2 days: below the 3-day minimum
        (17, "whole", 0),  # 2 days and an hour: still 2 whole days
        (23.5, "whole", 0),
        (24, "whole", 15),  # 3 days × 5
        (40, "whole", 25),
        (16, "started", 0),
        (17, "started", 15),  # 3 started days
    ],
)
def test_offline_training_days(tmp_path: Path, hours: float, rule: str, credits: int) -> None:
    t = world(
        [("C", "O2", "finance", "2020-01-01", "")], [("C", "OFF2D", "2025-04-01", "completed")]
    )
    t["modules"].loc[t["modules"]["module_id"] == "OFF2D", "hours"] = hours
    policy = _credits(tmp_path, day_rule=f'"{rule}"')
    assert status_of(t, "2026-01-10", policy).loc["C", "credits_2025"] == credits


def test_carry_over_horizon_next_year_only_or_chained(tmp_path: Path) -> None:
    # 150 credits in 2025 (6 × 25), nothing after: 90 over the 2025 target
    t = world(
        [("C", "O2", "finance", "2020-01-01", "")],
        [("C", "OFF5D", f"2025-0{i}-10", "completed") for i in range(1, 7)],
    )
    literal, chained = _credits(tmp_path), _credits(tmp_path, carry_over_horizon='"chained"')
    assert literal.credits.carry_over_horizon == "next_year"
    for policy, carried_2027 in ((literal, 0), (chained, 30)):
        row = status_of(t, "2027-03-01", policy).loc["C"]
        assert bool(row["qualified_2026"]) is True  # 90 carried into 2026 ≥ 60
        assert row["carried_in"] == carried_2027  # the 30 left over from 2025
    # next-year-only uses what was carried in first: 2026 earns 50 with 90 carried in,
    # so 2026's own surplus is 50 (all of it) and the 2025 credits expire
    t2 = world(
        [("C", "O2", "finance", "2020-01-01", "")],
        [("C", "OFF5D", f"2025-0{i}-10", "completed") for i in range(1, 7)]
        + [("C", "OFF5D", "2026-03-10", "completed"), ("C", "ON6", "2026-04-10", "completed")],
        scores=[("C", "ON6", "2026-04-10", "90")],
    )
    assert status_of(t2, "2027-03-01", literal).loc["C", "carried_in"] == 40
    assert status_of(t2, "2027-03-01", chained).loc["C", "carried_in"] == 70


def test_years_before_the_data_starts_are_not_applicable() -> None:
    credits, hours = load_policy("credits"), load_policy("cadre-hours")  # 2023-2027
    t = world(
        [("C", "O2", "finance", "2020-01-01", ""), ("N", "O2", "finance", "2024-06-01", "")],
        [("C", "OFF5D", "2025-03-10", "completed")],  # the records start in 2025
    )
    for policy in (credits, hours):
        st = status_of(t, "2026-03-01", policy)
        for y in (2023, 2024):
            assert st[f"qualified_{y}"].isna().all(), (policy.name, y)
        assert st.loc["C", "qualified_2025"] == False  # noqa: E712 — known, and not met
        assert st.loc["N", "qualified_2025"] == False  # noqa: E712


def test_leaders_yearly_columns_follow_their_cycle(tmp_path: Path) -> None:
    hours = load_policy("cadre-hours")  # leaders: 550 h over 2023-2027
    ahead = [("A", "OFF5D", f"2023-0{i}-10", "completed") for i in range(1, 7)]  # 240 h
    ahead += [("A", "ON10", "2023-08-10", "completed")]  # 250 h in 2023, none in 2024
    steady = [
        ("B", m, f"{y}-0{i}-10", "completed")
        for y in (2023, 2024)
        for i, m in enumerate(("OFF5D", "OFF5D", "ON10", "ON10"), start=1)
    ]  # 100 h a year
    t = world(
        [
            ("A", "O2", "head", "2020-01-01", ""),
            ("B", "O2", "head", "2020-01-01", ""),
            ("S", "O2", "finance", "2020-01-01", ""),
        ],
        ahead + steady + [("S", "OFF5D", "2023-02-10", "completed")],
    )
    st = status_of(t, "2025-01-15", hours)
    # by the end of 2024 the cycle had floor(550 · 731/1826) = 220 h due
    assert (st.loc["A", "hours_2024"], bool(st.loc["A", "qualified_2024"])) == (0, True)
    assert (st.loc["B", "hours_2024"], bool(st.loc["B", "qualified_2024"])) == (100, False)
    assert bool(st.loc["A", "qualified_2023"]) and not bool(st.loc["B", "qualified_2023"])
    # everyone else keeps the yearly minimum
    assert not bool(st.loc["S", "qualified_2023"]) and st.loc["S", "hours_2023"] == 40


def test_a_course_finishing_after_the_date_counts_nowhere_yet() -> None:
    t = world(
        [("H", "O2", "head", "2020-01-01", "")],
        [("H", "OFF5D", "2025-06-10", "completed"), ("H", "ON6", "2025-03-01", "completed")],
        scores=[("H", "ON6", "2025-03-01", "90")],
    )
    as_of = "2025-06-08"  # OFF5D was enrolled on 06-07 and finishes on 06-10
    snap = snapshot(t, as_of)
    late = snap.part[snap.part["m"] == snap.modules.index[snap.modules["module_id"] == "OFF5D"][0]]
    assert late["status"].tolist() == ["enrolled"] and late["hours"].tolist() == [0]
    assert status_of(t, as_of).loc["H", "done"] == 1
    assert status_of(t, as_of, load_policy("cadre-hours")).loc["H", "done"] == 6
    assert status_of(t, as_of, load_policy("credits")).loc["H", "done"] == 15
    assert status_of(t, "2025-06-10", load_policy("cadre-hours")).loc["H", "done"] == 46


@pytest.mark.parametrize(
    ("line", "new", "message"),
    [
        ('pace = "floor"', 'pace = "fast"', "pace"),
        ("hours_per_day = 8", "hours_per_day = 0", "hours_per_day must be positive"),
        ('day_rule = "whole"', 'day_rule = "half"', "day_rule"),
        ('carry_over_horizon = "next_year"', 'carry_over_horizon = "forever"', "horizon"),
    ],
)
def test_new_policy_options_are_checked(tmp_path: Path, line: str, new: str, message: str) -> None:
    from engine.errors import PolicyError

    with pytest.raises(PolicyError, match=message):
        _variant(tmp_path, "credits", line, new)


_ONE = world([("C", "O2", "finance", "2020-01-01", "")], [])
_DAY0 = pd.Timestamp("2025-01-01")
_attempts = hs.lists(
    hs.tuples(hs.sampled_from(["ON2", "ON6", "ON10"]), hs.integers(0, 540)), max_size=6
)
_scores = hs.lists(
    hs.tuples(hs.sampled_from(["ON2", "ON6", "ON10"]), hs.integers(0, 540), hs.integers(0, 100)),
    max_size=6,
)


def _person(attempts: list[tuple[str, int]], scores: list[tuple[str, int, int]]) -> dict:
    """One finance officer's online attempts (module, completion day) and scores
    (module, day, score), days counted from 2025-01-01."""
    t = dict(_ONE)
    done = [_DAY0 + pd.Timedelta(days=d) for _, d in attempts]
    hours = t["modules"].set_index("module_id")["hours"]
    t["participations"] = pd.DataFrame(
        {
            "participation_id": [f"P{i}" for i in range(len(attempts))],
            "staff_id": "C",
            "module_id": [m for m, _ in attempts],
            "session_id": "",
            "enrolled_on": [d - pd.Timedelta(days=3) for d in done],
            "completed_on": done,
            "status": "completed",
            "hours": [hours[m] for m, _ in attempts],
        }
    ).astype(_ONE["participations"].dtypes.to_dict())
    t["assessments"] = pd.DataFrame(
        {
            "assessment_id": [f"A{i}" for i in range(len(scores))],
            "staff_id": "C",
            "module_id": [m for m, _, _ in scores],
            "taken_on": [_DAY0 + pd.Timedelta(days=d) for _, d, _ in scores],
            "score": [float(v) for _, _, v in scores],
        }
    ).astype(_ONE["assessments"].dtypes.to_dict())
    return t


CREDITS_2025 = load_policy("credits")


def _credits_by_year(t: dict) -> pd.Series:
    row = status_of(t, "2026-07-01", CREDITS_2025).loc["C"]
    return pd.Series({"2025": row["credits_2025"], "window": row["cycle_done"]})


@settings(max_examples=25, deadline=None)
@given(_attempts, _scores, hs.sampled_from(["ON2", "ON6", "ON10"]), hs.integers(365, 540))
def test_property_a_later_failed_score_never_takes_credits_from_an_earlier_year(
    attempts,
    scores,
    module,
    day,  # noqa: ANN001
) -> None:
    before = _credits_by_year(_person(attempts, scores))
    after = _credits_by_year(_person(attempts, [*scores, (module, day, 10)]))  # failed in 2026
    assert after["2025"] == before["2025"]
    assert after["window"] <= before["window"]  # it may fail a 2026 course, nothing more


@settings(max_examples=25, deadline=None)
@given(_attempts, _scores, hs.sampled_from(["ON2", "ON6", "ON10"]), hs.integers(0, 540))
@example([("ON2", 0)], [("ON6", 0, 0)], "ON2", 0)  # a failed score of a module never taken
def test_property_a_passing_score_never_lowers_credits(attempts, scores, module, day) -> None:  # noqa: ANN001
    before = _credits_by_year(_person(attempts, scores))
    after = _credits_by_year(_person(attempts, [*scores, (module, day, 95)]))
    assert after["window"] >= before["window"]
    # and nobody earns more than every completion passed would give
    most = sum({"ON2": 5, "ON6": 15, "ON10": 20}[m] for m, _ in attempts)
    assert 0 <= after["window"] <= most


def test_a_leader_with_another_role_is_held_to_the_leaders_cycle() -> None:
    hours = load_policy("cadre-hours")  # leader_roles = ["head"]
    t = world(
        [("FH", "O2", "finance|head", "2020-01-01", ""), ("F", "O2", "finance", "2020-01-01", "")],
        [],
    )
    st = status_of(t, "2025-06-30", hours)
    assert bool(st.loc["FH", "leader"]) and st.loc["FH", "required"] == 550
    assert not bool(st.loc["F", "leader"]) and st.loc["F", "required"] == 90


def test_yearly_hours_follow_the_prorate_option(tmp_path: Path) -> None:
    # hired on 1 July 2025: 184 of 365 days of 2025
    t = world([("N", "O2", "finance", "2025-07-01", "")], [])
    default = status_of(t, "2025-08-01", load_policy("cadre-hours")).loc["N", "required"]
    assert default == 46  # ceil(90 · 184/365)
    none = _variant(tmp_path, "cadre-hours", 'prorate = "ceil_min1"', 'prorate = "none"')
    assert status_of(t, "2025-08-01", none).loc["N", "required"] == 90


def test_a_leader_who_did_exactly_what_was_due_qualified() -> None:
    hours = load_policy("cadre-hours")
    # by the end of 2024 the cycle had floor(550 · 731/1826) = 220 h due: 5 × 40 + 2 × 10
    parts = [("L", "OFF5D", f"2024-0{i}-10", "completed") for i in range(1, 6)]
    parts += [("L", "ON10", "2024-07-10", "completed"), ("L", "ON10", "2024-08-10", "completed")]
    short = parts[:-1] + [("L", "ON6", "2024-08-10", "completed")]  # 216 h
    for recs, ok in ((parts, True), (short, False)):
        t = world([("L", "O2", "head", "2020-01-01", "")], recs)
        assert bool(status_of(t, "2025-01-15", hours).loc["L", "qualified_2024"]) is ok


def test_a_score_of_exactly_the_pass_mark_passes(tmp_path: Path) -> None:
    policy = _credits(tmp_path)  # pass_score 60
    t = world(
        [("C", "O2", "finance", "2020-01-01", "")],
        [("C", "ON6", "2025-11-20", "completed")],
        scores=[("C", "ON6", "2025-11-20", "40"), ("C", "ON6", "2025-12-10", "60")],
    )
    assert policy.credits.pass_score == 60
    assert status_of(t, "2026-01-10", policy).loc["C", "credits_2025"] == 15


def test_a_failed_score_dated_before_the_enrolment_belongs_to_that_course(
    tmp_path: Path,
) -> None:
    # the exam is recorded two days before the enrolment date (world(): enrolled 3 days
    # before completion): it is still this course's score
    policy = _credits(tmp_path)
    t = world(
        [("C", "O2", "finance", "2020-01-01", "")],
        [("C", "ON6", "2025-05-10", "completed")],
        scores=[("C", "ON6", "2025-05-05", "30")],
    )
    assert status_of(t, "2026-01-10", policy).loc["C", "credits_2025"] == 0


def test_credits_count_only_the_policys_modes_and_the_windows_first_day(tmp_path: Path) -> None:
    parts = [
        ("C", "OFF5D", "2025-01-01", "completed"),  # the first day of the window: 25
        ("C", "ON2", "2025-02-01", "completed"),  # online: 5, unless the policy excludes it
        ("C", "OFF5D", "2024-12-31", "completed"),  # the day before: outside the window
    ]
    t = world([("C", "O2", "finance", "2020-01-01", "")], parts)
    st = status_of(t, "2025-03-01", _credits(tmp_path))
    assert (st.loc["C", "done"], st.loc["C", "cycle_done"]) == (30, 30)
    f = tmp_path / "offline-credits.toml"
    text = CREDITS.format(carry="true")
    f.write_text(text.replace("[credits]", 'modes = ["offline", "blended"]\n[credits]'), "utf-8")
    assert status_of(t, "2025-03-01", load_policy(f)).loc["C", "done"] == 25
    # every status is a category, so counts per status include the empty ones
    assert list(st["cycle_status"].cat.categories) == list(st["status"].cat.categories)
    assert len(st["cycle_status"].cat.categories) == 5  # met … overdue, none
