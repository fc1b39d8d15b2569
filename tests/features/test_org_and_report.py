"""Organization profiles (the unit 1/3 rule, role counts, remaining need) and the
programme report (volumes against the plan, coverage by role/type/region, PNG charts)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

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


def test_unit_rule_at_one_third() -> None:
    # O1: 3 staff owing, 1 behind → exactly 1/3 → cannot be rated advanced
    # O2: 4 staff owing, 1 behind → 1/4 → fine
    staff = [(f"A{i}", "O1", "spokesperson", "2020-01-01", "") for i in range(3)]
    staff += [(f"B{i}", "O2", "spokesperson", "2020-01-01", "") for i in range(4)]
    staff += [("B9", "O2", "other", "2020-01-01", "")]  # owes nothing: not in the share
    parts = [(s, "ON2", "2025-02-01", "completed") for s in ("A0", "A1", "B0", "B1", "B2")]
    _, _, orgs = _orgs(staff, parts)
    assert orgs.loc["O1", "unqualified_share"] == round(1 / 3, 4)
    assert bool(orgs.loc["O1", "unit_rule_flag"]) is True
    assert orgs.loc["O2", "unqualified_share"] == 0.25
    assert bool(orgs.loc["O2", "unit_rule_flag"]) is False
    assert orgs.loc["O2", "n_staff"] == 5 and orgs.loc["O2", "n_owing"] == 4


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


def test_programme_report_tables_and_charts(tmp_path: Path, national) -> None:  # noqa: ANN001
    snap = snapshot(national, "2026-12-31")
    st = compliance(snap, PLAN)
    rep = programme_report(snap, st, PLAN)
    v = rep.volume.set_index(["year", "mode"])
    assert v.loc[(2025, "offline"), "target"] == 2000 and v.loc[(2025, "online"), "target"] == 6500
    assert 0.85 <= v.loc[(2025, "offline"), "share_of_target"] <= 1.15
    assert v.loc[(2027, "online"), "person_times"] == 0  # nothing after the as-of date
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
    assert pd.read_csv(tmp_path / "volume.csv").shape == (6, 5)
    total = pd.read_csv(tmp_path / "volume_total.csv").set_index("mode")
    assert total.loc["all", "target"] == 25_500  # the plan's three-year volume
    assert total.loc["all", "person_times"] == rep.volume["person_times"].sum()
