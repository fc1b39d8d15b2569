"""Choice structure of the demo data: one test per effect of ``engine.demo.choice``.  Each
shows the effect's statistic (``engine.demo.stats``) in default data and shows it gone when
that effect alone is switched off, so the test fails if the effect is removed.  Dense
cadre data (≈ 1,300 cadres over three years) keeps them fast; the national scenario is
checked to show the same effects."""

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
    return f(*data) if name in ("need_lift", "emphasis_lift") else f(data[0])


#: effect → (statistic, at least this with the effect, at most this without it)
CASES = {
    "interests": ("interest_consistency", 0.10, 0.05),
    "needs": ("need_lift", 1.25, 1.10),
    "sequences": ("successor_timing", 0.65, 0.55),
    "prerequisites first": ("prerequisites_first", 0.60, 0.45),
    "foundation first": ("foundation_lift", 1.50, 1.20),
    "organization call-ups": ("colleague_share", 0.50, 0.15),
    "organization-type emphasis": ("emphasis_lift", 1.50, 1.15),
    "quality uptake": ("quality_uptake", 0.40, 0.20),
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


def test_no_one_takes_a_module_twice() -> None:
    assert S.repeats(cadre()[0]) == 0
    assert S.repeats(cadre("interest_sd", "need", "seq_boost")[0]) == 0


@pytest.fixture(scope="module")
def national_truth() -> tuple[Tables, Truth]:
    return generate_with_truth(DemoSpec(seed=11))


def test_national_scenario_shows_the_same_effects(national_truth: tuple[Tables, Truth]) -> None:
    t, truth = national_truth
    assert S.need_lift(t, truth) > 2.0
    assert S.successor_timing(t) > 0.55
    assert S.foundation_lift(t) > 1.5
    assert S.colleague_share(t) > 0.2
    assert S.emphasis_lift(t, truth) > 1.5
    assert S.quality_uptake(t) > 0.4
    assert S.repeats(t) == 0
