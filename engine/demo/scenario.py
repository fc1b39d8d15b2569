"""Scenario parameters (``national``, ``cadre``) and the choice model built from a catalog."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from engine.demo.catalog import Catalog
from engine.demo.choice import INTEREST_RANK, ChoiceModel
from engine.demo.effects import Effects
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


def build_model(cat: Catalog, fx: Effects, sc: Scenario, seed: int) -> ChoiceModel:
    rng = np.random.default_rng([seed, 7])
    mods = cat.modules
    skill_order = [s for s in cat.skills["skill_id"] if s in set(cat.primary)]
    K = len(skill_order)
    kpos = {s: i for i, s in enumerate(skill_order)}
    k = np.array([kpos[s] for s in cat.primary])
    pool = mods["mode"].isin(OFFLINE_MODES).to_numpy().astype(int)
    group = pool * K + k
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

    domains = sorted({cat.domain[s] for s in skill_order})
    psi = {d: rng.normal(size=INTEREST_RANK) for d in domains}
    phi = np.array([psi[cat.domain[s]] for s in skill_order]) + 0.5 * rng.normal(
        size=(K, INTEREST_RANK)
    )
    phi /= np.sqrt((phi**2).sum(axis=1, keepdims=True) / INTEREST_RANK)
    level = np.zeros((len(ROLES), K))
    rr = cat.role_requirements
    for r, s, lv in zip(rr["role"], rr["skill_id"], rr["level"], strict=True):
        if s in kpos:
            level[ROLES.index(r), kpos[s]] = lv
    emphasis = np.zeros((len(ORG_TYPES), K))
    subs_of: dict[str, list[str]] = {}
    for s in skill_order:
        subs_of.setdefault(cat.domain[s], []).append(s)
    all_subs = {d: [s for s in cat.domain if cat.domain[s] == d] for d in domains}
    for t, keys in sc.emphasis.items():
        for key in keys:
            d, _, idx = key.partition(":")
            chosen = [all_subs[d][int(idx)]] if idx else all_subs[d]
            for s in chosen:
                if s in kpos:
                    emphasis[ORG_TYPES.index(t), kpos[s]] = 1.0
    return ChoiceModel(
        module_ids=ids[order],
        group=group[order],
        skill=k[order],
        pool=pool[order],
        hours=mods["hours"].to_numpy(float)[order],
        mode=mods["mode"].to_numpy()[order],
        popularity=popularity[order],
        quality=cat.quality[order],
        prereq=remap(prereq),
        successors=remap(successors),
        dependents=remap(dependents),
        skill_ids=np.array(skill_order),
        foundation=np.array([cat.domain[s] in cat.foundation_domains for s in skill_order]),
        phi=phi,
        level=level,
        emphasis=emphasis,
        fx=fx,
    )
