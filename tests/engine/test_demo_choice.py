"""Choice structure of demo data III (``engine.demo.choice``): each documented property is
shown by a statistic of ``engine.demo.stats`` in default data and shown gone when that
effect alone is switched off, so the test fails if the effect is removed.  Dense cadre data
(≈ 1,300 cadres over three years) keeps them fast; the national scenario is checked to show
the same structure."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from functools import cache

import pandas as pd
import pytest

from engine.demo import NO_EFFECTS, DemoSpec, Effects, Truth, generate_with_truth
from engine.demo import stats as S

Tables = dict[str, pd.DataFrame]
SMALL = {
    "scenario": "cadre",
    "orgs": 40,
    "seed": 3,
    "start": date(2023, 1, 1),
    "end": date(2025, 12, 31),
}


@cache
def cadre(*off: str) -> tuple[Tables, Truth]:
    fx = replace(Effects(), **{f: getattr(NO_EFFECTS, f) for f in off})
    return generate_with_truth(DemoSpec(**SMALL, effects=fx))


def stat(name: str, data: tuple[Tables, Truth]) -> float:
    f = getattr(S, name)
    return f(*data) if name in S.WITH_TRUTH else f(data[0])


#: effect → (statistic, at least this with the effect, at most this without it)
CASES = {
    "interests": ("topic_lift", 2.0, 1.2),
    "prerequisites first": ("prerequisites_first", 0.60, 0.45),
    "organization call-ups": ("colleague_share", 0.50, 0.15),
    "quality uptake": ("quality_uptake", 0.25, 0.10),
}


def test_every_effect_has_a_case() -> None:
    assert set(CASES) == set(S.EFFECT_STATS)


@pytest.mark.parametrize("effect", sorted(CASES))
def test_effect_shows_and_vanishes_when_removed(effect: str) -> None:
    name, at_least, at_most = CASES[effect]
    fields, stat_name = S.EFFECT_STATS[effect]
    assert stat_name == name
    with_it, without_it = stat(name, cadre()), stat(name, cadre(*fields))
    assert with_it > at_least, (effect, with_it)
    assert without_it < at_most, (effect, without_it)


def test_titles_and_skills_are_noisy_views_of_the_topic() -> None:
    """Far above chance (1 of 20 topics), clearly short of a perfect view."""
    title, skill = S.view_agreement(*cadre())
    assert 0.6 < title < 0.92, title
    assert 0.55 < skill < 0.9, skill


def test_interests_drift_slowly() -> None:
    it = cadre()[1].interests
    cols = [c for c in it.columns if c.startswith("interest_")]
    a = it[it["year"] == 2023].set_index("staff_id")[cols]
    b = it[it["year"] == 2024].set_index("staff_id").loc[a.index, cols]
    r = float(pd.Series(a.to_numpy().ravel()).corr(pd.Series(b.to_numpy().ravel())))
    assert 0.75 < r < 0.97, r


def test_no_one_takes_a_module_twice() -> None:
    assert S.repeats(cadre()[0]) == 0
    assert S.repeats(cadre("interest_sd", "role_focus")[0]) == 0


@pytest.fixture(scope="module")
def national_truth() -> tuple[Tables, Truth]:
    return generate_with_truth(DemoSpec(seed=11, orgs=600))


def test_national_scenario_shows_the_same_structure(
    national_truth: tuple[Tables, Truth],
) -> None:
    t, truth = national_truth
    assert S.topic_lift(t, truth) > 2.0
    assert S.colleague_share(t) > 0.2
    assert S.prerequisites_first(t) > 0.6
    assert S.repeats(t) == 0
    assert (S.renewal_shares(t) >= 0.35).all()
