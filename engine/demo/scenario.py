"""Scenario parameters (``national``, ``cadre``) and the choice model built from a catalog."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from engine.demo.catalog import Catalog
from engine.demo.choice import ChoiceModel, interests
from engine.demo.effects import Effects
from engine.demo.population import Population
from engine.demo.renewal import availability
from engine.schema import OFFLINE_MODES, ORG_TYPES, ROLES


@dataclass(frozen=True)
class Scenario:
    name: str
    default_orgs: int
    start: date
    end: date
    #: relative intensity of learning by calendar month (mean 1)
    season: tuple[float, ...]
    #: national: completed person-times a year per ``NATIONAL_ORGS`` organizations;
    #: cadre: expected enrolments a year per cadre (before culture/diligence/role/target)
    online_per_year: float
    offline_per_year: float
    per_person: bool
    #: probability that a unit's call-up sends a given employed staff member
    p_send: float
    #: call-ups per unit a year (cadre; national derives it from ``callup_share``)
    callups_per_org: float
    #: completion: geometric days to finish an online course; logits (online, offline)
    online_days_p: float
    complete_logit: tuple[float, float]
    #: target seeking (cadre): yearly hour target (leaders: their cycle / 5), the rate
    #: multiplier once it is reached, and the catch-up multiplier from ``catch_up_from``
    #: (month) for those still short.  0 = no target seeking.
    target_hours: float = 0.0
    leader_target_hours: float = 0.0
    after_target: float = 1.0
    catch_up: float = 1.0
    catch_up_from: int = 11
    culture_scale: float = 1.0
    diligence_scale: float = 1.0
    role_rate_scale: float = 1.0
    #: offline/blended/live classes of a module are held once per this many months, in the
    #: month after the period in which they were chosen
    class_every: int = 1
    #: mean assessment score of an average person (national 64; cadre platform quizzes 80)
    score_base: float = 64.0
    #: shares of completions with an assessment, a satisfaction rating, and pre/post
    #: self-assessments (online / offline training)
    assessed_share: float = 0.85
    satisfaction_share: float = 0.7
    prepost_online: float = 0.45
    prepost_offline: float = 0.45
    #: org type → domains (keys of the catalog; ``key:i`` = its i-th sub-skill) it emphasises
    emphasis: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: seats of an offline class (one value per module), and where classes are held
    capacities: tuple[int, ...] = (30, 40, 50, 60, 80)
    venues: dict[str, float] = field(
        default_factory=lambda: {
            "北京": 0.7,
            "上海": 0.06,
            "广州": 0.06,
            "成都": 0.06,
            "西安": 0.06,
            "武汉": 0.06,
        }
    )


NATIONAL = Scenario(
    name="national",
    default_orgs=2300,
    start=date(2025, 1, 1),
    end=date(2027, 12, 31),
    season=(1.0,) * 12,
    online_per_year=6500.0,
    offline_per_year=2000.0,
    per_person=False,
    p_send=0.5,
    callups_per_org=0.0,
    online_days_p=0.1,
    complete_logit=(1.1, 1.7),
    emphasis={
        # 基金会: fundraising and charity law; 社会服务机构: service/project management;
        # 社会团体: membership services and branch management
        "social_group": ("membership", "branch"),
        "foundation": ("project:4", "law:1"),
        "social_service_org": ("project", "hr:4"),
    },
)


def build_model(
    cat: Catalog, fx: Effects, sc: Scenario, seed: int, start: np.datetime64, end: np.datetime64
) -> ChoiceModel:
    """The choice model (``engine.demo.choice``) of a renewing catalogue over the window."""
    rng = np.random.default_rng([seed, 7])
    mods, r = cat.modules, cat.renewed
    skill_order = [s for s in cat.skills["skill_id"] if s in set(cat.domain)]
    kpos = {s: i for i, s in enumerate(skill_order)}
    k = np.array([kpos[s] for s in cat.primary])
    T = r.tau.shape[1]
    topic = r.tau.argmax(axis=1)
    pool = mods["mode"].isin(OFFLINE_MODES).to_numpy().astype(int)
    group = pool * T + topic
    order = np.argsort(group, kind="stable")
    inv = np.empty_like(order)
    inv[order] = np.arange(len(order))
    ids = mods["module_id"].to_numpy()
    row = {m: i for i, m in enumerate(ids)}
    tier = mods["tier"].to_numpy()
    popularity = np.exp(0.3 * rng.normal(size=len(mods))) * np.where(tier == "foundation", 1.5, 1.0)
    prereq = [
        np.array([row[p] for p in str(text).split("|") if p], dtype=np.int64)
        for text in mods["prerequisites"]
    ]
    dependents: list[list[int]] = [[] for _ in ids]
    for m, ps in enumerate(prereq):
        for p in ps:
            dependents[p].append(m)
    successors = [
        sorted(
            set(dependents[m]) | ({int(cat.series_next[m])} if cat.series_next[m] >= 0 else set())
        )
        for m in range(len(ids))
    ]

    def remap(lists: list) -> list[np.ndarray]:
        return [np.sort(inv[np.asarray(lists[o], dtype=np.int64)]) for o in order]

    n_months = int((end.astype("datetime64[M]") - start.astype("datetime64[M]")).astype(int)) + 1
    return ChoiceModel(
        module_ids=ids[order],
        group=group[order],
        topic=topic[order],
        skill=k[order],
        pool=pool[order],
        hours=mods["hours"].to_numpy(float)[order],
        mode=mods["mode"].to_numpy()[order],
        popularity=popularity[order],
        quality=cat.quality[order],
        tau=r.tau[order],
        avail=availability(r, n_months)[order],
        prereq=remap(prereq),
        successors=remap(successors),
        dependents=remap(dependents),
        skill_ids=np.array(skill_order),
        foundation=np.array([cat.domain[s] in cat.foundation_domains for s in skill_order]),
        topic_keys=np.array([t[0] for t in cat.topics]),
        fx=fx,
    )


def topic_means(cat: Catalog, sc: Scenario, fx: Effects) -> tuple[np.ndarray, np.ndarray]:
    """(roles × T, org types × T): the interest means μ of ``engine.demo.choice`` — per
    topic, the share of its linked skills a role requires / an org type emphasises."""
    name_to_id = dict(zip(cat.skills["name"], cat.skills["skill_id"], strict=True))
    linked = [[name_to_id[n] for n in t[2]] for t in cat.topics]
    rr = cat.role_requirements
    required = {r: set(rr.loc[rr["role"] == r, "skill_id"]) for r in ROLES}
    subs: dict[str, list[str]] = {}
    for s, d in cat.domain.items():
        subs.setdefault(d, []).append(s)
    emph: dict[str, set[str]] = {t: set() for t in ORG_TYPES}
    for t, keys in sc.emphasis.items():
        for key in keys:
            d, _, idx = key.partition(":")
            chosen = sorted(subs[d])
            emph[t] |= {chosen[int(idx)]} if idx else set(chosen)
    role_mu = np.array([[np.mean([s in required[r] for s in ln]) for ln in linked] for r in ROLES])
    org_mu = np.array([[np.mean([s in emph[t] for s in ln]) for ln in linked] for t in ORG_TYPES])
    return fx.role_focus * role_mu, fx.org_emphasis * org_mu


def person_interests(
    pop: Population, cat: Catalog, sc: Scenario, fx: Effects, seed: int, years: int
) -> np.ndarray:
    """persons × years × T latent interests θ (``engine.demo.choice.interests``)."""
    role_mu, org_mu = topic_means(cat, sc, fx)
    mu = role_mu[pop.primary_role] + org_mu[pop.org_type_index[pop.org_of]]
    return interests(np.random.default_rng([seed, 8]), mu, years, fx)
