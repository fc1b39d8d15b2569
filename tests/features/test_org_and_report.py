"""Organization profiles (the unit 1/3 rule, role counts, remaining need) and the
programme report (volumes against the plan, coverage by role/type/region, PNG charts)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.policy import load_policy
from features.compliance import compliance
from features.org import org_profiles, role_status
from features.report import programme_report, write_report
from features.snapshot import snapshot
from tests.features.world import world

PLAN = load_policy("national-2025")


def _orgs(staff, parts, as_of="2025-12-31"):  # noqa: ANN001, ANN202
    snap = snapshot(world(staff, parts), as_of)
    st = compliance(snap, PLAN)
    return snap, st, org_profiles(snap, st).set_index("org_id")


def _unit_world(extra_staff=(), extra_parts=()):  # noqa: ANN001, ANN202
    """O1: 3 staff, 1 missed 2025's 60 credits (exactly 1/3); O2: 4 staff, 1 missed (1/4)."""
    staff = [(f"A{i}", "O1", "finance", "2020-01-01", "") for i in range(3)]
    staff += [(f"B{i}", "O2", "finance", "2020-01-01", "") for i in range(4)]
    staff += list(extra_staff)
    good = ("A0", "A1", "B0", "B1", "B2")
    # 3 × OFF5D = 75 credits in 2025 for the good ones; 2026: only A0 and B0 so far
    parts = [(s, "OFF5D", f"2025-0{i}-10", "completed") for s in good for i in (3, 5, 7)]
    parts += [(s, "OFF5D", "2026-02-10", "completed") for s in ("A0", "B0")]
    return world(staff, parts + list(extra_parts))


def test_unit_rule_is_a_yearly_credits_rule() -> None:
    credits = load_policy("credits")  # 2023-2027, unit_unqualified_share 1/3
    snap = snapshot(_unit_world([("L", "O2", "finance", "2020-01-01", "2024-12-31")]), "2026-03-01")
    orgs = org_profiles(snap, compliance(snap, credits), credits).set_index("org_id")
    o1, o2 = orgs.loc["O1"], orgs.loc["O2"]
    assert o1["unqualified_share_2025"] == round(1 / 3, 4) and bool(o1["unit_rule_2025"])
    # L left before 2025: not part of O2's 2025 share
    assert o2["unqualified_share_2025"] == 0.25 and not bool(o2["unit_rule_2025"])
    assert (o1["unit_rule_year"], bool(o1["unit_rule_flag"])) == (2025, True)
    assert o1["unqualified_share"] == round(1 / 3, 4) and not bool(o2["unit_rule_flag"])
    # years before the records start are not judged
    assert pd.isna(o1["unqualified_share_2023"]) and pd.isna(o1["unit_rule_2024"])
    # 2026 is provisional: on 1 March 8 credits are due (floor(60 · 60/365)); those
    # qualified in 2025 carry 15 into 2026 and are ahead, the others behind
    assert o1["unqualified_share_2026_provisional"] == round(1 / 3, 4)
    assert o2["unqualified_share_2026_provisional"] == 0.25
    assert bool(o1["unit_rule_2026_provisional"]) and not bool(o2["unit_rule_2026_provisional"])
    assert "unit_rule_2026" not in orgs.columns


def test_unit_rule_threshold_comes_from_the_policy(tmp_path: Path) -> None:
    text = Path(
        load_policy.__globals__["resources"].files("engine.policies").joinpath("credits.toml")
    ).read_text("utf-8")
    f = tmp_path / "half.toml"
    f.write_text(
        text.replace("unit_unqualified_share = 0.3333333333", "unit_unqualified_share = 0.5"),
        "utf-8",
    )
    half = load_policy(f)
    snap = snapshot(_unit_world(), "2026-03-01")
    st = compliance(snap, half)
    orgs = org_profiles(snap, st, half).set_index("org_id")
    assert orgs.loc["O1", "unqualified_share_2025"] == round(1 / 3, 4)
    assert not orgs["unit_rule_flag"].any() and not orgs["unit_rule_2025"].any()


def test_unit_rule_does_not_apply_to_person_times_or_hours() -> None:
    # most of these staff are behind on their person-times: no unit is flagged for it
    snap = snapshot(_unit_world(), "2027-06-30")
    for name in ("national-2025", "cadre-hours"):
        policy = load_policy(name)
        st = compliance(snap, policy)
        orgs = org_profiles(snap, st, policy).set_index("org_id")
        assert (st["status"] == "at_risk").mean() > 0.5
        assert not orgs["unit_rule_flag"].any(), name
        assert orgs["unqualified_share"].isna().all() and orgs["unit_rule_year"].isna().all()
        assert orgs.loc["O1", "share_behind"] > 0.5


def test_org_profile_counts_and_remaining() -> None:
    staff = [
        ("H", "O1", "head|spokesperson", "2020-01-01", ""),
        ("F", "O1", "finance", "2020-01-01", ""),
        ("X", "O1", "finance", "2020-01-01", "2025-06-30"),
    ]  # left: not counted
    parts = [
        ("H", "ON2", "2025-02-01", "completed"),
        ("F", "OFF5D", "2025-03-01", "completed"),
        ("F", "ON6", "2025-04-01", "completed"),
    ]
    snap, st, orgs = _orgs(staff, parts)
    o = orgs.loc["O1"]
    assert (o["staff_head"], o["staff_spokesperson"], o["staff_finance"]) == (1, 1, 1)
    assert o["remaining"] == (3 - 1) + (5 - 2)
    assert (o["pt_offline_2025"], o["pt_online_2025"]) == (1, 2)
    assert o["region"] == "北京" and o["org_type"] == "social_group"
    rs = role_status(snap, st).set_index(["org_id", "role"])
    assert rs.loc[("O1", "finance"), "n"] == 1 and rs.loc[("O1", "head"), "n"] == 1


def test_report_headline_is_what_employed_staff_still_need(tmp_path: Path) -> None:
    staff = [
        ("H", "O1", "head|spokesperson", "2020-01-01", ""),  # owes 3, did 1
        ("F", "O3", "finance", "2020-01-01", ""),  # owes 5, did 2
        ("X", "O1", "finance", "2020-01-01", "2025-06-30"),  # left owing 1: cannot be trained
    ]
    parts = [
        ("H", "ON2", "2025-02-01", "completed"),
        ("F", "OFF5D", "2025-03-01", "completed"),
        ("F", "ON6", "2025-04-01", "completed"),
    ]
    snap, st, orgs = _orgs(staff, parts)
    assert st.set_index("staff_id").loc["X", "remaining"] == 1
    rep = programme_report(snap, st, PLAN)
    head = rep.summary.iloc[0]
    assert (head["remaining"], head["staff"], head["unit"]) == (2 + 3, 2, "person-times")
    assert rep.coverage_by_region["remaining"].sum() == head["remaining"]
    assert rep.coverage_by_org_type["remaining"].sum() == head["remaining"]
    assert orgs["remaining"].sum() == head["remaining"]
    # a person with two roles is counted under each role, so that table adds up to more
    assert rep.coverage_by_role["remaining"].sum() == 2 + 2 + 3
    write_report(rep, tmp_path, snap.as_of, PLAN)
    assert pd.read_csv(tmp_path / "summary.csv").loc[0, "remaining"] == 5
    # nobody owing anything: still one headline row, with nothing needed
    snap, st, _ = _orgs([("OT", "O1", "other", "2020-01-01", "")], [])
    head = programme_report(snap, st, PLAN).summary
    assert len(head) == 1 and (head.loc[0, "staff"], head.loc[0, "remaining"]) == (0, 0)


def test_programme_report_tables_and_charts(tmp_path: Path, national) -> None:  # noqa: ANN001
    snap = snapshot(national, "2026-12-31")
    st = compliance(snap, PLAN)
    rep = programme_report(snap, st, PLAN)
    v = rep.volume.set_index(["year", "mode"])
    assert v.loc[(2025, "offline"), "target"] == 2000 and v.loc[(2025, "online"), "target"] == 6500
    assert 0.85 <= v.loc[(2025, "offline"), "share_of_target"] <= 1.15
    # a year that has not begun is not reported; 2026 ended on the as-of date
    assert 2027 not in v.index.get_level_values("year")
    assert not v["year_to_date"].any() and (v["target_to_date"] == v["target"]).all()
    by_role = rep.coverage_by_role.set_index("role")
    assert "other" not in by_role.index  # owes nothing under the plan
    assert (
        by_role.loc["head", "staff"]
        == (
            st["role"].str.contains("head")
            & (st["required"] > 0)
            & (snap.staff["left_on"].isna() | (snap.staff["left_on"] > "2026-12-31"))
        ).sum()
    )
    shares = by_role[[f"share_{s}" for s in ("met", "on_track", "at_risk", "overdue")]]
    assert ((shares.sum(axis=1) - 1).abs() < 1e-3).all()
    assert set(rep.coverage_by_org_type["org_type"]) == {
        "social_group",
        "foundation",
        "social_service_org",
    }
    assert rep.coverage_by_region["region"].nunique() > 20
    # the plan's volume leaves most staff behind their quota: the gap is visible
    assert by_role["share_met"].mean() < 0.5
    files = write_report(rep, tmp_path, snap.as_of, PLAN)
    pngs = [f for f in files if f.suffix == ".png"]
    assert len(pngs) == 4
    for f in pngs:
        assert f.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and f.stat().st_size > 10_000
    assert pd.read_csv(tmp_path / "volume.csv").shape[0] == 4
    total = pd.read_csv(tmp_path / "volume_total.csv").set_index("mode")
    assert total.loc["all", "target"] == 25_500  # the plan's three-year volume
    assert total.loc["all", "person_times"] == rep.volume["person_times"].sum()
    # one headline figure, the same as the tables', and none of it owed by leavers
    head = rep.summary.iloc[0]
    assert head["remaining"] == rep.coverage_by_region["remaining"].sum()
    left = ~snap.employed & (st["remaining"] > 0).to_numpy()
    assert left.any() and head["remaining"] == st["remaining"].sum() - st["remaining"][left].sum()


def _role_status_by_explode(employed, status):  # noqa: ANN001, ANN202
    """role_status as plain pandas says it: split, explode, group, count."""
    from features.compliance import STATUSES

    st = status[employed]
    st = st[st["required"] > 0]
    roles = st.assign(role=st["role"].str.split("|")).explode("role")
    counts = roles.groupby(["org_id", "role", "status"], observed=True).size().unstack(fill_value=0)
    counts = counts.reindex(columns=list(STATUSES), fill_value=0)
    counts.columns = list(STATUSES)
    counts.insert(0, "n", counts.sum(axis=1))
    for s in STATUSES:
        counts[f"share_{s}"] = (counts[s] / counts["n"]).round(4)
    return counts.reset_index()


@settings(max_examples=40, deadline=None)
@given(
    people=st.lists(
        st.tuples(
            st.sampled_from(["O1", "O2", "O10", "Ｏ3"]),
            st.lists(st.sampled_from(["head", "finance", "hr", "other"]), min_size=1, max_size=3),
            st.sampled_from(["met", "on_track", "at_risk", "overdue"]),
            st.sampled_from([0, 1, 2]),
            st.booleans(),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_role_status_counts_each_role_of_each_person(people) -> None:  # noqa: ANN001
    """The integer path (role combinations split once) gives the table a plain
    split-and-explode gives, for any mix of organizations, roles and statuses."""
    from types import SimpleNamespace

    status = pd.DataFrame(
        {
            "org_id": [p[0] for p in people],
            "role": ["|".join(dict.fromkeys(p[1])) for p in people],
            "status": [p[2] for p in people],
            "required": [p[3] for p in people],
        }
    )
    employed = np.array([p[4] for p in people])
    got = role_status(SimpleNamespace(employed=employed), status)
    want = _role_status_by_explode(employed, status)
    if want.empty:
        assert got.empty
        return
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    assert (got["n"] == got[["met", "on_track", "at_risk", "overdue"]].sum(axis=1)).all()
