"""Import the Open University Learning Analytics Dataset (OULAD) as a canonical dataset.

Kuzilek, Hlosta & Zdrahal, *Open University Learning Analytics dataset*, Scientific
Data 4, 170171 (2017), CC BY 4.0.  The importer reads OULAD's original CSV files for
*any* set of module-presentations (nothing assumes the nine 2013 ones):

=====================  ========  ==================================================
file                   needed    used for
=====================  ========  ==================================================
courses.csv            required  one organization per module-presentation
assessments.csv        required  one module (and one session) per assessment
studentInfo.csv        required  one staff row per registration; final results
studentRegistration    required  registration / unregistration days
studentAssessment.csv  required  participations (submissions) and assessments (scores)
vle.csv                optional  copied to ``_oulad/vle.csv`` (materials)
studentVle.csv         optional  daily clicks per registration, ``_oulad/student_vle.csv``
=====================  ========  ==================================================

``?`` (OULAD's missing value) and empty cells are read as missing where OULAD allows
them (assessment date, IMD band, registration dates, score, vle weeks).

Mapping (the choices, since OULAD is not a staff-training dataset):

- **Dates.** OULAD dates are days relative to the presentation start.  A presentation
  code ``YYYYL`` starts on the 1st of month L of year YYYY, A = January … L = December
  (the OU's own convention: B = February, J = October).  Every canonical date is
  ``start + day``; the relative day is kept in ``*_day`` extra columns.
- **organizations**: ``org_id`` = ``CODE_MODULE-CODE_PRESENTATION`` (the *unit* of the
  experiment contract), ``org_type`` = ``social_group`` (placeholder: the enumeration
  has no university value), ``region`` = ``UK``, ``ministry_managed`` = false, rating
  empty; extras ``code_module``, ``code_presentation``, ``length_days``, ``start_date``.
- **staff**: one row per registration (a student repeating a module is two rows),
  ``staff_id`` = ``CODE_MODULE-CODE_PRESENTATION-ID_STUDENT``, ``role`` = ``other``,
  ``hired_on`` = registration date (presentation start when OULAD has ``?``),
  ``left_on`` = unregistration date (``hired_on`` is moved back to it in the few rows
  where OULAD unregisters a student before the recorded registration); the canonical
  rules say nothing is completed outside employment or outside its session, so
  ``hired_on`` is moved back to a submission made before the recorded registration,
  ``left_on`` forward to one made after the unregistration, and a session (one per
  assessment, start of presentation to due date) is widened to its early and late
  submissions (the ``*_day`` extras keep OULAD's own values); extras are studentInfo's
  demographic columns
  (``id_student``, ``gender``, ``student_region``, ``highest_education``, ``imd_band``,
  ``age_band``, ``num_of_prev_attempts``, ``studied_credits``, ``disability``) and
  ``registration_day`` / ``unregistration_day``.  ``final_result`` is the *label*, so it
  is not in ``staff`` but in ``_oulad/results.csv`` (staff_id, final_result).
- **skills**: one per course module code; **module_skills** links each assessment to
  it with weight 1; **role_requirements** is empty (OULAD has none).
- **modules**: one per assessment, ``module_id`` = ``id_assessment``, ``mode`` =
  ``online``, ``tier`` = ``foundation`` for exams else ``elective``, ``hours`` = 1
  (placeholder: OULAD has no hours); extras ``code_module``, ``code_presentation``,
  ``assessment_type``, ``weight``, ``due_day`` (an exam without a date is due on the
  last day of the presentation, as OULAD documents).
- **sessions**: one per assessment, from the presentation start to the due date.
- **participations**: one per studentAssessment row (a submission), ``status`` =
  ``completed``, dated by the submission day; extras ``submitted_day``, ``is_banked``.
- **assessments**: the same submissions with a score (rows with score ``?`` have none).
- **outcomes**: empty.

Anything invalid raises ``ValidationError`` naming file, row, column, value and rule,
and nothing is written.
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from engine.errors import InputFileError, Problem, ValidationError
from engine.outputs import csv_line_end

log = logging.getLogger(__name__)

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
    "text": "must not be empty",
    "pres": "must be a presentation code YYYYL (year and a month letter A-L, e.g. 2013J)",
    "posint": "must be a whole number > 0",
    "int": "must be a whole number",
    "opt_int": "must be a whole number or ? (missing)",
    "nonneg_int": "must be a whole number >= 0",
    "weight": "must be a number from 0 to 100",
    "score": "must be a number from 0 to 100 or ? (missing)",
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


def _find(src: Path, name: str) -> Path | None:
    for cand in (src / f"{name}.csv", src / f"{name.lower()}.csv"):
        if cand.is_file():
            return cand
    return None


def _read_raw(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputFileError(f"{path.name}: not UTF-8 text ({exc.reason})") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputFileError(f"{path.name}: not a readable CSV file ({exc})") from None
    frame.columns = [str(c).strip().strip('"') for c in frame.columns]
    return frame.apply(lambda c: c.str.strip().str.strip('"'))


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
        rule = RULES.get(kind) or f"must be one of {', '.join(kind[5:].split('|'))}"
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


def read_oulad(src: str | Path, skip: tuple[str, ...] = ()) -> Oulad:
    """Read and check OULAD's original files in ``src`` (see the module docstring).
    ``skip`` names optional files not to read (e.g. ``("studentVle",)``: its 10 M rows
    when nothing will use the clicks); they are left out as if absent."""
    src = Path(src)
    if not src.is_dir():
        raise InputFileError(f"{src}: not a directory of OULAD files")
    problems: list[Problem] = []
    frames: dict[str, pd.DataFrame | None] = {}
    for name in REQUIRED + OPTIONAL:
        path = None if name in skip and name in OPTIONAL else _find(src, name)
        if path is None:
            if name in REQUIRED:
                problems.append(
                    Problem(f"{name}.csv", 0, "", "", f"required OULAD file missing in {src}")
                )
            frames[name] = None
            continue
        frames[name] = _typed(name, _read_raw(path), problems)
    if problems:
        raise ValidationError(problems)

    courses, assess = frames["courses"], frames["assessments"]
    info, reg, sa = (
        frames["studentInfo"],
        frames["studentRegistration"],
        frames["studentAssessment"],
    )
    assert courses is not None and assess is not None and info is not None
    assert reg is not None and sa is not None
    pres = ["code_module", "code_presentation"]
    _duplicates(courses, pres, "courses.csv", problems)
    _duplicates(assess, ["id_assessment"], "assessments.csv", problems)
    _duplicates(info, [*pres, "id_student"], "studentInfo.csv", problems)
    _duplicates(reg, [*pres, "id_student"], "studentRegistration.csv", problems)
    _duplicates(sa, ["id_assessment", "id_student"], "studentAssessment.csv", problems)
    for name, frame in (
        ("assessments", assess),
        ("studentInfo", info),
        ("studentRegistration", reg),
    ):
        _missing_refs(
            frame,
            pres,
            courses,
            f"{name}.csv",
            "module-presentation (not in courses.csv)",
            problems,
        )
    _missing_refs(
        reg,
        [*pres, "id_student"],
        info,
        "studentRegistration.csv",
        "registration (not in studentInfo.csv)",
        problems,
    )
    _missing_refs(
        sa,
        ["id_assessment"],
        assess,
        "studentAssessment.csv",
        "assessment (not in assessments.csv)",
        problems,
    )
    if not problems:
        who = sa.merge(assess[["id_assessment", *pres]], on="id_assessment", how="left")
        _missing_refs(
            who,
            [*pres, "id_student"],
            info,
            "studentAssessment.csv",
            "student for this assessment's presentation (not in studentInfo.csv)",
            problems,
        )
    for name in OPTIONAL:
        frame = frames[name]
        if frame is not None:
            _missing_refs(
                frame,
                pres,
                courses,
                f"{name}.csv",
                "module-presentation (not in courses.csv)",
                problems,
            )
    if problems:
        raise ValidationError(problems)
    return Oulad(courses, assess, info, reg, sa, frames["vle"], frames["studentVle"])


def presentation_start(code: pd.Series) -> pd.Series:
    """Start date of each presentation code: the 1st of month letter L of year YYYY."""
    parts = code.str.extract(PRESENTATION)
    month = parts[1].str.upper().map(lambda ch: ord(ch) - ord("A") + 1)
    return pd.to_datetime(parts[0] + "-" + month.astype(str).str.zfill(2) + "-01")


def _unit(frame: pd.DataFrame) -> pd.Series:
    return frame["code_module"] + "-" + frame["code_presentation"]


def _date(start: pd.Series, day: pd.Series) -> pd.Series:
    return start + pd.to_timedelta(day.astype("float"), unit="D")


def _lookup(keys: pd.Series, values: pd.Series) -> pd.Series:
    """``values[key]`` for each key (NaT where absent).  Not ``keys.map(values)``: pandas
    cannot map through an *empty* date series (no submissions yet) and raises."""
    return pd.Series(values.reindex(keys.to_numpy()).to_numpy(), index=keys.index)


def to_canonical(data: Oulad) -> dict[str, pd.DataFrame]:
    """The canonical tables (plus ``_oulad`` side tables) for checked OULAD frames."""
    c = data.courses.copy()
    c["org_id"] = _unit(c)
    c["start"] = presentation_start(c["code_presentation"])
    start_of = c.set_index("org_id")["start"]
    length_of = c.set_index("org_id")["module_presentation_length"].astype(float)
    orgs = pd.DataFrame(
        {
            "org_id": c["org_id"],
            "name": c["code_module"] + " " + c["code_presentation"],
            "org_type": "social_group",
            "region": "UK",
            "ministry_managed": False,
            "rating": np.nan,
            "code_module": c["code_module"],
            "code_presentation": c["code_presentation"],
            "length_days": c["module_presentation_length"],
            "start_date": c["start"],
        }
    )

    info = data.student_info.merge(
        data.registration, on=["code_module", "code_presentation", "id_student"], how="left"
    )
    info["org_id"] = _unit(info)
    info["staff_id"] = info["org_id"] + "-" + info["id_student"].astype(str)
    st = info["org_id"].map(start_of)
    left_on = _date(st, info["date_unregistration"])
    hired_on = _date(st, info["date_registration"].fillna(0))
    hired_on = hired_on.where(~(left_on < hired_on), left_on)
    staff = pd.DataFrame(
        {
            "staff_id": info["staff_id"],
            "org_id": info["org_id"],
            "role": "other",
            "hired_on": hired_on,
            "left_on": left_on,
            "gender": info["gender"],
            "id_student": info["id_student"],
            "student_region": info["region"],
            "highest_education": info["highest_education"],
            "imd_band": info["imd_band"],
            "age_band": info["age_band"],
            "num_of_prev_attempts": info["num_of_prev_attempts"],
            "studied_credits": info["studied_credits"],
            "disability": info["disability"],
            "registration_day": info["date_registration"],
            "unregistration_day": info["date_unregistration"],
        }
    )
    results = pd.DataFrame(
        {
            "staff_id": info["staff_id"],
            "org_id": info["org_id"],
            "id_student": info["id_student"],
            "final_result": info["final_result"],
        }
    )

    a = data.assessments.copy()
    a["org_id"] = _unit(a)
    a["module_id"] = a["id_assessment"].astype(str)
    due = a["date"].astype(float).fillna(a["org_id"].map(length_of))
    a_start = a["org_id"].map(start_of)
    modules = pd.DataFrame(
        {
            "module_id": a["module_id"],
            "title": a["code_module"]
            + " "
            + a["code_presentation"]
            + " "
            + a["assessment_type"]
            + " due day "
            + due.astype(int).astype(str),
            "mode": "online",
            "hours": 1.0,
            "tier": np.where(a["assessment_type"] == "Exam", "foundation", "elective"),
            "prerequisites": "",
            "org_id": a["org_id"],
            "code_module": a["code_module"],
            "code_presentation": a["code_presentation"],
            "assessment_type": a["assessment_type"],
            "weight": a["weight"],
            "due_day": due.astype(int),
        }
    )
    skills = pd.DataFrame({"skill_id": sorted(c["code_module"].unique())})
    skills["name"] = "module " + skills["skill_id"]
    skills["parent_id"] = None
    module_skills = pd.DataFrame(
        {"module_id": a["module_id"], "skill_id": a["code_module"], "weight": 1.0}
    )
    sessions = pd.DataFrame(
        {
            "session_id": "S" + a["module_id"],
            "module_id": a["module_id"],
            "starts_on": a_start,
            "ends_on": _date(a_start, due.clip(lower=0)),
            "capacity": pd.array([pd.NA] * len(a), dtype="Int64"),
        }
    )

    sa = data.student_assessment.merge(
        a[["id_assessment", "module_id", "org_id"]], on="id_assessment", how="left"
    )
    sa["staff_id"] = sa["org_id"] + "-" + sa["id_student"].astype(str)
    when = _date(sa["org_id"].map(start_of), sa["date_submitted"])
    pid = sa["module_id"] + "-" + sa["id_student"].astype(str)
    parts = pd.DataFrame(
        {
            "participation_id": pid,
            "staff_id": sa["staff_id"],
            "module_id": sa["module_id"],
            "session_id": "S" + sa["module_id"],
            "enrolled_on": when,
            "completed_on": when,
            "status": "completed",
            "hours": 1.0,
            "submitted_day": sa["date_submitted"],
            "is_banked": sa["is_banked"].astype(int),
        }
    )
    # Canonical rules: nothing completed outside employment or its session (see above).
    first = when.groupby(parts["staff_id"]).min()
    last = when.groupby(parts["staff_id"]).max()
    by_staff = staff["staff_id"]
    early, late = _lookup(by_staff, first), _lookup(by_staff, last)
    staff["hired_on"] = staff["hired_on"].where(~(early < staff["hired_on"]), early)
    staff["left_on"] = staff["left_on"].where(~(late > staff["left_on"]), late)
    by_mod = sessions["module_id"]
    lo, hi = (
        _lookup(by_mod, when.groupby(sa["module_id"]).min()),
        _lookup(by_mod, when.groupby(sa["module_id"]).max()),
    )
    sessions["starts_on"] = sessions["starts_on"].where(~(lo < sessions["starts_on"]), lo)
    sessions["ends_on"] = sessions["ends_on"].where(~(hi > sessions["ends_on"]), hi)
    scored = sa["score"].notna().to_numpy()
    assessments = pd.DataFrame(
        {
            "assessment_id": pid[scored],
            "staff_id": sa["staff_id"][scored],
            "module_id": sa["module_id"][scored],
            "taken_on": when[scored],
            "score": sa["score"][scored].astype(float),
            "submitted_day": sa["date_submitted"][scored],
            "is_banked": sa["is_banked"][scored].astype(int),
        }
    ).reset_index(drop=True)
    empty_rr = pd.DataFrame({"role": [], "skill_id": [], "level": []})
    outcomes = pd.DataFrame(
        {k: [] for k in ("outcome_id", "staff_id", "module_id", "measured_on", "kind", "value")}
    )
    out = {
        "organizations": orgs,
        "staff": staff,
        "skills": skills,
        "modules": modules,
        "module_skills": module_skills,
        "role_requirements": empty_rr,
        "sessions": sessions,
        "participations": parts,
        "assessments": assessments,
        "outcomes": outcomes,
        "_oulad/results": results,
    }
    if data.vle is not None:
        out["_oulad/vle"] = data.vle
    if data.student_vle is not None:
        sv = data.student_vle.copy()
        sv["staff_id"] = _unit(sv) + "-" + sv["id_student"].astype(str)
        out["_oulad/student_vle"] = sv.groupby(["staff_id", "date"], as_index=False)[
            "sum_click"
        ].sum()
    return out


def _fmt(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    for col in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[col]):
            frame[col] = frame[col].dt.strftime("%Y-%m-%d")
    return frame


def import_oulad(src: str | Path, out: str | Path) -> dict[str, int]:
    """Check ``src``'s OULAD files and write the canonical dataset to ``out``.

    Returns rows written per table.  ``out`` must not exist or be empty; the dataset
    is written to a temporary directory beside it and renamed into place, so a failed
    import leaves nothing behind.
    """
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputFileError(f"{out}: already exists and is not empty; choose a new --out")
    tables = to_canonical(read_oulad(src))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        (tmp / "_oulad").mkdir()
        for name, frame in tables.items():
            text = _fmt(frame)
            text.to_csv(tmp / f"{name}.csv", index=False, lineterminator=csv_line_end(text))
        (tmp / "_oulad" / "README.md").write_text(
            "Side tables of the OULAD import (ignored by `learnmap ingest`):\n"
            "results.csv — final_result per registration (the label);\n"
            "vle.csv — materials (if given); student_vle.csv — clicks per registration and day.\n",
            encoding="utf-8",
        )
        if out.exists():
            out.rmdir()
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return {name: len(frame) for name, frame in tables.items()}
