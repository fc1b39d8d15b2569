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

Modules: ``engine.importers.oulad_files`` (the files' columns, rules and checks, the
``Oulad`` record), ``engine.importers.oulad_canonical`` (``to_canonical``: the mapping
above); here reading (``read_oulad``) and writing (``import_oulad``).  The names this
module held before the split are re-exported here.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from engine.errors import InputFileError, Problem, ValidationError
from engine.importers.oulad_canonical import presentation_start, to_canonical
from engine.importers.oulad_files import (
    ASSESSMENT_TYPES,
    FINAL_RESULTS,
    MISSING,
    OPTIONAL,
    PRESENTATION,
    REQUIRED,
    RULES,
    SPEC,
    Oulad,
    _duplicates,
    _missing_refs,
    _typed,
)
from engine.outputs import csv_line_end

__all__ = [
    "ASSESSMENT_TYPES",
    "FINAL_RESULTS",
    "MISSING",
    "OPTIONAL",
    "PRESENTATION",
    "REQUIRED",
    "RULES",
    "SPEC",
    "Oulad",
    "import_oulad",
    "presentation_start",
    "read_oulad",
    "to_canonical",
]

log = logging.getLogger(__name__)


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
