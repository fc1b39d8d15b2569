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


def test_score_orgs_columns_rank_and_reason() -> None:
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
def test_unit_rule_only_under_a_policy_that_has_it(name: str) -> None:
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


def test_org_reason_names_the_driver_that_raises_most_staffs_risk() -> None:
    from models.risk.explain import GROUPS
    from models.risk.org import DRIVER_WORDS

    assert set(DRIVER_WORDS) == set(GROUPS)  # every driver group has words
    staff = _staff().assign(
        top_driver=["pace_all", "pace_all", "", "colleagues", "pace_all", ""],
        top_effect=[0.2, 0.1, 0.0, 0.05, -0.3, 0.0],  # e's own pace lowers the risk
    )
    orgs = pd.DataFrame({"org_id": ["O1", "O2", "O3"]})
    out = score_orgs(staff, orgs).set_index("org_id")["reason"]
    assert out["O1"].endswith("most often raised by: own pace on record (2 staff)")
    assert out["O2"].endswith("most often raised by: colleagues' pace (1 staff)")
    assert "raised by" not in out["O3"]
