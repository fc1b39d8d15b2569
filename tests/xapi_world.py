"""A tiny world for the xAPI tests: one organization, three people, three online
modules, one platform account per person mapped (but u3's), two activities mapped."""

from __future__ import annotations

import uuid
from pathlib import Path

import pandas as pd

from engine.ingest import ingest
from engine.store import Store

HOME = "https://lms.example.cn"
ADL = "http://adlnet.gov/expapi/verbs/"
COURSE = HOME + "/course/"


def write_world(folder: Path, map_u3: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    frames = {
        "organizations": {"org_id": ["O1"], "name": ["中国教育协会"], "org_type": ["social_group"],
                          "region": ["北京"], "ministry_managed": [True], "rating": [None]},
        "staff": {"staff_id": ["S1", "S2", "S3"], "org_id": ["O1"] * 3,
                  "role": ["finance", "hr", "head"],
                  "hired_on": ["2020-01-01", "2026-06-01", "2019-05-01"], "left_on": [None] * 3},
        "skills": {"skill_id": ["K1"], "name": ["财务管理"], "parent_id": [None]},
        "modules": {"module_id": ["M1", "M2", "M3"], "title": ["财务管理实务", "党建基础", "微课"],
                    "mode": ["online"] * 3, "hours": [2.0, 1.5, 0.5],
                    "tier": ["elective", "foundation", "elective"], "prerequisites": ["", "", ""]},
        "accounts": {"home_page": [HOME] * (3 if map_u3 else 2),
                     "name": ["u1", "u2", "u3"][: 3 if map_u3 else 2],
                     "staff_id": ["S1", "S2", "S3"][: 3 if map_u3 else 2]},
        "activities": {"activity_id": [COURSE + "1", COURSE + "2"], "module_id": ["M1", "M2"]},
    }  # fmt: skip
    for name, cols in frames.items():
        pd.DataFrame(cols).to_csv(folder / f"{name}.csv", index=False)
    return folder


def load_world(store: Store, folder: Path) -> Store:
    ingest(write_world(folder), store)
    return store


def statement(
    verb: str,
    user: str = "u1",
    course: str = "1",
    when: str = "2026-03-01T09:00:00+08:00",
    **kw: object,
) -> dict:
    s: dict = {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "account": {"homePage": HOME, "name": user}},
        "verb": {"id": verb if ":" in verb else ADL + verb, "display": {"zh-CN": verb}},
        "object": {"objectType": "Activity", "id": COURSE + course},
        "timestamp": when,
    }
    s.update(kw)
    return s
