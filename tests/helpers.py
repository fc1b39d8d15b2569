"""A tiny hand-made valid dataset, as rows of strings, for validation tests."""

from __future__ import annotations

import copy
import csv
from pathlib import Path

TINY: dict[str, list[dict[str, str]]] = {
    "organizations": [
        {
            "org_id": "O1",
            "name": "中国教育协会",
            "org_type": "social_group",
            "region": "北京",
            "ministry_managed": "true",
            "rating": "4",
        },
        {
            "org_id": "O2",
            "name": "中国慈善基金会",
            "org_type": "foundation",
            "region": "上海",
            "ministry_managed": "false",
            "rating": "",
        },
    ],
    "staff": [
        {
            "staff_id": "S1",
            "org_id": "O1",
            "role": "head|spokesperson",
            "hired_on": "2020-01-01",
            "left_on": "",
        },
        {
            "staff_id": "S2",
            "org_id": "O2",
            "role": "finance",
            "hired_on": "2025-07-01",
            "left_on": "2026-06-30",
        },
    ],
    "skills": [
        {"skill_id": "K1", "name": "财务管理", "parent_id": ""},
        {"skill_id": "K2", "name": "预算管理", "parent_id": "K1"},
    ],
    "modules": [
        {
            "module_id": "M1",
            "title": "预算概论",
            "mode": "online",
            "hours": "2",
            "tier": "foundation",
            "prerequisites": "",
        },
        {
            "module_id": "M2",
            "title": "预算实务",
            "mode": "offline",
            "hours": "24",
            "tier": "elective",
            "prerequisites": "M1",
        },
    ],
    "module_skills": [
        {"module_id": "M1", "skill_id": "K2", "weight": "1"},
        {"module_id": "M2", "skill_id": "K2", "weight": "0.5"},
    ],
    "role_requirements": [
        {"role": "finance", "skill_id": "K2", "level": "0.8"},
        {"role": "head", "skill_id": "K1", "level": "0.5"},
    ],
    "sessions": [
        {
            "session_id": "E1",
            "module_id": "M2",
            "starts_on": "2025-09-01",
            "ends_on": "2025-09-03",
            "capacity": "40",
        },
        {
            "session_id": "E2",
            "module_id": "M2",
            "starts_on": "2026-03-01",
            "ends_on": "2026-03-03",
            "capacity": "",
        },
    ],
    "participations": [
        {
            "participation_id": "P1",
            "staff_id": "S1",
            "module_id": "M1",
            "session_id": "",
            "enrolled_on": "2025-02-01",
            "completed_on": "2025-02-10",
            "status": "completed",
            "hours": "2",
        },
        {
            "participation_id": "P2",
            "staff_id": "S2",
            "module_id": "M2",
            "session_id": "E1",
            "enrolled_on": "2025-08-01",
            "completed_on": "",
            "status": "no_show",
            "hours": "0",
        },
    ],
    "assessments": [
        {
            "assessment_id": "A1",
            "staff_id": "S1",
            "module_id": "M1",
            "taken_on": "2025-02-10",
            "score": "88.5",
        },
        {
            "assessment_id": "A2",
            "staff_id": "S2",
            "module_id": "M1",
            "taken_on": "2025-08-10",
            "score": "61",
        },
    ],
    "outcomes": [
        {
            "outcome_id": "X1",
            "staff_id": "S1",
            "module_id": "M1",
            "measured_on": "2025-02-10",
            "kind": "satisfaction",
            "value": "90",
        },
        {
            "outcome_id": "X2",
            "staff_id": "S1",
            "module_id": "M1",
            "measured_on": "2025-02-01",
            "kind": "pre",
            "value": "50",
        },
    ],
}


def tiny() -> dict[str, list[dict[str, str]]]:
    return copy.deepcopy(TINY)


def write_rows(path: Path, rows: list[dict[str, str]], encoding: str = "utf-8") -> Path:
    with open(path, "w", newline="", encoding=encoding) as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_tiny(folder: Path, data: dict[str, list[dict[str, str]]] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for table, rows in (data or TINY).items():
        write_rows(folder / f"{table}.csv", rows)
    return folder


def typed_tables(data: dict[str, list[dict[str, str]]]):  # noqa: ANN201
    """Validate in-memory rows into typed canonical frames (the path every file takes)."""
    import pandas as pd

    from engine.readers import ROW, RawTable
    from engine.schema import TABLES
    from engine.validate import validate_dataset

    raws = {}
    for table, rows in data.items():
        cols = TABLES[table].names
        frame = pd.DataFrame(rows, columns=cols if not rows else None).fillna("")
        for c in cols:
            if c not in frame.columns:
                frame[c] = ""
        frame[ROW] = range(2, len(frame) + 2)
        raws[table] = RawTable(table, f"{table}.csv", frame)
    return validate_dataset(raws)
