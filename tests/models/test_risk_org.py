"""Organization scoring: exact Poisson-binomial unit rule, ranks, roll-ups."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.risk.org import _batched_sf, poisson_binomial_sf, rollup, score_orgs, unit_threshold


@pytest.fixture
def english(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reasons' English words are read back (Chinese: test_org_reason_is_chinese…)."""
    monkeypatch.setenv("LEARNMAP_LANG", "en")


def brute_force(p: list[float], m: int) -> float:
    return math.fsum(
        math.prod(q if b else 1 - q for q, b in zip(p, bits, strict=True))
        for bits in itertools.product((0, 1), repeat=len(p))
        if sum(bits) >= m
    )


@settings(max_examples=150, deadline=None)
@given(
    p=st.lists(st.floats(0, 1, allow_nan=False), min_size=0, max_size=9),
    m=st.integers(-1, 11),
)
def test_poisson_binomial_matches_brute_force(p: list[float], m: int) -> None:
    exact = brute_force(p, m)
    assert poisson_binomial_sf(np.array(p), m) == pytest.approx(exact, abs=1e-12)
    batched = _batched_sf([np.array(p), np.array(p[::-1])], np.array([m, m]))
    assert batched == pytest.approx([exact, exact], abs=1e-12)


def test_unit_rule_is_not_a_count_of_thresholded_staff() -> None:
    # six staff each at 0.45: none is "predicted to miss" at 0.5, yet 2 of 6 missing
    # (the 1/3 rule) is more likely than not
    p = np.full(6, 0.45)
    assert unit_threshold(np.array([6]), 1 / 3)[0] == 2
    assert poisson_binomial_sf(p, 2) > 0.7


def _staff() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "staff_id": ["a", "b", "c", "d", "e", "f"],
            "org_id": ["O1", "O1", "O1", "O2", "O2", "O3"],
            "p_miss": [0.9, 0.8, 0.0, 0.1, 0.2, 0.0],
            "expected_shortfall": [2.0, 1.5, 0.0, 0.1, 0.3, 0.0],
            "required": [5, 5, 3, 2, 2, 0],
            "status": ["at_risk"] * 6,
        }
    )


def test_score_orgs_columns_rank_and_reason(english: None) -> None:
    orgs = pd.DataFrame(
        {
            "org_id": ["O1", "O2", "O3"],
            "name": ["x", "y", "z"],
            "region": ["北京", "上海", "北京"],
            "org_type": ["foundation", "social_group", "foundation"],
        }  # fmt: skip
    )
    out = score_orgs(_staff(), orgs).set_index("org_id")
    assert list(out.reset_index().columns[:7]) == [
        "org_id", "staff", "expected_shortfall", "expected_missing", "p_unit_rule", "rank", "reason",
    ]  # fmt: skip
    assert out.loc["O1", "expected_missing"] == pytest.approx(1.7)
    assert out.loc["O1", "expected_shortfall"] == pytest.approx(3.5)
    assert out.loc["O1", "p_unit_rule"] == pytest.approx(brute_force([0.9, 0.8, 0.0], 1))
    assert out.loc["O3", "p_unit_rule"] == 0  # nobody owes anything
    assert list(out.sort_values("rank").index) == ["O1", "O2", "O3"]
    assert "1.7 of 3 staff expected to miss" in out.loc["O1", "reason"]
    by_region = rollup(out.reset_index(), "region").set_index("region")
    assert by_region.loc["北京", "orgs"] == 2
    assert by_region.loc["北京", "expected_missing"] == pytest.approx(1.7)
    assert by_region.loc["北京", "expected_missing_share"] == pytest.approx(1.7 / 3, abs=1e-4)


@pytest.mark.parametrize("name", ["national-2025", "cadre-hours", "cadre-online", "credits"])
def test_unit_rule_only_under_a_policy_that_has_it(name: str, english: None) -> None:
    from engine.policy import load_policy
    from models.risk.org import unit_share

    policy = load_policy(name)
    share = unit_share(policy)
    orgs = pd.DataFrame({"org_id": ["O1", "O2", "O3"]})
    out = score_orgs(_staff(), orgs, share).set_index("org_id")
    by_type = rollup(out.reset_index().assign(org_type="foundation"), "org_type")
    if policy.kind == "credits":
        assert share == pytest.approx(policy.credits.unit_unqualified_share)
        assert out.loc["O1", "p_unit_rule"] == pytest.approx(brute_force([0.9, 0.8, 0.0], 1))
        assert out["reason"].str.contains("unqualified").all()
        assert by_type["expected_orgs_unit_rule"].notna().all()
    else:  # person-times or hours: the 1/3 rule of source 002 does not exist
        assert share is None
        assert out["p_unit_rule"].isna().all()
        assert not out["reason"].str.contains("unqualified|1/3|P\\(").any()
        assert by_type["expected_orgs_unit_rule"].isna().all()
        # everything else is as under the rule
        ruled = score_orgs(_staff(), orgs, 1 / 3).set_index("org_id")
        pd.testing.assert_series_equal(out["rank"], ruled["rank"])
        assert out.loc["O1", "reason"].startswith("1.7 of 3 staff expected to miss")


def _driven() -> pd.DataFrame:
    return _staff().assign(
        top_driver=["pace_all", "pace_all", "", "colleagues", "pace_all", ""],
        top_effect=[0.2, 0.1, 0.0, 0.05, -0.3, 0.0],  # e's own pace lowers the risk
    )


def test_org_reason_names_the_driver_that_raises_most_staffs_risk(english: None) -> None:
    from engine.labels import text_keys
    from models.risk.explain import GROUPS

    for lang in ("zh-CN", "en"):  # every driver group has words
        assert {f"driver_group_{g}" for g in GROUPS} <= text_keys(lang)
    orgs = pd.DataFrame({"org_id": ["O1", "O2", "O3"]})
    out = score_orgs(_driven(), orgs).set_index("org_id")["reason"]
    assert out["O1"].endswith("most often raised by: own pace on record (2 staff)")
    assert out["O2"].endswith("most often raised by: colleagues' pace (1 staff)")
    assert "raised by" not in out["O3"]


@pytest.mark.parametrize("unit", ["trainings", "hours", "credits"])
def test_org_reason_is_chinese_by_default(unit: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEARNMAP_LANG", raising=False)
    orgs = pd.DataFrame({"org_id": ["O1", "O2", "O3"]})
    got = score_orgs(_driven(), orgs, 1 / 3, unit).set_index("org_id")
    out, p = got["reason"], got.loc["O1", "p_unit_rule"]
    word = {"trainings": "次", "hours": "学时", "credits": "学分"}[unit]
    assert out["O1"] == (
        f"3 名有要求人员中预计 1.7 人未达标；不合格人数达到1/3的概率 {p:.2f}；"
        f"预计缺口 3.5 {word}；风险升高最常见的原因：本人历来进度（2 人）"
    )
    assert not out.str.contains("[A-Za-z]").any(), out.tolist()  # no English word, no code
