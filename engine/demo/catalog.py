"""The national demo course catalog: a skill hierarchy, a renewing set of modules
(``engine.demo.renewal``), module→skill weights and the skills each role requires.

Structure (wide base + flexible modules, 宽基础、活模块, source 002):
- 11 root skills (domains), 47 sub-skills under them (58 skills);
- 14 products launched a quarter: a three-level series (概论 → 实务 → 进阶, 25 %), a
  single module (55 %) or a workshop (offline / blended / live, 20 %), ≈ 190 modules
  offered a year; a module whose primary skill is in the theory or policy/law domain is
  ``foundation`` tier;
- prerequisites only point at the previous part of a series, so the prerequisite graph
  is acyclic by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.demo.effects import Effects
from engine.demo.renewal import Part, Renewed, build_renewing
from engine.demo.topics import NATIONAL_TOPICS
from engine.schema import METHODS, ROLES

#: domain key, Chinese name, foundation?, sub-skills
DOMAINS: tuple[tuple[str, str, bool, tuple[str, ...]], ...] = (
    (
        "theory",
        "政治理论与党建",
        True,
        ("新时代中国特色社会主义思想", "党的建设", "党风廉政建设", "意识形态工作"),
    ),
    (
        "law",
        "政策法规",
        True,
        (
            "社会组织登记管理",
            "慈善法与公益规范",
            "民法典与合同",
            "税收优惠政策",
            "数据与个人信息保护",
        ),
    ),
    (
        "governance",
        "治理与战略",
        False,
        ("法人治理结构", "战略规划", "章程与内部制度", "风险管理", "领导力"),
    ),
    (
        "finance",
        "财务管理",
        False,
        ("会计核算", "预算管理", "票据与税务", "审计与内部控制", "资产管理"),
    ),
    (
        "project",
        "项目管理",
        False,
        ("项目设计", "项目执行与监测", "项目评估", "政府购买服务", "筹款与资源动员"),
    ),
    ("membership", "会员服务", False, ("会员发展", "会员服务与权益", "行业自律", "会费管理")),
    ("hr", "人力资源", False, ("招聘与配置", "薪酬绩效", "劳动法规", "培训与发展", "志愿者管理")),
    ("comms", "新闻宣传与舆情", False, ("新闻发布", "舆情应对", "新媒体运营", "品牌传播")),
    ("oversight", "监督与合规", False, ("监事履职", "信息公开", "合规审查", "年检与评估")),
    ("branch", "分支机构管理", False, ("分支机构设立与管理", "代表机构管理", "属地协调")),
    ("digital", "数字化能力", False, ("数字办公", "数据分析", "网络安全")),
)

LEVELS = ("概论", "实务", "进阶")

#: role → (domain, level) for every sub-skill of the domain; (domain, index, level) for one.
ROLE_NEEDS: dict[str, tuple[tuple, ...]] = {
    "head": (("governance", 0.8), ("law", 0.6), ("theory", 0, 0.6), ("comms", 1, 0.5)),
    "branch_manager": (("branch", 0.8), ("governance", 2, 0.6), ("law", 0, 0.6)),
    "spokesperson": (("comms", 0.8), ("law", 4, 0.5)),
    "supervisor": (("oversight", 0.8), ("finance", 3, 0.7), ("law", 0, 0.6)),
    "project_manager": (("project", 0.8), ("finance", 1, 0.5)),
    "finance": (("finance", 0.8), ("law", 3, 0.7)),
    "membership": (("membership", 0.8), ("comms", 2, 0.5)),
    "hr": (("hr", 0.8), ("law", 2, 0.6)),
    "party_worker": (("theory", 0.8), ("oversight", 1, 0.5)),
    "other": (("law", 0, 0.5), ("digital", 0.5)),
}


@dataclass
class Catalog:
    skills: pd.DataFrame
    modules: pd.DataFrame
    module_skills: pd.DataFrame
    role_requirements: pd.DataFrame
    quality: np.ndarray  # latent module quality (satisfaction points), by module row
    primary: np.ndarray  # module row → its primary skill_id (the skill it is chosen for)
    series_next: np.ndarray  # module row → row of the next part of its series, or −1
    domain: dict[str, str]  # sub-skill id → domain key
    foundation_domains: frozenset[str]
    renewed: Renewed  # launch, retirement, classes and latent topics of each module
    topics: tuple  # the scenario's latent topics (``engine.demo.topics``)


def _skills() -> tuple[pd.DataFrame, dict[str, list[str]]]:
    rows, subs = [], {}
    n = 0
    for key, name, _, children in DOMAINS:
        n += 1
        root = f"SK{n:02d}"
        rows.append((root, name, None))
        subs[key] = []
        for child in children:
            n += 1
            sid = f"SK{n:02d}"
            rows.append((sid, child, root))
            subs[key].append(sid)
    return pd.DataFrame(rows, columns=["skill_id", "name", "parent_id"]), subs


def _mode(rng: np.random.Generator, foundation: bool, level: int) -> str:
    if foundation:
        p = (0.10, 0.60, 0.20, 0.10)
    else:
        p = ((0.18, 0.55, 0.17, 0.10), (0.28, 0.45, 0.15, 0.12), (0.40, 0.30, 0.10, 0.20))[level]
    return str(rng.choice(("offline", "online", "live", "blended"), p=p))


def _hours(rng: np.random.Generator, mode: str) -> float:
    if mode == "online":
        return float(rng.choice((1, 2, 3, 4, 6)))
    if mode == "live":
        return float(rng.choice((2, 3)))
    if mode == "blended":
        return float(rng.choice((8, 12, 16, 24)))
    return 8.0 * float(rng.choice((1, 2, 3, 4, 5), p=(0.15, 0.3, 0.3, 0.15, 0.1)))


#: national products: (share, kind)
PRODUCTS = ((0.25, "series"), (0.55, "single"), (0.20, "workshop"))
SINGLE_SUFFIX = ("实务", "专题", "要点解读", "案例分析", "能力提升")


def _join(p1: str, p2: str) -> str:
    return f"{p1}与{p2}" if p2 else p1


def national_products(
    rng: np.random.Generator, p1: str, p2: str, year: int, serial: int
) -> list[Part]:
    """The parts of one national-plan product (see ``engine.demo.renewal``)."""
    kind = PRODUCTS[int(rng.choice(len(PRODUCTS), p=[s for s, _ in PRODUCTS]))][1]
    method = str(rng.choice(METHODS, p=(0.45, 0.15, 0.2, 0.2)))
    if kind == "series":
        parts = []
        for level, suffix in enumerate(LEVELS):
            mode = _mode(rng, False, level)
            after = level > 0 and rng.random() < (0.5 if level == 1 else 0.75)
            parts.append(
                Part(
                    f"{_join(p1, p2)}{suffix}",
                    mode,
                    _hours(rng, mode),
                    method,
                    after_previous=after,
                )
            )
        return parts
    if kind == "single":
        mode = str(rng.choice(("offline", "online", "live", "blended"), p=(0.2, 0.5, 0.18, 0.12)))
        suffix = str(rng.choice(SINGLE_SUFFIX))
        return [Part(f"{_join(p1, p2)}{suffix}", mode, _hours(rng, mode), method)]
    mode = str(rng.choice(("offline", "blended", "live"), p=(0.5, 0.3, 0.2)))
    return [Part(f"{_join(p1, p2)}工作坊", mode, _hours(rng, mode), "case")]


def build_catalog(
    seed: int,
    start: object = "2025-01-01",
    end: object = "2027-12-31",
    fx: Effects | None = None,
) -> Catalog:
    """The national plan's renewing catalogue over ``[start, end]`` (``engine.demo.renewal``)."""
    rng = np.random.default_rng([seed, 1])
    skills, subs = _skills()
    found = frozenset(k for k, _, f, _ in DOMAINS if f)
    foundation_skills = {s for k in found for s in subs[k]}
    r = build_renewing(
        rng,
        NATIONAL_TOPICS,
        skills,
        foundation_skills,
        national_products,
        per_quarter=14,
        id_prefix="M",
        id_width=3,
        start=np.datetime64(start, "D"),  # type: ignore[call-overload]
        end=np.datetime64(end, "D"),  # type: ignore[call-overload]
        title_noise=(fx or Effects()).title_noise,
        skill_noise=(fx or Effects()).skill_noise,
    )
    return finish_catalog(rng, skills, subs, ROLE_NEEDS, r, found, NATIONAL_TOPICS)


def finish_catalog(
    rng: np.random.Generator,
    skills: pd.DataFrame,
    subs: dict[str, list[str]],
    role_needs: dict[str, tuple[tuple, ...]],
    r: Renewed,
    found: frozenset[str],
    topics: tuple,
) -> Catalog:
    """Role requirements, latent quality and the ``Catalog`` of a renewed module set."""
    reqs = []
    for role in ROLES:
        for need in role_needs[role]:
            if len(need) == 2:
                reqs += [(role, s, need[1]) for s in subs[need[0]]]
            else:
                reqs.append((role, subs[need[0]][need[1]], need[2]))
    req = pd.DataFrame(reqs, columns=["role", "skill_id", "level"]).drop_duplicates(
        ["role", "skill_id"]
    )
    quality = rng.normal(0.0, 1.0, size=len(r.modules))
    domain = {s: key for key, children in subs.items() for s in children}
    return Catalog(
        skills,
        r.modules,
        r.module_skills,
        req.reset_index(drop=True),
        quality,
        r.primary,
        r.series_next,
        domain,
        found,
        r,
        topics,
    )
