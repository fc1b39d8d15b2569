"""Hand-built datasets with known answers for the feature tests."""

from __future__ import annotations

import pandas as pd

from tests.helpers import typed_tables

MODULES = [
    # id, mode, hours, tier, prerequisites
    ("ON2", "online", "2", "foundation", ""),
    ("ON6", "online", "6", "elective", ""),
    ("ON10", "online", "10", "elective", ""),
    ("OFF5D", "offline", "40", "elective", ""),
    ("OFF2D", "offline", "16", "elective", ""),
    ("LIVE", "live", "3", "elective", "ON2"),
]


def world(
    staff: list[tuple[str, str, str, str, str]],
    parts: list[tuple[str, str, str, str]],
    scores: list[tuple[str, str, str, str]] = (),
    outcomes: list[tuple[str, str, str, str, str]] = (),
) -> dict[str, pd.DataFrame]:
    """staff: (id, org, role, hired_on, left_on); parts: (staff, module, date, status) —
    the date is completed_on for completed records, enrolled_on otherwise;
    scores: (staff, module, taken_on, score); outcomes: (staff, module, date, kind, value).  O1 is ministry-managed, O2 and O3 not."""
    data = {
        "organizations": [
            {
                "org_id": o,
                "name": f"org {o}",
                "org_type": t,
                "region": r,
                "ministry_managed": mm,
                "rating": "",
            }
            for o, t, r, mm in (
                ("O1", "social_group", "北京", "true"),
                ("O2", "foundation", "上海", "false"),
                ("O3", "social_group", "甘肃", "false"),
            )
        ],
        "staff": [
            {"staff_id": s, "org_id": o, "role": r, "hired_on": h, "left_on": le}
            for s, o, r, h, le in staff
        ],
        "skills": [
            {"skill_id": "K0", "name": "财务管理", "parent_id": ""},
            {"skill_id": "K1", "name": "预算管理", "parent_id": "K0"},
            {"skill_id": "K2", "name": "会计核算", "parent_id": "K0"},
            {"skill_id": "K3", "name": "新闻发布", "parent_id": ""},
        ],
        "modules": [
            {
                "module_id": m,
                "title": f"module {m}",
                "mode": mode,
                "hours": h,
                "tier": tier,
                "prerequisites": pre,
            }
            for m, mode, h, tier, pre in MODULES
        ],
        "module_skills": [
            {"module_id": "ON2", "skill_id": "K1", "weight": "1"},
            {"module_id": "ON6", "skill_id": "K1", "weight": "0.5"},
            {"module_id": "ON6", "skill_id": "K2", "weight": "1"},
            {"module_id": "OFF5D", "skill_id": "K2", "weight": "1"},
            {"module_id": "LIVE", "skill_id": "K3", "weight": "1"},
            {"module_id": "ON10", "skill_id": "K3", "weight": "1"},
            {"module_id": "OFF2D", "skill_id": "K3", "weight": "0.5"},
        ],
        "role_requirements": [
            {"role": "finance", "skill_id": "K1", "level": "0.7"},
            {"role": "finance", "skill_id": "K2", "level": "0.8"},
            {"role": "head", "skill_id": "K3", "level": "0.6"},
            {"role": "spokesperson", "skill_id": "K3", "level": "0.9"},
        ],
        "sessions": [],
        "participations": [],
        "assessments": [
            {"assessment_id": f"A{i}", "staff_id": s, "module_id": m, "taken_on": d, "score": sc}
            for i, (s, m, d, sc) in enumerate(scores)
        ],
        "outcomes": [
            {
                "outcome_id": f"X{i}",
                "staff_id": st,
                "module_id": m,
                "measured_on": d,
                "kind": k,
                "value": v,
            }
            for i, (st, m, d, k, v) in enumerate(outcomes)
        ],
    }
    for i, (s, m, d, st) in enumerate(parts):
        done = st == "completed"
        hours = dict((mm, h) for mm, _, h, _, _ in MODULES)[m]
        data["participations"].append(
            {
                "participation_id": f"P{i}",
                "staff_id": s,
                "module_id": m,
                "session_id": "",
                "enrolled_on": (pd.Timestamp(d) - pd.Timedelta(days=3)).date().isoformat()
                if done
                else d,
                "completed_on": d if done else "",
                "status": st,
                "hours": hours if done else "0",
            }
        )
    return typed_tables(data)
