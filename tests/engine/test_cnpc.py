"""The Canvas Network person-course importer: the documented mapping, later years, and
bad rows refused with file, row, column, value and rule (nothing written)."""

from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.errors import InputFileError, ValidationError
from engine.importers.cnpc import import_cnpc, quarter_bounds, read_cnpc, skill_ids, to_canonical
from engine.readers import read_dataset
from engine.validate import validate_dataset

HEADER = [
    "course_id_DI",
    "discipline",
    "userid_DI",
    "registered",
    "viewed",
    "grade",
    "grade_reqs",
    "completed_%",
    "course_reqs",
    "course_start",
    "course_end",
    "course_length",
]
#: the shared 2014 rows: beside the checkout (../shared), or where this machine keeps them
REAL = next(
    (
        p
        for p in (
            Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "cnpc-2014",
            Path("/work/shared/datasets/cnpc-2014"),
        )
        if p.is_dir()
    ),
    Path("/nonexistent"),
)
EXAMPLES = settings(
    max_examples=int(os.environ.get("LEARNMAP_PROP_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def row(
    course: str,
    learner: str,
    disc: str = "Humanities",
    start: str = "2014 Q1",
    end: str = "2014 Q2",
    done: str = "0",
    grade: str = "0",
    length: str = "70",
) -> list[str]:  # noqa: E501
    return [course, disc, learner, "1", "0", "0.1", grade, "", done, start, end, length]


def write(path: Path, rows: list[list[str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        w.writerows(rows)
    return path


def test_the_mapping_of_a_small_file(tmp_path: Path) -> None:
    src = write(
        tmp_path / "pc.csv",
        [
            row("C1", "U1", "Mathematics & Statistics", "2014 Q1", "2014 Q2", done="1"),
            row("C1", "U2", "Mathematics & Statistics", "2014 Q1", "2014 Q2"),
            row("C2", "U1", "Education", "2014 Q3", "2014 Q3", grade="1", length=""),
            row("C2", "U1", "Education", "2014 Q3", "2014 Q3", length=""),  # repeated: merged
        ],
    )
    out = tmp_path / "ds"
    counts = import_cnpc(src, out)
    assert counts["participations"] == 3 and counts["modules"] == 2 and counts["staff"] == 2
    t = validate_dataset(read_dataset(out))  # a valid canonical dataset
    ses = t["sessions"].set_index("module_id")
    assert ses.loc["C1", "starts_on"] == pd.Timestamp("2014-01-01")
    assert ses.loc["C1", "ends_on"] == pd.Timestamp("2014-06-30")  # last day of 2014 Q2
    assert ses.loc["C2", "ends_on"] == pd.Timestamp("2014-09-30")
    p = t["participations"].set_index("participation_id")
    assert p.loc["C1-U1", "status"] == "completed"  # course_reqs = 1
    assert p.loc["C1-U1", "completed_on"] == pd.Timestamp("2014-06-30")
    assert p.loc["C2-U1", "status"] == "completed"  # grade_reqs = 1, on a repeated row
    assert p.loc["C1-U2", "status"] == "enrolled" and pd.isna(p.loc["C1-U2", "completed_on"])
    assert (p["enrolled_on"] == p["module_id"].map(ses["starts_on"])).all()
    assert not (t["participations"]["status"] == "no_show").any()
    mods = t["modules"].set_index("module_id")
    assert mods.loc["C1", "title"] == "Mathematics & Statistics course C1"  # no titles in CNPC
    assert mods.loc["C1", "hours"] == pytest.approx(10.0)  # 70 days = 10 weeks
    assert mods.loc["C2", "hours"] == pytest.approx(92 / 7, abs=0.01)  # from the session
    ms = t["module_skills"].set_index("module_id")
    assert ms.loc["C1", "skill_id"] == "mathematics-statistics"
    staff = t["staff"].set_index("staff_id")
    assert staff.loc["U1", "hired_on"] == pd.Timestamp("2014-01-01")  # first registration
    assert set(staff["role"]) == {"other"} and set(staff["org_id"]) == {"CNPC"}


def test_later_years_and_a_folder_of_files_import_unchanged(tmp_path: Path) -> None:
    write(tmp_path / "src" / "a_2015.csv", [row("C7", "U1", "Humanities", "2015 Q4", "2016 Q1")])
    write(
        tmp_path / "src" / "b_2031.csv",
        [row("C9", "U1", "Physics", "2031 Q2", "2032 Q3", done="1")],
    )
    import_cnpc(tmp_path / "src", tmp_path / "ds")
    t = validate_dataset(read_dataset(tmp_path / "ds"))
    ses = t["sessions"].set_index("module_id")
    assert ses.loc["C7", "ends_on"] == pd.Timestamp("2016-03-31")
    assert ses.loc["C9", "starts_on"] == pd.Timestamp("2031-04-01")
    assert ses.loc["C9", "ends_on"] == pd.Timestamp("2032-09-30")
    assert t["staff"].set_index("staff_id").loc["U1", "hired_on"] == pd.Timestamp("2015-10-01")


@pytest.mark.parametrize(
    ("bad", "column", "value", "rule"),
    [
        (row("C1", "U1", disc=""), "discipline", "", "must not be empty"),
        (
            row("C1", "U1", start="2014 Q3", end="2014 Q2"),
            "course_end",
            "2014 Q2",
            "must not end before it starts",
        ),
        (
            row("C1", "U1", start="Fall 2014"),
            "course_start",
            "Fall 2014",
            "must be a quarter YYYY Qn",
        ),
        (row("C1", "U1", end="2014 Q5"), "course_end", "2014 Q5", "must be a quarter"),
        (row("C1", "U1", done="yes"), "course_reqs", "yes", "must be 0 or 1"),
        (row("", "U1"), "course_id_DI", "", "must not be empty"),
        (row("C1", "U1", length="-3"), "course_length", "-3", "days > 0"),
    ],
)
def test_a_bad_row_refuses_the_import_naming_it(
    tmp_path: Path, bad: list[str], column: str, value: str, rule: str
) -> None:
    src = write(tmp_path / "pc.csv", [row("C0", "U0"), bad])
    with pytest.raises(ValidationError) as info:
        import_cnpc(src, tmp_path / "ds")
    hit = [p for p in info.value.problems if p.column == column and rule in p.rule]
    assert hit, info.value.problems
    assert (hit[0].file, hit[0].row, hit[0].value) == ("pc.csv", 3, value)
    assert not (tmp_path / "ds").exists()  # nothing written


def test_a_course_whose_rows_disagree_is_refused(tmp_path: Path) -> None:
    src = write(
        tmp_path / "pc.csv",
        [row("C1", "U1", disc="Humanities"), row("C1", "U2", disc="Education")],
    )
    with pytest.raises(ValidationError, match=r"pc.csv:3 \[discipline\] value 'Education'"):
        read_cnpc(src)


def test_missing_columns_files_and_a_used_output_are_clear_errors(tmp_path: Path) -> None:
    bad = tmp_path / "x.csv"
    bad.write_text("course_id_DI,userid_DI\nC1,U1\n", encoding="utf-8")
    with pytest.raises(ValidationError, match=r"x.csv \[discipline\]: required column missing"):
        read_cnpc(bad)
    with pytest.raises(InputFileError, match="no such file or folder"):
        read_cnpc(tmp_path / "absent")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputFileError, match="no .csv files"):
        read_cnpc(tmp_path / "empty")
    used = tmp_path / "used"
    used.mkdir()
    (used / "keep.txt").write_text("x")
    with pytest.raises(InputFileError, match="not empty"):
        import_cnpc(write(tmp_path / "ok.csv", [row("C1", "U1")]), used)


def test_skill_ids_are_stable_and_distinct() -> None:
    got = skill_ids(["A & B", "A-B", "Education", "???"])
    assert got["Education"] == "education"
    assert got["A & B"] != got["A-B"] and got["A & B"].startswith("a-b")
    assert got["???"].startswith("discipline-")


_years = st.integers(1990, 2090)
_q = st.integers(1, 4)


@EXAMPLES
@given(y1=_years, q1=_q, span=st.integers(0, 12))
def test_quarters_of_any_year_bound_the_session(y1: int, q1: int, span: int) -> None:
    q2 = q1 - 1 + span
    y2, q2 = y1 + q2 // 4, q2 % 4 + 1
    first, last, bad = quarter_bounds(pd.Series([f"{y1} Q{q1}", f"{y2}Q{q2}"]))
    assert not bad.any()
    assert first[0] == pd.Timestamp(y1, 3 * (q1 - 1) + 1, 1)
    assert (last[1] + pd.Timedelta(days=1)).day == 1  # the last day of its quarter
    assert last[1] >= first[0]
    assert last[1].month in (3, 6, 9, 12) and last[1].month == 3 * q2


@settings(
    max_examples=int(os.environ.get("LEARNMAP_PROP_EXAMPLES", "8")),
    deadline=None,
)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["C1", "C2", "C3"]),
            st.sampled_from(["U1", "U2", "U3", "U4"]),
            st.sampled_from(["0", "1"]),
            st.sampled_from(["0", "1"]),
        ),
        min_size=1,
        max_size=15,
    )
)
def test_every_learner_course_pair_becomes_one_participation(
    rows: list[tuple[str, str, str, str]],
) -> None:
    """Whatever rows arrive: one participation per distinct pair, completed iff one of its
    rows says course or grade requirements were met, enrolled otherwise."""
    quarters = {
        "C1": ("2014 Q1", "2014 Q2"),
        "C2": ("2020 Q4", "2021 Q1"),
        "C3": ("2014 Q3", "2014 Q3"),
    }
    with tempfile.TemporaryDirectory() as tmp:
        src = write(
            Path(tmp) / "x.csv",
            [row(c, u, "D" + c, *quarters[c], done=d, grade=g) for c, u, d, g in rows],
        )
        t = to_canonical(read_cnpc(src))
    p = t["participations"].set_index("participation_id")
    pairs = {(c, u) for c, u, _, _ in rows}
    assert len(p) == len(pairs)
    for c, u in pairs:
        done = any(d == "1" or g == "1" for cc, uu, d, g in rows if (cc, uu) == (c, u))
        assert p.loc[f"{c}-{u}", "status"] == ("completed" if done else "enrolled")
    assert set(p["status"]) <= {"completed", "enrolled"}


@pytest.mark.skipif(not REAL.is_dir(), reason="the shared CNPC files are not on this machine")
def test_the_real_2014_rows_import(tmp_path: Path) -> None:
    t = to_canonical(read_cnpc(REAL))
    assert len(t["modules"]) == 123 and len(t["staff"]) == 104_528
    assert len(t["participations"]) == 157_240 - 145  # repeated learner-course pairs merged
    assert (t["participations"]["status"] == "completed").sum() == 1028
