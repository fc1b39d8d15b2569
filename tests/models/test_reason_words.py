"""Reasons read as an administrator reads them: Chinese by default, with role and
organization-type labels and skill names (not codes); the same evidence in English
with ``LEARNMAP_LANG=en``."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from engine.demo import DemoSpec, generate
from engine.labels import label
from features.asof import tables_as_of
from models.registry import create

AS_OF = "2026-07-01"


@pytest.fixture(scope="module")
def cadre() -> dict[str, pd.DataFrame]:
    return generate(DemoSpec(scenario="cadre", orgs=6, seed=3))


def _people(tables: dict) -> list[str]:
    return sorted(tables_as_of(tables, AS_OF)["staff"]["staff_id"].astype(str))[:60]


@pytest.mark.parametrize("name", ["hybrid", "skillgap", "popularity-cohort"])
def test_default_reasons_are_chinese_with_names_not_codes(
    cadre: dict, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LEARNMAP_LANG", raising=False)
    model = create(name).fit(cadre, AS_OF, policy="cadre-hours")
    recs = model.recommend(_people(cadre), k=10)
    reasons = recs["reason"]
    assert len(reasons) and reasons.str.contains(r"[\u4e00-\u9fff]").all(), reasons.head()
    english = (
        r"\b(?:taken by|you completed|colleagues|required for|foundation module|counts toward)\b"
    )
    assert not reasons.str.contains(english).any(), reasons[reasons.str.contains(english)]
    skill_ids = set(cadre["skills"]["skill_id"].astype(str))
    names = set(cadre["skills"]["name"].astype(str))
    quoted = {m for r in reasons for m in re.findall(r"要求：(.+?)(?:掌握度|尚未评估)", r)}
    assert not quoted & skill_ids and quoted <= names  # a skill is named, never its id
    roles = {label("role", r) for r in cadre["staff"]["role"].astype(str).str.split("|").explode()}
    cohorts = {m for r in reasons for m in re.findall(r"(\S+?)岗位学员", r)}
    assert all(any(c.endswith(x) for x in roles) for c in cohorts), cohorts


def test_english_keeps_the_codes(cadre: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEARNMAP_LANG", "en")
    model = create("popularity-cohort").fit(cadre, AS_OF)
    reasons = model.recommend(_people(cadre), k=5)["reason"]
    assert reasons.str.fullmatch(r"(taken by .+ of .+|not yet taken by any of .+)").all()
