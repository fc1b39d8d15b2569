"""Demo organizations and staff, with their latent traits (see ``engine.demo``)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from engine.demo.effects import Effects
from engine.schema import ORG_TYPES, ROLES

#: province, share of national-level organizations, log access to offline sessions.
#: Most national organizations sit in Beijing, where the service centre runs classes;
#: the north-east and north-west have the fewest and the farthest to travel.
REGIONS: tuple[tuple[str, float, float], ...] = (
    ("北京", 0.70, 0.9),
    ("天津", 0.010, 0.4),
    ("河北", 0.010, 0.4),
    ("上海", 0.035, 0.2),
    ("江苏", 0.025, 0.2),
    ("浙江", 0.022, 0.2),
    ("广东", 0.025, 0.2),
    ("山东", 0.020, 0.2),
    ("福建", 0.010, 0.0),
    ("湖北", 0.012, 0.0),
    ("湖南", 0.010, 0.0),
    ("河南", 0.010, 0.0),
    ("安徽", 0.008, 0.0),
    ("江西", 0.006, 0.0),
    ("四川", 0.012, -0.3),
    ("重庆", 0.007, -0.3),
    ("陕西", 0.008, -0.2),
    ("山西", 0.006, 0.0),
    ("辽宁", 0.007, -0.6),
    ("吉林", 0.004, -0.6),
    ("黑龙江", 0.004, -0.6),
    ("广西", 0.005, -0.4),
    ("云南", 0.005, -0.4),
    ("贵州", 0.004, -0.4),
    ("海南", 0.003, -0.3),
    ("内蒙古", 0.004, -0.6),
    ("甘肃", 0.003, -0.8),
    ("宁夏", 0.002, -0.8),
    ("青海", 0.002, -0.8),
    ("新疆", 0.003, -0.8),
    ("西藏", 0.002, -0.8),
)
FIELDS = (
    "教育",
    "科技",
    "文化",
    "卫生",
    "体育",
    "农业",
    "工业",
    "商业",
    "环境保护",
    "扶贫",
    "慈善",
    "法律",
    "金融",
    "交通",
    "能源",
    "建筑",
    "旅游",
    "出版",
    "电子",
    "化工",
    "纺织",
    "食品",
    "医药",
    "机械",
    "信息",
    "物流",
    "海洋",
    "航空",
    "老龄",
    "青少年",
)
SUFFIX = {
    "social_group": ("协会", "学会", "研究会", "促进会", "联合会", "商会"),
    "foundation": ("基金会", "发展基金会", "公益基金会"),
    "social_service_org": ("研究院", "服务中心", "发展中心"),
}


@dataclass
class Population:
    orgs: pd.DataFrame
    staff: pd.DataFrame
    culture: np.ndarray  # per org
    access: np.ndarray  # per org (log multiplier of offline sessions)
    diligence: np.ndarray  # per staff
    org_of: np.ndarray  # staff → org row
    primary_role: np.ndarray  # staff → index into ROLES

    @property
    def roles(self) -> list[list[str]]:
        """Each staff member's roles (primary first), from the ``role`` column."""
        return [r.split("|") for r in self.staff["role"]]

    @cached_property
    def hired(self) -> np.ndarray:
        return self.staff["hired_on"].to_numpy().astype("datetime64[D]")

    @cached_property
    def left(self) -> np.ndarray:
        """Last employed day; staff who do not leave get a day far past the window."""
        left = self.staff["left_on"].to_numpy().astype("datetime64[D]")
        return np.where(np.isnat(left), np.datetime64("2200-01-01"), left)

    @cached_property
    def org_type_index(self) -> np.ndarray:
        return pd.Index(ORG_TYPES).get_indexer(self.orgs["org_type"])


def departures(
    rng: np.random.Generator,
    hired: np.ndarray,
    leaves: np.ndarray,
    start: np.datetime64,
    end: np.datetime64,
) -> np.ndarray:
    """Leaving dates for the people flagged in ``leaves``: uniform between 30 days after
    they were hired (or the window opened) and the window's end; NaT for the rest."""
    earliest = np.maximum(hired, start) + 30
    span = np.maximum((end - earliest).astype(int), 1)
    return np.where(
        leaves & (earliest < end),
        earliest + (rng.random(len(hired)) * span).astype(int),
        np.datetime64("NaT"),
    ).astype("datetime64[D]")


def build_orgs(
    rng: np.random.Generator, n: int, fx: Effects
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    types = rng.choice(list(SUFFIX), size=n, p=(0.88, 0.09, 0.03))
    share = np.array([r[1] for r in REGIONS])
    reg = rng.choice(len(REGIONS), size=n, p=share / share.sum())
    rated = rng.random(n) < 0.65
    rating = np.where(
        rated, rng.choice([1, 2, 3, 4, 5], size=n, p=(0.05, 0.15, 0.35, 0.3, 0.15)), np.nan
    )
    field = rng.integers(0, len(FIELDS), size=n)
    suffix_pick = rng.integers(0, 6, size=n)
    names = [
        f"中国{FIELDS[f]}{SUFFIX[t][s % len(SUFFIX[t])]}"
        for f, t, s in zip(field, types, suffix_pick, strict=True)
    ]
    seen: dict[str, int] = {}
    for i, nm in enumerate(names):
        seen[nm] = seen.get(nm, 0) + 1
        if seen[nm] > 1:
            names[i] = f"{nm}（{seen[nm]}）"
    orgs = pd.DataFrame(
        {
            "org_id": np.char.add("ORG", np.char.zfill(np.arange(1, n + 1).astype(str), 6)),
            "name": names,
            "org_type": types,
            "region": np.array([r[0] for r in REGIONS])[reg],
            "ministry_managed": rng.random(n) < 0.25,
            "rating": rating,
        }
    )
    centred = np.where(rated, np.nan_to_num(rating) - 3.0, -0.5)
    culture = fx.rating_culture * centred + rng.normal(0, fx.culture_sd, n)
    access = fx.region_access * np.array([r[2] for r in REGIONS])[reg]
    return orgs, culture, access


def _role_counts(rng: np.random.Generator, orgs: pd.DataFrame) -> dict[str, np.ndarray]:
    n = len(orgs)
    sg = (orgs["org_type"] == "social_group").to_numpy()
    mm = orgs["ministry_managed"].to_numpy()
    return {
        "head": np.ones(n, dtype=int),
        "branch_manager": np.where(sg, rng.poisson(0.5, n), 0),
        "spokesperson": (rng.random(n) < 0.15).astype(int),  # a separate spokesperson
        "supervisor": (rng.random(n) < 0.6).astype(int),
        "project_manager": rng.poisson(0.6, n),
        "finance": 1 + (rng.random(n) < 0.2).astype(int),
        "membership": np.where(sg, rng.poisson(0.5, n), 0),
        "hr": (rng.random(n) < 0.4).astype(int),
        "party_worker": (rng.random(n) < np.where(mm, 0.6, 0.25)).astype(int),
        "other": rng.poisson(0.5, n),
    }


def build_staff(
    rng: np.random.Generator,
    orgs: pd.DataFrame,
    start: np.datetime64,
    end: np.datetime64,
    fx: Effects,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    counts = _role_counts(rng, orgs)
    org_rows = np.concatenate([np.repeat(np.arange(len(orgs)), c) for c in counts.values()])
    prim = np.concatenate([np.full(c.sum(), ROLES.index(r)) for r, c in counts.items()])
    order = np.lexsort((prim, org_rows))
    org_rows, prim = org_rows[order], prim[order]
    s = len(org_rows)
    role = np.array(ROLES, dtype=object)[prim]
    # half of heads without a separate spokesperson also speak for the organization
    role[(prim == 0) & (rng.random(s) < 0.45)] += "|spokesperson"
    # one finance officer in ten also handles human resources
    role[(prim == ROLES.index("finance")) & (rng.random(s) < 0.1)] += "|hr"
    window = int((end - start).astype(int)) + 1
    new_hire = rng.random(s) < 0.15
    hired = np.where(
        new_hire, start + rng.integers(0, window, s), start - rng.integers(30, 15 * 365, s)
    ).astype("datetime64[D]")
    leaves = rng.random(s) < 0.12
    left = departures(rng, hired, leaves, start, end)
    staff = pd.DataFrame(
        {
            "staff_id": np.char.add("ST", np.char.zfill(np.arange(1, s + 1).astype(str), 7)),
            "org_id": orgs["org_id"].to_numpy()[org_rows],
            "role": role.astype(str),
            "hired_on": hired,
            "left_on": left,
            "gender": np.where(rng.random(s) < 0.48, "女", "男"),
        }
    )
    diligence = rng.normal(0, fx.diligence_sd, s)
    return staff, org_rows, prim, diligence


def build_population(
    rng: np.random.Generator, n: int, start: np.datetime64, end: np.datetime64, fx: Effects
) -> Population:
    orgs, culture, access = build_orgs(rng, n, fx)
    staff, org_of, prim, diligence = build_staff(rng, orgs, start, end, fx)
    return Population(orgs, staff, culture, access, diligence, org_of, prim)
