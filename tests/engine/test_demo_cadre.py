"""Scenario ``cadre``: a provincial cadre network academy (sources 002, 004) — catalogue,
units and roles, and the calibration a training administrator would recognise: about the
90-hour line, a minority short under ``cadre-hours`` and ``credits``, dozens of modules a
cadre a year, credits carried over."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from engine.demo import DemoSpec, generate
from engine.demo.cadre import CADRE, build_cadre_catalog, build_cadre_population
from engine.demo.effects import Effects
from engine.policy import load_policy
from engine.schema import ROLES
from features.compliance import compliance
from features.snapshot import snapshot

Tables = dict[str, pd.DataFrame]


@pytest.fixture(scope="module")
def cadre() -> Tables:
    """Five years (2023–2027, the presets' cycle) of 40 units (≈ 1,300 cadres)."""
    return generate(DemoSpec(scenario="cadre", orgs=40, seed=2))


def test_catalogue_of_an_online_platform() -> None:
    m = build_cadre_catalog(0).modules
    assert len(m) >= 500
    online = m[m["mode"] == "online"]
    assert len(online) / len(m) > 0.75 and online["hours"].between(0.5, 4).all()
    assert (m["mode"] == "live").sum() >= 30
    offline = m[m["mode"] == "offline"]
    assert len(offline) >= 30 and (offline["hours"] >= 24).all()  # ≥ 3 days at a party school
    assert offline["title"].str.contains("党校").all()
    assert m["title"].str.contains("（二）").sum() >= 40  # series
    g = nx.DiGraph()
    for mid, pre in zip(m["module_id"], m["prerequisites"], strict=True):
        g.add_edges_from((p, mid) for p in pre.split("|") if p)
    assert g.number_of_edges() >= 80 and nx.is_directed_acyclic_graph(g)
    assert m.loc[m["mode"].isin(["online", "live"]), "credits"].notna().all()


def test_units_and_cadres_reuse_the_canonical_roles() -> None:
    start, end = np.datetime64("2023-01-01"), np.datetime64("2027-12-31")
    pop = build_cadre_population(
        np.random.default_rng(0), CADRE.default_orgs, start, end, Effects(), CADRE
    )
    assert 18_000 <= len(pop.staff) <= 22_000  # default ≈ 20,000 cadres
    roles = pop.staff["role"].value_counts(normalize=True)
    assert set(roles.index) <= set(ROLES)
    assert 0.08 < roles["head"] < 0.16 and roles["other"] > 0.35
    assert (pop.staff.groupby("org_id")["role"].apply(lambda r: (r == "head").sum()) >= 1).all()
    assert pop.orgs["org_id"].is_unique and pop.staff["staff_id"].is_unique


def test_orgs_scales_the_number_of_cadres() -> None:
    start, end = np.datetime64("2023-01-01"), np.datetime64("2027-12-31")
    small = build_cadre_population(np.random.default_rng(0), 60, start, end, Effects(), CADRE)
    assert 25 < len(small.staff) / 60 < 40


def test_defaults_cover_the_presets_cycle(cadre: Tables) -> None:
    p = cadre["participations"]
    assert p["enrolled_on"].min().year == 2023 and p["enrolled_on"].max().year == 2027
    assert DemoSpec(scenario="cadre").resolved().orgs == CADRE.default_orgs
    with pytest.raises(ValueError, match="unknown scenario"):
        generate(DemoSpec(scenario="county"))


def _full_year_staff(t: Tables) -> pd.Index:
    s = t["staff"]
    return pd.Index(s.loc[(s["hired_on"] < "2023-01-01") & s["left_on"].isna(), "staff_id"])


def test_a_typical_cadre_is_about_the_ninety_hour_line(cadre: Tables) -> None:
    p = cadre["participations"]
    done = p[p["status"] == "completed"]
    per = done.groupby(["staff_id", done["completed_on"].dt.year])["hours"].agg(["size", "sum"])
    per = per[per.index.get_level_values(0).isin(_full_year_staff(cadre))]
    assert 90 <= per["sum"].median() <= 130
    assert 15 <= per["size"].median() <= 40  # dozens of modules a year


@pytest.mark.parametrize("policy", ["cadre-hours", "credits"])
def test_a_realistic_minority_falls_short_each_year(cadre: Tables, policy: str) -> None:
    status = compliance(snapshot(cadre, "2027-12-31"), load_policy(policy))
    years = [c for c in status.columns if c.startswith("qualified_")]
    assert len(years) >= 4
    for col in years:
        short = 1 - status[col].dropna().astype(bool).mean()
        assert 0.08 <= short <= 0.30, (policy, col, short)
    if policy == "credits":
        assert (status["carried_in"] > 0).mean() > 0.3  # surplus carried over


def test_leaders_are_held_to_the_five_year_cycle(cadre: Tables) -> None:
    status = compliance(snapshot(cadre, "2027-12-31"), load_policy("cadre-hours"))
    leaders = status[status["leader"]]
    assert len(leaders) > 50 and (leaders["required"].max() == 550)
    assert 0.5 < (leaders["status"] == "met").mean() < 0.97
