"""OULAD importer on outside input: every cell either lands where it belongs or is refused
with the file, row, column, value and rule named; any presentation code; the ways real
exports differ (BOM, quotes, padding, CRLF, lower-case file names, encodings)."""

from __future__ import annotations

import csv
import math
import os
import shutil
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from engine.errors import InputFileError, ValidationError
from engine.importers.oulad import import_oulad, read_oulad, to_canonical
from tests.engine.test_oulad import FIXTURE, write_fixture

# examples per property (default 20, about a second each; the README's longer runs:
# LEARNMAP_PROP_EXAMPLES=1000)
EXAMPLES = settings(
    max_examples=int(os.environ.get("LEARNMAP_PROP_EXAMPLES", "20")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def copy(tables: dict[str, list[list[str]]] = FIXTURE) -> dict[str, list[list[str]]]:
    return {k: [list(r) for r in v] for k, v in tables.items()}


def _number(v: str) -> float | None:
    """The value as a finite number, None if it is not one (Python's own reading)."""
    try:
        x = float(v)
    except ValueError:
        return None
    return x if math.isfinite(x) else None


# The documented rule of each numeric cell, written out independently of the importer:
# column -> (accepts value?, rule words the error must contain)
def _whole(v: str, missing_ok: bool = False, lo: float | None = None, above: bool = False):
    if v.strip() in ("", "?"):
        return missing_ok
    x = _number(v)
    if x is None or x != int(x):
        return False
    return lo is None or (x > lo if above else x >= lo)


def _pct(v: str, missing_ok: bool) -> bool:
    if v.strip() in ("", "?"):
        return missing_ok
    x = _number(v)
    return x is not None and 0 <= x <= 100


RULES = {
    ("studentAssessment", "score"): (lambda v: _pct(v, True), "from 0 to 100 or ?"),
    ("studentAssessment", "date_submitted"): (lambda v: _whole(v), "whole number"),
    ("studentAssessment", "is_banked"): (lambda v: v.strip() in ("0", "1"), "one of 0, 1"),
    ("assessments", "weight"): (lambda v: _pct(v, False), "from 0 to 100"),
    ("assessments", "date"): (lambda v: _whole(v, True), "whole number or ?"),
    ("courses", "module_presentation_length"): (
        lambda v: _whole(v, lo=0, above=True),
        "whole number > 0",
    ),
    ("studentInfo", "num_of_prev_attempts"): (lambda v: _whole(v, lo=0), "whole number >= 0"),
    ("studentInfo", "studied_credits"): (lambda v: _whole(v, lo=0), "whole number >= 0"),
    ("studentRegistration", "date_registration"): (
        lambda v: _whole(v, True),
        "whole number or ?",
    ),
    ("studentRegistration", "date_unregistration"): (
        lambda v: _whole(v, True),
        "whole number or ?",
    ),
}
NUMERIC_CELLS = [
    (name, r, FIXTURE[name][0].index(col))
    for (name, col) in RULES
    for r in range(1, len(FIXTURE[name]))
]
VALUES = st.one_of(
    st.integers(-400, 400).map(str),
    st.decimals(-200, 200, places=1, allow_nan=False).map(str),
    st.sampled_from(["?", "", " ", "x", "1e2", "nan", "inf", "-0", "+5", "100.0", "100.01",
                     "101", "-0.5", "0", "1", "2", "1.0", " 7 ", "3,5"]),
)  # fmt: skip
START = {"2014B": date(2014, 2, 1), "2014J": date(2014, 10, 1)}


def _start_of(tables: dict[str, list[list[str]]], id_assessment: str) -> date:
    row = next(r for r in tables["assessments"][1:] if r[2] == id_assessment)
    return START[row[1]]


def _cell(name: str, column: str, r: int = 1) -> tuple[str, int, int]:
    return (name, r, FIXTURE[name][0].index(column))


@EXAMPLES
@given(cell=st.sampled_from(NUMERIC_CELLS), value=VALUES)
@example(cell=_cell("courses", "module_presentation_length"), value="1")
@example(cell=_cell("courses", "module_presentation_length"), value="0")
@example(cell=_cell("studentAssessment", "score"), value="100")
@example(cell=_cell("studentAssessment", "score"), value="100.5")
@example(cell=_cell("studentAssessment", "score"), value="0")
@example(cell=_cell("studentAssessment", "score"), value="-0.5")
@example(cell=_cell("assessments", "weight"), value="?")
@example(cell=_cell("assessments", "weight"), value="0")
@example(cell=_cell("assessments", "date"), value="12.5")
@example(cell=_cell("studentInfo", "num_of_prev_attempts"), value="0")
@example(cell=_cell("studentInfo", "studied_credits"), value="-1")
@example(cell=_cell("studentRegistration", "date_unregistration", 3), value="inf")
@example(cell=_cell("studentAssessment", "date_submitted"), value="?")
@example(cell=_cell("studentAssessment", "is_banked"), value="2")
def test_a_numeric_cell_lands_where_it_belongs_or_is_refused_by_name(
    tmp_path_factory: pytest.TempPathFactory, cell, value: str
) -> None:  # noqa: ANN001
    name, r, c = cell
    column = FIXTURE[name][0][c]
    accepts, words = RULES[(name, column)]
    tables = copy()
    tables[name][r][c] = value
    root = tmp_path_factory.mktemp("cell")
    src = write_fixture(root / "src", tables)
    try:
        t = to_canonical(read_oulad(src))
    except ValidationError as exc:
        assert not accepts(value), f"{value!r} refused: {exc}"
        [p] = exc.problems  # only the changed cell is reported
        assert (p.file, p.row, p.column) == (f"{name}.csv", r + 1, column)
        assert p.value == value.strip() and words in p.rule
        return
    finally:
        shutil.rmtree(root, ignore_errors=True)
    assert accepts(value), f"{value!r} accepted in {name}.{column}"
    x = _number(value)
    row = dict(zip(FIXTURE[name][0], tables[name][r], strict=True))
    if name == "studentAssessment":
        pid = f"{row['id_assessment']}-{row['id_student']}"
        part = t["participations"].set_index("participation_id").loc[pid]
        scored = t["assessments"].set_index("assessment_id")
        if column == "score":
            assert (pid in scored.index) == (x is not None)
            if x is not None:
                assert scored.loc[pid, "score"] == x
        elif column == "date_submitted":
            when = _start_of(tables, row["id_assessment"]) + timedelta(days=int(x))
            assert part["completed_on"] == pd.Timestamp(when)
        else:
            assert part["is_banked"] == int(value)
    elif name == "assessments":
        mod = t["modules"].set_index("module_id").loc[row["id_assessment"]]
        if column == "weight":
            assert mod["weight"] == x
        else:
            length = {"2014B": 240, "2014J": 260}[row["code_presentation"]]
            assert mod["due_day"] == (int(x) if x is not None else length)
    elif name == "courses":
        org = t["organizations"].set_index("org_id").loc[f"XYZ-{row['code_presentation']}"]
        assert org["length_days"] == int(x)
        if row["code_presentation"] == "2014B":  # its exam has no date: due on the last day
            assert t["modules"].set_index("module_id").loc["3", "due_day"] == int(x)
    elif name == "studentInfo":
        sid = f"XYZ-{row['code_presentation']}-{row['id_student']}"
        assert t["staff"].set_index("staff_id").loc[sid, column] == int(x)
    else:
        sid = f"XYZ-{row['code_presentation']}-{row['id_student']}"
        person = t["staff"].set_index("staff_id").loc[sid]
        kept = person["registration_day" if column == "date_registration" else "unregistration_day"]
        assert (pd.isna(kept) and x is None) or kept == x


def _with_presentation(code: str) -> dict[str, list[list[str]]]:
    """The fixture with presentation 2014B renamed ``code``."""
    tables = copy()
    for rows in tables.values():
        for row in rows[1:]:
            for i, v in enumerate(row):
                if v == "2014B":
                    row[i] = code
    return tables


@EXAMPLES
@given(
    year=st.integers(1990, 2100),
    letter=st.sampled_from("ABCDEFGHIJKLabcdefghijkl"),
)
def test_any_presentation_code_starts_on_the_first_of_its_month(
    tmp_path_factory: pytest.TempPathFactory, year: int, letter: str
) -> None:
    code = f"{year}{letter}"
    root = tmp_path_factory.mktemp("pres")
    t = to_canonical(read_oulad(write_fixture(root / "src", _with_presentation(code))))
    shutil.rmtree(root, ignore_errors=True)
    start = date(year, "ABCDEFGHIJKL".index(letter.upper()) + 1, 1)
    org = t["organizations"].set_index("org_id").loc[f"XYZ-{code}"]
    assert org["start_date"] == pd.Timestamp(start)
    staff = t["staff"].set_index("staff_id")
    # student 7 registered on day -10, student 8 on '?' (the start), unregistered day 35
    assert staff.loc[f"XYZ-{code}-7", "hired_on"] == pd.Timestamp(start - timedelta(days=10))
    assert staff.loc[f"XYZ-{code}-8", "hired_on"] == pd.Timestamp(start)
    assert staff.loc[f"XYZ-{code}-8", "left_on"] == pd.Timestamp(start + timedelta(days=35))
    # the undated exam is due on the presentation's last day (length 240)
    session = t["sessions"].set_index("session_id").loc["S3"]
    assert session["starts_on"] == pd.Timestamp(start)
    assert session["ends_on"] == pd.Timestamp(start + timedelta(days=240))


@EXAMPLES
@given(code=st.one_of(st.sampled_from(["2014M", "2014Z", "14B", "2014", "B2014", "2014BB",
                                       "20145", "", "?"]),
                      st.text("0123456789ABMZ", min_size=1, max_size=6)))  # fmt: skip
def test_a_presentation_code_that_is_not_yyyyl_is_refused_in_every_file(
    tmp_path_factory: pytest.TempPathFactory, code: str
) -> None:
    if len(code) == 5 and code[:4].isdigit() and code[4] in "AB":
        return  # a valid code
    root = tmp_path_factory.mktemp("bad")
    tables = copy()
    tables["courses"][1][1] = code  # XYZ-2014B's course row
    src = write_fixture(root / "src", tables)
    with pytest.raises(ValidationError) as err:
        read_oulad(src)
    shutil.rmtree(root, ignore_errors=True)
    bad = [p for p in err.value.problems if p.column == "code_presentation"]
    assert bad and bad[0].file == "courses.csv" and bad[0].row == 2 and bad[0].value == code
    if code.strip() not in ("", "?"):
        assert "presentation code YYYYL" in bad[0].rule


def _write_as(root: Path, tables: dict, how: str) -> Path:
    root.mkdir(parents=True)
    for name, rows in tables.items():
        fname = name.lower() if how == "lower-case names" else name
        enc = "utf-8-sig" if how == "BOM" else "utf-8"
        with open(root / f"{fname}.csv", "w", newline="", encoding=enc) as fh:
            if how == "quoted, CRLF":
                csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
            elif how == "padded":
                fh.writelines(", ".join(f" {v} " for v in row) + "\n" for row in rows)
            elif how == "columns reordered, one added":
                order = list(reversed(range(len(rows[0]))))
                w = csv.writer(fh)
                w.writerows([["note"] + [row[i] for i in order] for row in rows[:1]])
                w.writerows([["x"] + [row[i] for i in order] for row in rows[1:]])
            elif how == "padded, quoted":  # a space before the quote: the quotes stay text
                fh.writelines(",".join(f' "{v}"' for v in row) + "\n" for row in rows)
            else:
                csv.writer(fh).writerows(rows)
    return root


@pytest.mark.parametrize(
    "how",
    [
        "BOM",
        "quoted, CRLF",
        "padded",
        "padded, quoted",
        "lower-case names",
        "columns reordered, one added",
    ],
)
def test_the_ways_exports_differ_give_the_same_dataset(tmp_path: Path, how: str) -> None:
    tables = copy()
    tables["studentVle"] = [
        ["code_module", "code_presentation", "id_student", "id_site", "date", "sum_click"],
        ["XYZ", "2014B", "7", "100", "-2", "3"],
        ["XYZ", "2014B", "7", "101", "-2", "4"],
        ["XYZ", "2014J", "7", "100", "5", "1"],
    ]
    plain = to_canonical(read_oulad(write_fixture(tmp_path / "plain", tables)))
    other = to_canonical(read_oulad(_write_as(tmp_path / "other", tables, how)))
    assert plain.keys() == other.keys()
    for name in plain:
        pd.testing.assert_frame_equal(plain[name], other[name], obj=f"{how}: {name}")
    clicks = plain["_oulad/student_vle"].set_index(["staff_id", "date"])["sum_click"]
    assert clicks.to_dict() == {("XYZ-2014B-7", -2): 7, ("XYZ-2014J-7", 5): 1}


def test_a_file_that_is_not_utf8_or_not_csv_is_named(tmp_path: Path) -> None:
    src = write_fixture(tmp_path / "latin1")
    rows = copy()["studentInfo"]
    rows[1][4] = "Île-de-France"
    with open(src / "studentInfo.csv", "w", newline="", encoding="latin-1") as fh:
        csv.writer(fh).writerows(rows)
    with pytest.raises(InputFileError, match=r"studentInfo\.csv: not UTF-8"):
        import_oulad(src, tmp_path / "out")
    src = write_fixture(tmp_path / "ragged")
    with open(src / "studentAssessment.csv", "a", encoding="utf-8") as fh:
        fh.write("1,8,22,0,40,extra,fields\n")
    with pytest.raises(InputFileError, match=r"studentAssessment\.csv: not a readable CSV"):
        import_oulad(src, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_duplicates_and_unknown_references_name_the_offending_row(tmp_path: Path) -> None:
    tables = copy()
    tables["studentAssessment"].append(["1", "7", "19", "0", "81"])  # row 7: 1-7 again
    again = list(tables["studentInfo"][2])
    again[-1] = "Pass"  # row 5: XYZ-2014B-8 again, another result
    tables["studentInfo"].append(again)
    tables["courses"].append(["XYZ", "2014J", "261"])  # row 4: XYZ-2014J again
    tables["assessments"].append(["XYZ", "2015B", "5", "TMA", "10", "5"])  # row 6: no course
    tables["assessments"].append(["XYZ", "2014J", "2", "CMA", "41", "0"])  # row 7: id 2 again
    tables["studentVle"] = [
        ["code_module", "code_presentation", "id_student", "id_site", "date", "sum_click"],
        ["XYZ", "2014B", "7", "1", "0", "2"],
        ["ABC", "2014B", "7", "1", "0", "2"],  # row 3: no such module-presentation
    ]
    with pytest.raises(ValidationError) as err:
        read_oulad(write_fixture(tmp_path / "src", tables))
    found = {(p.file, p.row, p.column, p.value): p.rule for p in err.value.problems}
    assert "duplicate" in found[("studentAssessment.csv", 7, "id_assessment+id_student", "1/7")]
    assert (
        "duplicate"
        in found[("studentInfo.csv", 5, "code_module+code_presentation+id_student", "XYZ/2014B/8")]
    )
    assert "duplicate" in found[("courses.csv", 4, "code_module+code_presentation", "XYZ/2014J")]
    assert "duplicate" in found[("assessments.csv", 7, "id_assessment", "2")]
    key = "code_module+code_presentation"
    rule = "unknown module-presentation (not in courses.csv)"
    assert found[("assessments.csv", 6, key, "XYZ/2015B")] == rule
    assert found[("studentVle.csv", 3, key, "ABC/2014B")] == rule
    assert len(found) == 6


def test_a_registration_or_submission_without_its_student_or_assessment_is_named(
    tmp_path: Path,
) -> None:
    tables = copy()
    tables["studentRegistration"].append(["XYZ", "2014J", "8", "-2", "?"])  # row 5
    tables["studentAssessment"].append(["77", "7", "10", "0", "50"])  # row 7: no assessment 77
    with pytest.raises(ValidationError) as err:
        read_oulad(write_fixture(tmp_path / "src", tables))
    found = {(p.file, p.row, p.column, p.value): p.rule for p in err.value.problems}
    assert found == {
        (
            "studentRegistration.csv",
            5,
            "code_module+code_presentation+id_student",
            "XYZ/2014J/8",
        ): "unknown registration (not in studentInfo.csv)",
        (
            "studentAssessment.csv",
            7,
            "id_assessment",
            "77",
        ): "unknown assessment (not in assessments.csv)",
    }


def test_a_submission_by_someone_not_registered_on_that_presentation_is_named(
    tmp_path: Path,
) -> None:
    tables = copy()
    # student 8 is on 2014B only; assessment 4 belongs to 2014J
    tables["studentAssessment"].append(["4", "8", "10", "0", "50"])
    with pytest.raises(ValidationError) as err:
        import_oulad(write_fixture(tmp_path / "src", tables), tmp_path / "out")
    [p] = err.value.problems
    assert (p.file, p.row, p.column, p.value) == (
        "studentAssessment.csv",
        7,
        "code_module+code_presentation+id_student",
        "XYZ/2014J/8",
    )
    assert p.rule == "unknown student for this assessment's presentation (not in studentInfo.csv)"
    assert not (tmp_path / "out").exists()


def test_written_tables_have_every_canonical_column_and_the_documented_placeholders(
    tmp_path: Path,
) -> None:
    from engine.schema import DATASET_TABLES, TABLES

    out = tmp_path / "new" / "folder" / "out"  # --out in a folder that does not exist yet
    import_oulad(write_fixture(tmp_path / "src"), out)
    for name, table in ((n, TABLES[n]) for n in DATASET_TABLES):
        header = pd.read_csv(out / f"{name}.csv", nrows=0).columns
        assert set(table.required_names) <= set(header), name
    # the extra columns the module docstring promises (models and reports read them)
    extras = {
        "organizations": {"code_module", "code_presentation", "length_days", "start_date"},
        "staff": {"id_student", "imd_band", "registration_day", "unregistration_day"},
        "modules": {"code_module", "code_presentation", "assessment_type", "weight", "due_day"},
        "participations": {"submitted_day", "is_banked"},
        "assessments": {"submitted_day", "is_banked"},
    }
    for name, cols in extras.items():
        assert cols <= set(pd.read_csv(out / f"{name}.csv", nrows=0).columns), name
    orgs = pd.read_csv(out / "organizations.csv")
    assert set(orgs["org_type"]) == {"social_group"} and set(orgs["region"]) == {"UK"}
    mods = pd.read_csv(out / "modules.csv").set_index("module_id")
    assert (mods["hours"] == 1).all() and (mods["mode"] == "online").all()
    assert mods.loc[3, "title"] == "XYZ 2014B Exam due day 240"
    assert mods.loc[3, "tier"] == "foundation" and mods.loc[1, "tier"] == "elective"
    parts = pd.read_csv(out / "participations.csv")
    assert (parts["status"] == "completed").all() and (parts["hours"] == 1).all()
    assessed = pd.read_csv(out / "assessments.csv").set_index("assessment_id")
    assert assessed.loc["4-7", "is_banked"] == 1 and assessed.loc["1-7", "taken_on"] == "2014-02-19"
    links = pd.read_csv(out / "module_skills.csv")
    assert set(links["skill_id"]) == {"XYZ"} and len(links) == 4
    sessions = pd.read_csv(out / "sessions.csv")
    assert sessions["capacity"].isna().all()  # unlimited
    assert "results.csv" in (out / "_oulad" / "README.md").read_text(encoding="utf-8")


def test_a_presentation_before_its_first_submission_imports(tmp_path: Path) -> None:
    """Scoring a running presentation early: studentAssessment.csv has its header only
    (and so may studentVle.csv).  Was a TypeError from pandas (mapping an empty
    date series), now an import with no participations and OULAD's own dates."""
    tables = copy()
    tables["studentAssessment"] = tables["studentAssessment"][:1]
    tables["studentVle"] = [
        ["code_module", "code_presentation", "id_student", "id_site", "date", "sum_click"]
    ]
    out = tmp_path / "out"
    counts = import_oulad(write_fixture(tmp_path / "src", tables), out)
    assert counts["participations"] == counts["assessments"] == 0
    assert counts["staff"] == 3 and counts["_oulad/student_vle"] == 0
    staff = pd.read_csv(out / "staff.csv").set_index("staff_id")
    assert staff.loc["XYZ-2014J-7", "hired_on"] == "2014-09-28"  # registered day -3
    sessions = pd.read_csv(out / "sessions.csv").set_index("session_id")
    assert sessions.loc["S2", "ends_on"] == "2014-03-13"  # due day 40, nobody late
