"""Policies as data: the presets carry the source documents' numbers; files are checked."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from engine.errors import PolicyError
from engine.policy import load_policy


def test_national_plan_quotas() -> None:
    p = load_policy("national-2025")
    assert p.kind == "person_times"
    assert (p.start, p.end) == (date(2025, 1, 1), date(2027, 12, 31))
    assert p.quotas == {
        "head": 3,
        "branch_manager": 2,
        "spokesperson": 1,
        "supervisor": 5,
        "project_manager": 5,
        "finance": 5,
        "membership": 5,
        "hr": 5,
        "party_worker": 2,
    }
    assert p.ministry_managed_only == {"party_worker": True}
    assert p.prorate == "ceil_min1"


def test_hours_and_credit_presets() -> None:
    h = load_policy("cadre-hours")
    assert h.hours is not None and (h.hours.annual, h.hours.cycle) == (90, 550)
    assert h.hours.leader_roles == ("head",) and len(h.years) == 5
    c = load_policy("credits")
    assert c.credits is not None
    assert (c.credits.annual, c.credits.cycle, c.credits.carry_over) == (60, 300, True)
    assert abs(c.credits.unit_unqualified_share - 1 / 3) < 1e-6
    assert (c.credits.offline_per_day, c.credits.online_min, c.credits.online_max) == (5, 5, 20)


def test_user_policy_file(tmp_path: Path) -> None:
    f = tmp_path / "mine.toml"
    f.write_text(
        'name = "mine"\nkind = "person_times"\nstart = 2026-01-01\n'
        "end = 2026-12-31\n[quotas]\nhead = 1\nother = 2\n",
        encoding="utf-8",
    )
    p = load_policy(f)
    assert p.quotas == {"head": 1, "other": 2} and p.years == [2026]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            'name="x"\nkind="person_times"\nstart=2025-01-01\nend=2027-12-31\n[quotas]\nboss=3\n',
            "unknown role 'boss'",
        ),
        (
            'name="x"\nkind="person_times"\nstart=2025-01-01\nend=2024-12-31\n[quotas]\nhead=3\n',
            "is before start",
        ),
        ('name="x"\nkind="hours"\nstart=2025-01-01\nend=2027-12-31\n', "needs an [hours] table"),
        (
            'name="x"\nkind="person_times"\nstart=2025-01-01\nend=2027-12-31\n[quotas]\nhead=-1\n',
            "must not be negative",
        ),
        ('name="x"\nkind="weekly"\nstart=2025-01-01\nend=2027-12-31\n', "kind"),
        (
            'name="x"\nkind="credits"\nstart=2025-01-01\nend=2027-12-31\n[credits]\nanual=60\n',
            "credits.anual",
        ),
        ('name = "x\n', "not valid TOML"),
    ],
)
def test_malformed_policy_files_get_clear_errors(tmp_path: Path, body: str, message: str) -> None:
    f = tmp_path / "broken.toml"
    f.write_text(body, encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        load_policy(f)
    assert "broken.toml" in str(info.value) and message in str(info.value)


def test_unknown_preset_names_the_presets() -> None:
    with pytest.raises(PolicyError, match="national-2025, cadre-hours, credits"):
        load_policy("national-2030")
