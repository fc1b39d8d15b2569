"""Scenario ``cadre``: a provincial cadre network academy (省干部网络学院) after sources 002
(Baoji credits) and 004 (Hunan cadre-education plan).

Units and cadres
  ``orgs`` = number of units (单位); each has ≈ 33 cadres (log-normal size, at least 5),
  so the default 600 units ≈ 20,000 cadres and 6,000 units ≈ 200,000.  Units are
  provincial (15%), city (35%) or county (50%) departments of Hunan's 14 cities and
  prefectures; ``region`` is the city.  The canonical ``org_type`` has only the three
  social-organization types: party and government organs (党政机关, 群团) are written as
  ``social_group`` and public institutions (事业单位) as ``social_service_org`` (65% / 35%);
  ``ministry_managed`` is false and ``rating`` empty.  Roles reuse the canonical keys: the
  leadership team (领导班子, ≈ 12% of a unit, at least one) are ``head`` — the leader
  cadres held to 550 hours in 5 years by ``cadre-hours``; the rest (section level and
  below, held to 90 hours a year) are mostly ``other`` with functional posts (finance,
  hr, party_worker = 机关党务, supervisor = 纪检, spokesperson = 宣传, project_manager,
  branch_manager = 派出机构, membership = 群众工作).  5% a year are newly recruited, 3% a
  year leave (retire or transfer).

Catalogue (renewing, ``engine.demo.renewal``; 1 学时 = 1 hour, as the platforms count it)
  10 domains and 42 sub-skills of the cadre curriculum (004 三: theory, party spirit, law
  and policy foundations; then economy, governance, leadership, digital, ecology, culture,
  professional skills); 20 latent topics (``engine.demo.topics``).  40 products launched a
  quarter (≈ 55 modules; ≈ 300 running at a time, ≈ 520 offered a year): a three-part
  online series "…专题（一/二/三）" (14 %; each part lists the previous one as
  prerequisite with probability 0.7), a two-part case series "…案例精讲（上/下）" (10 %,
  0.5), a single online course of 0.5–4 hours (56 %), a live course (1.5–3 h, 12 %), an
  offline class at the provincial party school (省委党校, 3–10 days, 6 %) or a blended
  class (网络+面授, 3 days, 2 %).  Credits (002 appendix 3):
  offline classes earn the preset's 5 credits a day (credits column empty); online and
  live courses state their credits in the ``credits`` column at the same rate per hour
  as offline training — 5 credits per 8-学时 day, 0.625 a 学时, rounded up to 0.5
  (a platform states credits per course; the preset's computed 5–20 per online course
  was written for long online classes and would give a 0.5-hour micro-course 5 credits,
  so that nobody could fall short).

Calibration (per cadre and year; measured in ``benchmarks/bench_demo.py``)
  Targets from the sources: 90 hours a year (004), 60 credits a year with carry-over
  (002), leaders 550 hours in 5 years (004); "a cadre completes dozens of short courses
  a year" (DOMAIN.md, cadre network academies).  Chosen: a typical cadre ≈ 100–110 hours
  a year, 10–25% short of 90 hours and of 60 credits, ≈ 30 modules a year.  Mechanism:
  online enrolment rate 21 a year × exp(culture + diligence + 0.3·role) (culture sd
  0.7·0.35, diligence sd 0.6·0.5), each unit calls up ≈ 4 offline classes a year sending
  20% of its cadres, 0.1 personal offline classes a year, and target seeking — once a
  cadre's completed hours of the year reach the line (90; leaders 110 = 550 / 5) their
  online rate drops to 0.2×; from October those still short study 5× as much (the
  year-end rush platforms report).  Seasonal intensity: low in January–February, high in
  November–December.  Assessments: platform quizzes (mean 80, so ≈ 5% fail the 60-point
  pass mark and earn no credits); satisfaction is rated for 30% of completions, pre/post
  self-assessments only for offline classes (80%).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from engine.demo.catalog import Catalog, finish_catalog
from engine.demo.effects import Effects
from engine.demo.population import Population, departures
from engine.demo.renewal import Part, build_renewing
from engine.demo.scenario import Scenario
from engine.demo.topics import CADRE_TOPICS
from engine.schema import METHODS, ROLES

_SEASON = np.array((0.7, 0.6, 0.9, 1.0, 1.0, 0.9, 0.8, 0.8, 1.0, 1.1, 1.3, 1.6))

CADRE = Scenario(
    name="cadre",
    default_orgs=600,
    start=date(2023, 1, 1),
    end=date(2027, 12, 31),
    season=tuple(float(x) for x in _SEASON / _SEASON.mean()),
    online_per_year=21.0,
    offline_per_year=0.1,
    per_person=True,
    p_send=0.2,
    callups_per_org=4.0,
    online_days_p=0.3,
    complete_logit=(2.3, 2.5),
    target_hours=90.0,
    leader_target_hours=110.0,
    after_target=0.2,
    catch_up=5.0,
    catch_up_from=10,
    culture_scale=0.35,
    diligence_scale=0.5,
    score_base=80.0,
    assessed_share=0.9,
    satisfaction_share=0.3,
    prepost_online=0.0,
    prepost_offline=0.8,
    role_rate_scale=0.3,
    emphasis={
        "social_group": ("governance", "law"),
        "social_service_org": ("professional", "digital"),
    },
    capacities=(40, 50, 60),
    venues={"长沙": 1.0},
)

DOMAINS: tuple[tuple[str, str, bool, tuple[str, ...]], ...] = (
    (
        "theory",
        "政治理论",
        True,
        (
            "习近平新时代中国特色社会主义思想",
            "马克思主义基本原理",
            "党史与新中国史",
            "党章党规党纪",
        ),
    ),
    ("party", "党性教育", True, ("理想信念教育", "党性修养", "廉洁自律", "作风建设")),
    ("law", "法治与政策", True, ("宪法与法治政府", "行政执法规范", "政策解读", "保密与国家安全")),
    (
        "economy",
        "经济发展",
        False,
        ("宏观经济形势", "产业发展与招商引资", "乡村振兴", "财政与金融", "营商环境"),
    ),
    (
        "governance",
        "社会治理",
        False,
        ("基层治理", "信访与矛盾化解", "应急管理", "公共服务", "民族宗教工作"),
    ),
    (
        "leadership",
        "领导能力",
        False,
        ("战略思维与决策", "抓落实能力", "沟通协调", "干部选拔与管理"),
    ),
    (
        "digital",
        "数字素养",
        False,
        ("数字政府建设", "数据分析与应用", "网络安全", "人工智能与新技术"),
    ),
    ("ecology", "生态文明", False, ("生态环境保护", "双碳与能源转型", "自然资源管理")),
    ("culture", "历史文化", False, ("中华优秀传统文化", "湖湘文化", "红色文化")),
    (
        "professional",
        "专业能力",
        False,
        (
            "财务与审计",
            "人力资源与编制",
            "项目与资金管理",
            "新闻宣传与舆论引导",
            "纪检监察业务",
            "机关党建实务",
        ),
    ),
)
SINGLES = ("政策要点", "实践路径", "典型案例", "热点问答", "前沿动态", "基础知识")
ROLE_NEEDS: dict[str, tuple[tuple, ...]] = {
    "head": (("leadership", 0.8), ("theory", 0, 0.8), ("governance", 0.6)),
    "branch_manager": (("governance", 0, 0.7), ("leadership", 2, 0.6)),
    "spokesperson": (("professional", 3, 0.8), ("governance", 1, 0.6)),
    "supervisor": (("professional", 4, 0.8), ("party", 2, 0.7)),
    "project_manager": (("professional", 2, 0.7), ("economy", 0.6)),
    "finance": (("professional", 0, 0.8), ("economy", 3, 0.6)),
    "membership": (("governance", 3, 0.6), ("governance", 1, 0.6)),
    "hr": (("professional", 1, 0.8), ("leadership", 3, 0.6)),
    "party_worker": (("professional", 5, 0.8), ("party", 0.7)),
    "other": (("law", 1, 0.6), ("digital", 0, 0.5), ("governance", 0, 0.5)),
}
CITIES = (
    ("长沙", 0.2),
    ("株洲", 0.07),
    ("湘潭", 0.06),
    ("衡阳", 0.09),
    ("邵阳", 0.08),
    ("岳阳", 0.07),
    ("常德", 0.07),
    ("张家界", 0.03),
    ("益阳", 0.06),
    ("郴州", 0.06),
    ("永州", 0.07),
    ("怀化", 0.07),
    ("娄底", 0.05),
    ("湘西", 0.02),
)
ORGANS = (
    "发展和改革委员会",
    "教育局",
    "民政局",
    "财政局",
    "人力资源和社会保障局",
    "自然资源局",
    "生态环境局",
    "住房和城乡建设局",
    "交通运输局",
    "农业农村局",
    "商务局",
    "文化和旅游局",
    "卫生健康委员会",
    "应急管理局",
    "审计局",
    "市场监督管理局",
    "统计局",
    "信访局",
    "组织部",
    "宣传部",
    "统战部",
    "政法委",
    "纪委监委",
    "总工会",
    "妇联",
)
INSTITUTIONS = (
    "党校",
    "档案馆",
    "疾病预防控制中心",
    "社会科学研究中心",
    "公共资源交易中心",
    "政务服务中心",
    "融媒体中心",
    "农业科学研究所",
)
ROLE_SHARES = {
    "finance": 0.08,
    "hr": 0.06,
    "project_manager": 0.10,
    "party_worker": 0.08,
    "supervisor": 0.06,
    "spokesperson": 0.03,
    "branch_manager": 0.05,
    "membership": 0.04,
    "other": 0.50,
}


def online_credits(hours: float) -> float:
    """Credits of an online or live course: 0.625 a 学时 (5 per 8-hour day, source 002),
    rounded up to a multiple of 0.5 (in the learner's favour)."""
    return float(np.ceil(hours * 0.625 * 2 - 1e-9) / 2)


def _online_hours(rng: np.random.Generator) -> float:
    return float(rng.choice((0.5, 1, 1.5, 2, 3, 4), p=(0.05, 0.1, 0.1, 0.2, 0.3, 0.25)))


#: cadre products: (share, kind)
PRODUCTS = (
    (0.14, "series"),
    (0.10, "cases"),
    (0.56, "single"),
    (0.12, "live"),
    (0.06, "offline"),
    (0.02, "blended"),
)


def _join(p1: str, p2: str) -> str:
    return f"{p1}与{p2}" if p2 else p1


def cadre_products(rng: np.random.Generator, p1: str, p2: str, year: int, serial: int) -> list:
    """The parts of one cadre-academy product (see ``engine.demo.renewal``)."""
    kind = PRODUCTS[int(rng.choice(len(PRODUCTS), p=[s for s, _ in PRODUCTS]))][1]
    if kind in ("series", "cases"):
        parts, label, p_req = (
            (("（一）", "（二）", "（三）"), "专题", 0.7)
            if kind == "series"
            else (("（上）", "（下）"), "案例精讲", 0.5)
        )
        out = []
        for j, part in enumerate(parts):
            h = _online_hours(rng)
            after = j > 0 and rng.random() < p_req
            title = f"{_join(p1, p2)}{label}{part}"
            out.append(Part(title, "online", h, "lecture", online_credits(h), after))
        return out
    if kind == "single":
        h = _online_hours(rng)
        method = str(rng.choice(METHODS, p=(0.6, 0.15, 0.1, 0.15)))
        title = f"{_join(p1, p2)}：{rng.choice(SINGLES)}"
        return [Part(title, "online", h, method, online_credits(h))]
    if kind == "live":
        h = float(rng.choice((1.5, 2, 3)))
        title = f"{p1}直播课堂" + (f"：{p2}" if p2 else "")
        return [Part(title, "live", h, "heuristic", online_credits(h))]
    if kind == "offline":
        days = int(rng.choice((3, 4, 5, 7, 10), p=(0.3, 0.2, 0.3, 0.1, 0.1)))
        method = str(rng.choice(("participatory", "case", "heuristic", "lecture")))
        title = f"省委党校{_join(p1, p2)}专题研讨班（{year}-{serial}）"
        return [Part(title, "offline", 8.0 * days, method)]
    return [Part(f"{_join(p1, p2)}网络+面授专题班", "blended", 24.0, "case")]


def build_cadre_catalog(
    seed: int,
    start: object = "2023-01-01",
    end: object = "2027-12-31",
    fx: Effects | None = None,
) -> Catalog:
    """The academy's renewing catalogue over ``[start, end]`` (``engine.demo.renewal``)."""
    rng = np.random.default_rng([seed, 11])
    rows, subs, n = [], {}, 0
    for key, name, _, children in DOMAINS:
        n += 1
        root = f"SK{n:02d}"
        rows.append((root, name, None))
        subs[key] = []
        for child in children:
            n += 1
            rows.append((f"SK{n:02d}", child, root))
            subs[key].append(f"SK{n:02d}")
    skills = pd.DataFrame(rows, columns=["skill_id", "name", "parent_id"])
    found = frozenset(k for k, _, f, _ in DOMAINS if f)
    r = build_renewing(
        rng,
        CADRE_TOPICS,
        skills,
        {s for k in found for s in subs[k]},
        cadre_products,
        per_quarter=40,
        id_prefix="KC",
        id_width=4,
        start=np.datetime64(start, "D"),  # type: ignore[call-overload]
        end=np.datetime64(end, "D"),  # type: ignore[call-overload]
        title_noise=(fx or Effects()).title_noise,
        skill_noise=(fx or Effects()).skill_noise,
    )
    return finish_catalog(rng, skills, subs, ROLE_NEEDS, r, found, CADRE_TOPICS)


def build_cadre_population(
    rng: np.random.Generator,
    n_units: int,
    start: np.datetime64,
    end: np.datetime64,
    fx: Effects,
    sc: Scenario,
) -> Population:
    level = rng.choice(3, size=n_units, p=(0.15, 0.35, 0.5))
    organ = rng.random(n_units) < 0.65
    city_p = np.array([c[1] for c in CITIES])
    city = rng.choice(len(CITIES), size=n_units, p=city_p / city_p.sum())
    names = []
    seen: dict[str, int] = {}
    for u in range(n_units):
        dept = str(rng.choice(ORGANS if organ[u] else INSTITUTIONS))
        cname = CITIES[city[u]][0]
        base = (
            f"湖南省{dept}"
            if level[u] == 0
            else f"{cname}市{dept}"
            if level[u] == 1
            else f"{cname}第{int(rng.integers(1, 13))}县区{dept}"
        )
        seen[base] = seen.get(base, 0) + 1
        names.append(base if seen[base] == 1 else f"{base}（{seen[base]}）")
    orgs = pd.DataFrame(
        {
            "org_id": np.char.add("DW", np.char.zfill(np.arange(1, n_units + 1).astype(str), 6)),
            "name": names,
            "org_type": np.where(organ, "social_group", "social_service_org"),
            "region": np.where(level == 0, "长沙", np.array([c[0] for c in CITIES])[city]),
            "ministry_managed": np.zeros(n_units, dtype=bool),
            "rating": np.full(n_units, np.nan),
        }
    )
    culture = rng.normal(0.0, fx.culture_sd * sc.culture_scale, n_units)
    access = np.zeros(n_units)
    size = np.maximum(5, np.round(np.exp(rng.normal(3.3, 0.6, n_units)))).astype(int)
    org_of = np.repeat(np.arange(n_units), size)
    s = len(org_of)
    rank = np.arange(s) - np.repeat(np.cumsum(size) - size, size)
    leaders = np.maximum(1, np.round(0.12 * size)).astype(int)
    others = list(ROLE_SHARES)
    p = np.array(list(ROLE_SHARES.values()))
    prim = np.where(
        rank < leaders[org_of],
        ROLES.index("head"),
        np.array([ROLES.index(r) for r in others])[rng.choice(len(others), size=s, p=p / p.sum())],
    )
    window = int((end - start).astype(int)) + 1
    years = window / 365.25
    new = rng.random(s) < 1 - (1 - 0.05) ** years
    hired = np.where(
        new, start + rng.integers(0, window, s), start - rng.integers(30, 25 * 365, s)
    ).astype("datetime64[D]")
    leaves = rng.random(s) < 1 - (1 - 0.03) ** years
    left = departures(rng, hired, leaves, start, end)
    staff = pd.DataFrame(
        {
            "staff_id": np.char.add("GB", np.char.zfill(np.arange(1, s + 1).astype(str), 7)),
            "org_id": orgs["org_id"].to_numpy()[org_of],
            "role": np.array(ROLES)[prim],
            "hired_on": hired,
            "left_on": left,
            "gender": np.where(rng.random(s) < 0.45, "女", "男"),
        }
    )
    diligence = rng.normal(0.0, fx.diligence_sd * sc.diligence_scale, s)
    return Population(orgs, staff, culture, access, diligence, org_of, prim)
