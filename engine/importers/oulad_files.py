"""OULAD's files as the importer reads them: each file's columns and their kinds, the
rules a cell breaks, the ``Oulad`` record of typed frames, and the checks on them
(typed cells, duplicate keys, unknown references).  Reading is in
``engine.importers.oulad``."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.errors import Problem, Rule

MISSING = frozenset({"", "?"})
FINAL_RESULTS = ("Pass", "Distinction", "Fail", "Withdrawn")
ASSESSMENT_TYPES = ("TMA", "CMA", "Exam")
PRESENTATION = re.compile(r"^(\d{4})([A-La-l])$")

# per file: column -> kind; kinds: text, int, opt_int, float, opt_float, pres, enum:<a|b>
SPEC: dict[str, dict[str, str]] = {
    "courses": {
        "code_module": "text",
        "code_presentation": "pres",
        "module_presentation_length": "posint",
    },
    "assessments": {
        "code_module": "text",
        "code_presentation": "pres",
        "id_assessment": "int",
        "assessment_type": "enum:" + "|".join(ASSESSMENT_TYPES),
        "date": "opt_int",
        "weight": "weight",
    },
    "studentInfo": {
        "code_module": "text",
        "code_presentation": "pres",
        "id_student": "int",
        "gender": "opt_text",
        "region": "opt_text",
        "highest_education": "opt_text",
        "imd_band": "opt_text",
        "age_band": "opt_text",
        "num_of_prev_attempts": "nonneg_int",
        "studied_credits": "nonneg_int",
        "disability": "opt_text",
        "final_result": "enum:" + "|".join(FINAL_RESULTS),
    },
    "studentRegistration": {
        "code_module": "text",
        "code_presentation": "pres",
        "id_student": "int",
        "date_registration": "opt_int",
        "date_unregistration": "opt_int",
    },
    "studentAssessment": {
        "id_assessment": "int",
        "id_student": "int",
        "date_submitted": "int",
        "is_banked": "enum:0|1",
        "score": "score",
    },
    "vle": {
        "id_site": "int",
        "code_module": "text",
        "code_presentation": "pres",
        "activity_type": "opt_text",
        "week_from": "opt_int",
        "week_to": "opt_int",
    },
    "studentVle": {
        "code_module": "text",
        "code_presentation": "pres",
        "id_student": "int",
        "id_site": "int",
        "date": "int",
        "sum_click": "nonneg_int",
    },
}
REQUIRED = ("courses", "assessments", "studentInfo", "studentRegistration", "studentAssessment")
OPTIONAL = ("vle", "studentVle")
RULES = {
    "text": Rule("not_empty"),
    "pres": Rule("oulad_presentation"),
    "posint": Rule("int_positive"),
    "int": Rule("int"),
    "opt_int": Rule("int_or_missing"),
    "nonneg_int": Rule("int_nonnegative"),
    "weight": Rule("percent"),
    "score": Rule("percent_or_missing"),
}


@dataclass
class Oulad:
    """OULAD's files as typed frames (missing optional files are ``None``)."""

    courses: pd.DataFrame
    assessments: pd.DataFrame
    student_info: pd.DataFrame
    registration: pd.DataFrame
    student_assessment: pd.DataFrame
    vle: pd.DataFrame | None = None
    student_vle: pd.DataFrame | None = None


def _parse(values: pd.Series, kind: str) -> tuple[pd.Series, pd.Series]:
    """Typed values and a mask of invalid cells for one column."""
    missing = values.isin(MISSING)
    if kind in ("text", "opt_text"):
        bad = missing if kind == "text" else pd.Series(False, index=values.index)
        return values.where(~missing, None), bad
    if kind == "pres":
        return values, ~values.str.match(PRESENTATION)
    if kind.startswith("enum:"):
        return values, ~values.isin(kind[5:].split("|"))
    num = pd.to_numeric(values.where(~missing, None), errors="coerce")
    num = num.where(np.isfinite(num))
    unparsed = num.isna() & ~missing
    if kind in ("weight", "score"):
        bad = unparsed | (num < 0) | (num > 100)
        if kind == "weight":
            bad |= missing
        return num.astype(float), bad.fillna(False)
    whole = num.isna() | (num == np.floor(num))
    bad = unparsed | ~whole
    if kind != "opt_int":
        bad |= missing
    if kind == "posint":
        bad |= num <= 0
    if kind == "nonneg_int":
        bad |= num < 0
    bad = bad.fillna(False)
    return num.where(~bad & whole).round().astype("Int64"), bad


def _typed(name: str, raw: pd.DataFrame, problems: list[Problem]) -> pd.DataFrame | None:
    file = f"{name}.csv"
    spec = SPEC[name]
    absent = [c for c in spec if c not in raw.columns]
    for c in absent:
        problems.append(
            Problem(
                file, 0, c, "", f"required column missing (OULAD's {file} has {', '.join(spec)})"
            )
        )
    if absent:
        return None
    out = pd.DataFrame(index=raw.index)
    for col, kind in spec.items():
        typed, bad = _parse(raw[col], kind)
        rule = RULES.get(kind) or Rule("one_of", values=", ".join(kind[5:].split("|")))
        for i in np.flatnonzero(bad.to_numpy())[:50]:
            problems.append(Problem(file, int(i) + 2, col, str(raw[col].iat[i]), rule))
        out[col] = typed
    return out


def _duplicates(frame: pd.DataFrame, keys: list[str], file: str, problems: list[Problem]) -> None:
    dup = frame.duplicated(keys, keep="first").to_numpy()
    for i in np.flatnonzero(dup)[:50]:
        val = "/".join(str(frame[k].iat[i]) for k in keys)
        problems.append(
            Problem(
                file, int(i) + 2, "+".join(keys), val, "duplicate key: each value may appear once"
            )
        )


def _missing_refs(
    frame: pd.DataFrame,
    keys: list[str],
    target: pd.DataFrame,
    file: str,
    what: str,
    problems: list[Problem],
) -> None:
    known = pd.MultiIndex.from_frame(target[keys].astype(str))
    mine = pd.MultiIndex.from_frame(frame[keys].astype(str))
    for i in np.flatnonzero(~mine.isin(known))[:50]:
        val = "/".join(str(frame[k].iat[i]) for k in keys)
        problems.append(Problem(file, int(i) + 2, "+".join(keys), val, f"unknown {what}"))
