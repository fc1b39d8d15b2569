"""Import Canvas Network person-course files as a canonical dataset.

*Canvas Network Person-Course (1/2014–9/2015) De-Identified Open Dataset* (Harvard
Dataverse, doi:10.7910/DVN/1XORAL): one row per learner and course, dates as
quarters (``2014 Q3``).  ``SRC`` is one such CSV or a folder of them (every ``*.csv``
in it, in name order); nothing assumes 2014 — any year's quarters import the same way.

Columns read (the file's other columns are ignored): ``course_id_DI``,
``discipline``, ``userid_DI``, ``course_start``, ``course_end`` (quarters),
``course_reqs`` and ``grade_reqs`` (0/1, the completion columns), ``course_length``
(days; may be empty).

Mapping (CNPC is an open-course platform, not a staff-training programme):

- **organizations**: one, ``CNPC`` ("Canvas Network"), ``org_type`` =
  ``social_group`` (placeholder: the enumeration has no platform value), ``region`` =
  ``online``, not ministry-managed, unrated.
- **staff**: one per learner, ``staff_id`` = ``userid_DI``, ``role`` = ``other``,
  ``hired_on`` = the first day of the start quarter of the learner's first course (a
  learner is known from their first registration, not before), ``left_on`` empty.
- **skills**: one per discipline, ``skill_id`` = the discipline's name in lower case
  with runs of other characters turned into ``-`` (``Mathematics & Statistics`` →
  ``mathematics-statistics``), ``name`` = the discipline; no parents.
- **modules**: one per course, ``module_id`` = ``course_id_DI``.  The data have **no
  course titles**; ``title`` is the discipline and the id (``Humanities course
  832945508``), so nothing is invented.  ``mode`` = ``online``, ``tier`` =
  ``elective``, no prerequisites; ``hours`` = the course's length in weeks
  (``course_length`` / 7, or the session's length when empty) — a stand-in: the data
  have no hours, and length is the only size measure they have.
- **module_skills**: each course → its discipline, weight 1.
- **sessions**: one per course, ``session_id`` = ``S`` + course id, from the first day
  of ``course_start``'s quarter to the last day of ``course_end``'s; no capacity.
- **participations**: one per learner and course, ``participation_id`` =
  ``course_id_DI-userid_DI``, enrolled on the first day of the start quarter (a
  registration is the choice); ``status`` = ``completed`` when ``course_reqs`` or
  ``grade_reqs`` is 1 (course requirements met, or passing grade), dated the last day
  of the end quarter with the course's hours; otherwise ``enrolled`` (0 hours) — never
  ``no_show``: the data cannot tell an abandoned registration from one still open.
- **role_requirements**, **assessments**, **outcomes**: empty (``grade`` has no date
  and is 0 for learners who never began).

Bad rows **refuse the whole import** (``ValidationError`` naming file, row, column,
value and rule; nothing is written), as ``learnmap ingest`` does: an empty
``discipline``, ``course_id_DI`` or ``userid_DI``; a quarter that is not ``YYYY Qn``;
a course ending before it starts; a completion column other than 0/1; a course whose
rows disagree on discipline or quarters.  One exception, a property of the original
release: a learner listed twice for one course (145 pairs in the 2014 rows, 126 of them
identical copies) is one registration — the rows are merged, completed if any says so.
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from engine.errors import InputFileError, Problem, Rule, ValidationError
from engine.outputs import csv_line_end

log = logging.getLogger(__name__)

ORG_ID = "CNPC"
COLUMNS = (
    "course_id_DI",
    "discipline",
    "userid_DI",
    "course_start",
    "course_end",
    "course_reqs",
    "grade_reqs",
    "course_length",
)
QUARTER = re.compile(r"^(\d{4})\s*Q([1-4])$", re.IGNORECASE)
QUARTER_RULE = Rule("quarter")
_MAX_PER_RULE = 50


def sources(src: str | Path) -> list[Path]:
    """The CSV files ``src`` names: itself, or every ``*.csv`` in the folder."""
    src = Path(src)
    if src.is_file():
        return [src]
    if src.is_dir():
        files = sorted(p for p in src.iterdir() if p.suffix.lower() == ".csv" and p.is_file())
        if not files:
            raise InputFileError(f"{src}: no .csv files (Canvas Network person-course) in it")
        return files
    raise InputFileError(f"{src}: no such file or folder")


def _read(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            encoding="utf-8-sig",
            usecols=lambda c: str(c).strip() in COLUMNS,  # 8 of the file's 26 columns
        )
    except UnicodeDecodeError as exc:
        raise InputFileError(f"{path.name}: not UTF-8 text ({exc.reason})") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputFileError(f"{path.name}: not a readable CSV file ({exc})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def quarter_bounds(values: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(first day, last day, unparseable) of each ``YYYY Qn`` value (each distinct
    value parsed once: a file has a handful of quarters and 10⁵ rows)."""
    codes, uniq = pd.factorize(values, use_na_sentinel=False)
    parts = pd.Series(uniq, dtype=object).astype(str).str.strip().str.extract(QUARTER)
    bad = parts[0].isna()
    year = pd.to_numeric(parts[0], errors="coerce")
    month = (pd.to_numeric(parts[1], errors="coerce") - 1) * 3 + 1
    first = pd.to_datetime(
        pd.DataFrame({"year": year, "month": month, "day": 1}).where(~bad), errors="coerce"
    )
    last = first + pd.DateOffset(months=3) - pd.Timedelta(days=1)

    def expand(s: pd.Series) -> pd.Series:
        return pd.Series(s.to_numpy()[codes], index=values.index)

    return expand(first), expand(last), expand(bad).astype(bool)


def _problems(
    file: str, rows: np.ndarray, col: str, values: pd.Series, mask: np.ndarray, rule: str
) -> list[Problem]:
    return [
        Problem(file, int(rows[i]), col, str(values.iat[i]), rule)
        for i in np.flatnonzero(mask)[:_MAX_PER_RULE]
    ]


def _check_file(path: Path, frame: pd.DataFrame) -> tuple[pd.DataFrame, list[Problem]]:
    """The file's rows, typed, with ``file``/``row`` (spreadsheet numbering)."""
    file = path.name
    absent = [c for c in COLUMNS if c not in frame.columns]
    if absent:
        return frame, [
            Problem(file, 0, c, "", "required column missing (a Canvas Network person-course file)")
            for c in absent
        ]
    rows = np.arange(2, len(frame) + 2)
    f = frame[list(COLUMNS)].apply(lambda c: c.str.strip())
    out: list[Problem] = []
    for col in ("course_id_DI", "userid_DI", "discipline"):
        out += _problems(file, rows, col, f[col], (f[col] == "").to_numpy(), Rule("not_empty"))
    start, _, bad_s = quarter_bounds(f["course_start"])
    _, end, bad_e = quarter_bounds(f["course_end"])
    out += _problems(file, rows, "course_start", f["course_start"], bad_s.to_numpy(), QUARTER_RULE)
    out += _problems(file, rows, "course_end", f["course_end"], bad_e.to_numpy(), QUARTER_RULE)
    rev = (~bad_s & ~bad_e & (end < start)).to_numpy()
    out += _problems(
        file, rows, "course_end", f["course_end"], rev, "the course must not end before it starts"
    )
    for col in ("course_reqs", "grade_reqs"):
        out += _problems(
            file, rows, col, f[col], (~f[col].isin(["0", "1"])).to_numpy(), Rule("zero_one")
        )
    length = pd.to_numeric(f["course_length"].replace("", None), errors="coerce")
    bad_len = ((f["course_length"] != "") & ~(length > 0)).to_numpy()
    out += _problems(
        file,
        rows,
        "course_length",
        f["course_length"],
        bad_len,
        Rule("days_or_empty"),
    )
    typed = pd.DataFrame(
        {
            "file": file,
            "row": rows,
            "course": f["course_id_DI"].to_numpy(),
            "learner": f["userid_DI"].to_numpy(),
            "discipline": f["discipline"].to_numpy(),
            "course_start": f["course_start"].to_numpy(),
            "course_end": f["course_end"].to_numpy(),
            "starts_on": start.to_numpy(),
            "ends_on": end.to_numpy(),
            "completed": ((f["course_reqs"] == "1") | (f["grade_reqs"] == "1")).to_numpy(),
            "length_days": length.to_numpy(dtype=float),
        }
    )
    return typed, out


def _disagreements(rows: pd.DataFrame) -> list[Problem]:
    """A course's rows must agree on its discipline and quarters."""
    out: list[Problem] = []
    for col in ("discipline", "course_start", "course_end"):
        first = rows.groupby("course")[col].transform("first")
        where = rows[[col]].assign(first=first)
        bad = (rows[col] != first).to_numpy()
        for i in np.flatnonzero(bad)[:_MAX_PER_RULE]:
            r = rows.iloc[i]
            out.append(
                Problem(
                    str(r["file"]),
                    int(r["row"]),
                    col,
                    str(r[col]),
                    f"course {r['course']} has {where['first'].iat[i]!r} on an earlier row: "
                    "one course, one value",
                )
            )
    return out


def read_cnpc(src: str | Path) -> pd.DataFrame:
    """Read and check the person-course rows of ``src`` (module docstring); one row per
    learner and course (duplicates merged), columns ``course, learner, discipline,
    starts_on, ends_on, completed, length_days``."""
    parts, problems = [], []
    for path in sources(src):
        typed, found = _check_file(path, _read(path))
        problems += found
        parts.append(typed)
    if problems:
        raise ValidationError(problems)
    rows = pd.concat(parts, ignore_index=True)
    problems = _disagreements(rows)
    if problems:
        raise ValidationError(problems)
    merged = rows.groupby(["course", "learner"], sort=True, as_index=False).agg(
        discipline=("discipline", "first"),
        starts_on=("starts_on", "first"),
        ends_on=("ends_on", "first"),
        completed=("completed", "any"),
        length_days=("length_days", "max"),
    )
    if len(merged) < len(rows):
        log.info("cnpc: %d repeated learner-course rows merged", len(rows) - len(merged))
    return merged


def skill_ids(disciplines: list[str]) -> dict[str, str]:
    """Discipline → skill id: ``Mathematics & Statistics`` → ``mathematics-statistics``
    (lower case, other characters to ``-``; a name with no letters or digits gets
    ``discipline-<n>``; a clash gets ``-2``, ``-3`` …, in sorted order)."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for n, name in enumerate(sorted(disciplines), start=1):
        slug = re.sub(r"[^0-9a-z\u4e00-\u9fff]+", "-", name.lower()).strip("-")
        slug = slug or f"discipline-{n}"
        cand, k = slug, 1
        while cand in used:
            k += 1
            cand = f"{slug}-{k}"
        used.add(cand)
        out[name] = cand
    return out


def to_canonical(rows: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The canonical tables of checked, merged person-course rows."""
    courses = rows.groupby("course", sort=True).agg(
        discipline=("discipline", "first"),
        starts_on=("starts_on", "first"),
        ends_on=("ends_on", "first"),
        length_days=("length_days", "max"),
    )
    span = (courses["ends_on"] - courses["starts_on"]).dt.days + 1
    weeks = (courses["length_days"].fillna(span) / 7).round(2).clip(lower=0.01)
    disc = pd.Series(sorted(courses["discipline"].unique()), dtype=object)
    sid = skill_ids(list(disc))
    ids = courses.index.to_series()
    modules = pd.DataFrame(
        {
            "module_id": ids.to_numpy(),
            "title": (courses["discipline"] + " course " + ids).to_numpy(),
            "mode": "online",
            "hours": weeks.to_numpy(),
            "tier": "elective",
            "prerequisites": "",
        }
    )
    sessions = pd.DataFrame(
        {
            "session_id": ("S" + ids).to_numpy(),
            "module_id": ids.to_numpy(),
            "starts_on": courses["starts_on"].to_numpy(),
            "ends_on": courses["ends_on"].to_numpy(),
            "capacity": pd.array([pd.NA] * len(courses), dtype="Int64"),
        }
    )
    hours = rows["course"].map(weeks)
    done = rows["completed"].to_numpy()
    participations = pd.DataFrame(
        {
            "participation_id": (rows["course"] + "-" + rows["learner"]).to_numpy(),
            "staff_id": rows["learner"].to_numpy(),
            "module_id": rows["course"].to_numpy(),
            "session_id": ("S" + rows["course"]).to_numpy(),
            "enrolled_on": rows["starts_on"].to_numpy(),
            "completed_on": rows["ends_on"].where(done).to_numpy(),
            "status": np.where(done, "completed", "enrolled"),
            "hours": np.where(done, hours.to_numpy(), 0.0),
        }
    )
    first = rows.groupby("learner", sort=True)["starts_on"].min()
    staff = pd.DataFrame(
        {
            "staff_id": first.index.to_numpy(),
            "org_id": ORG_ID,
            "role": "other",
            "hired_on": first.to_numpy(),
            "left_on": pd.NaT,
        }
    )
    return {
        "organizations": pd.DataFrame(
            {
                "org_id": [ORG_ID],
                "name": ["Canvas Network"],
                "org_type": ["social_group"],
                "region": ["online"],
                "ministry_managed": [False],
                "rating": [np.nan],
            }
        ),
        "staff": staff,
        "skills": pd.DataFrame({"skill_id": disc.map(sid), "name": disc, "parent_id": None}),
        "modules": modules,
        "module_skills": pd.DataFrame(
            {
                "module_id": ids.to_numpy(),
                "skill_id": courses["discipline"].map(sid).to_numpy(),
                "weight": 1.0,
            }
        ),
        "role_requirements": pd.DataFrame({"role": [], "skill_id": [], "level": []}),
        "sessions": sessions,
        "participations": participations,
        "assessments": pd.DataFrame(
            {k: [] for k in ("assessment_id", "staff_id", "module_id", "taken_on", "score")}
        ),
        "outcomes": pd.DataFrame(
            {k: [] for k in ("outcome_id", "staff_id", "module_id", "measured_on", "kind", "value")}
        ),
    }


def _fmt(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    for col in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[col]):
            frame[col] = frame[col].dt.strftime("%Y-%m-%d")
    return frame


def import_cnpc(src: str | Path, out: str | Path) -> dict[str, int]:
    """Check ``src`` and write the canonical dataset to ``out`` (a new or empty folder);
    written beside it and renamed into place, so a failed import leaves nothing.
    Returns rows written per table."""
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputFileError(f"{out}: already exists and is not empty; choose a new --out")
    tables = to_canonical(read_cnpc(src))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for name, frame in tables.items():
            text = _fmt(frame)
            text.to_csv(tmp / f"{name}.csv", index=False, lineterminator=csv_line_end(text))
        if out.exists():
            out.rmdir()
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return {name: len(frame) for name, frame in tables.items()}
