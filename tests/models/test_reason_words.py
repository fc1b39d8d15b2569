"""Reasons read as an administrator reads them: Chinese by default, with role and
organization-type labels and skill names (not codes); the same evidence in English
with ``LEARNMAP_LANG=en``."""

from __future__ import annotations

import importlib
import re

import pandas as pd
import pytest

from engine.demo import DemoSpec, generate
from engine.labels import label, text_keys
from features.asof import tables_as_of
from models.registry import available, create, spec

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


# -- every registered recommender ------------------------------------------------------
#: the models' own recommenders (experiments' peers: tests/experiments/test_peer_reasons.py)
MODELS = [n for n in available("recommend") if spec(n).target.startswith("models.")]
CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]")


def _names(tables: dict) -> list[str]:
    """What the data itself names (titles, skills, organizations), longest first: a
    reason quotes these as they are in either language."""
    got = {
        *tables["modules"]["title"].astype(str),
        *tables["skills"]["name"].astype(str),
        *tables["organizations"]["name"].astype(str),
    }
    return sorted(got, key=len, reverse=True)


def _without(reason: str, names: list[str]) -> str:
    for n in names:
        if n in reason:
            reason = reason.replace(n, "")
    return reason


@pytest.fixture(scope="module")
def fitted(cadre: dict) -> dict:
    """name → the model fitted with a policy (quota reasons) and without; reasons take
    the language of the moment, so one fit serves both languages."""
    cache: dict = {}

    def get(name: str) -> list:
        if name not in cache:
            cache[name] = [
                create(name, **PARAMS[name]).fit(cadre, AS_OF, policy=policy)
                for policy in ("cadre-hours", None)
            ]
        return cache[name]

    return {"get": get}


def _reasons_of_every_kind(tables: dict, models: list) -> pd.Series:
    """Reasons for people with and without history and someone not on the staff."""
    t = tables_as_of(tables, AS_OF)
    p = t["participations"]
    done = set(p.loc[p["status"] == "completed", "staff_id"].astype(str))
    cold = [s for s in t["staff"]["staff_id"].astype(str) if s not in done][:10]
    people = [*_people(tables), *cold, "NOT-ON-STAFF"]
    return pd.concat([m.recommend(people, k=8)["reason"] for m in models], ignore_index=True)


PARAMS = {n: {} for n in MODELS} | {"popularity": {"window_days": 90}}


def test_every_models_recommender_is_checked() -> None:
    assert {"ease", "itemknn", "random", "content-affinity", "popularity"} <= set(MODELS)
    for name in MODELS:  # the default reason is a key of the catalogue, in both languages
        module, _, attr = spec(name).target.partition(":")
        key = f"reason_{getattr(importlib.import_module(module), attr).reason}"
        assert all(key in text_keys(lang) for lang in ("zh-CN", "en")), (name, key)


@pytest.mark.parametrize("name", MODELS)
def test_every_recommenders_reasons_are_chinese_without_codes(
    cadre: dict, fitted: dict, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LEARNMAP_LANG", raising=False)
    reasons = _reasons_of_every_kind(cadre, fitted["get"](name))
    assert len(reasons) and reasons.str.contains(CJK).all(), reasons[~reasons.str.contains(CJK)]
    names = _names(cadre)
    # no skill id (SK16), role code (branch_manager), module id or English word is left
    # once the titles and names the data gives are taken out
    rest = reasons.map(lambda r: _without(r, names))
    bad = reasons[rest.str.contains(LATIN)]
    assert bad.empty, bad.drop_duplicates().head(10).tolist()


@pytest.mark.parametrize("name", MODELS)
def test_every_recommenders_reasons_are_english_under_lang_en(
    cadre: dict, fitted: dict, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEARNMAP_LANG", "en")
    reasons = _reasons_of_every_kind(cadre, fitted["get"](name))
    rest = reasons.map(lambda r: _without(r, _names(cadre)))
    assert len(rest) and rest.str.contains(LATIN).all()
    bad = reasons[rest.str.contains(CJK)]  # Chinese only inside the data's own names
    assert bad.empty, bad.drop_duplicates().head(10).tolist()
