"""OULAD importer: the mapping on a tiny hand-made fixture, and clean errors on bad input."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.errors import InputFileError, ValidationError
from engine.importers.oulad import import_oulad, read_oulad, to_canonical
from engine.readers import read_dataset
from engine.validate import validate_dataset

# a presentation that is not one of the 2013 ones, a '?' exam date, a '?' score,
# a withdrawn student, a student in two presentations, no vle file
FIXTURE: dict[str, list[list[str]]] = {
    "courses": [
        ["code_module", "code_presentation", "module_presentation_length"],
        ["XYZ", "2014B", "240"],
        ["XYZ", "2014J", "260"],
    ],
    "assessments": [
        ["code_module", "code_presentation", "id_assessment", "assessment_type", "date", "weight"],
        ["XYZ", "2014B", "1", "TMA", "20", "25"],
        ["XYZ", "2014B", "2", "CMA", "40", "0"],
        ["XYZ", "2014B", "3", "Exam", "?", "100"],
        ["XYZ", "2014J", "4", "TMA", "30", "50"],
    ],
    "studentInfo": [
        [
            "code_module",
            "code_presentation",
            "id_student",
            "gender",
            "region",
            "highest_education",
            "imd_band",
            "age_band",
            "num_of_prev_attempts",
            "studied_credits",
            "disability",
            "final_result",
        ],  # fmt: skip
        ["XYZ", "2014B", "7", "F", "Wales", "A Level", "?", "0-35", "0", "60", "N", "Pass"],
        [
            "XYZ",
            "2014B",
            "8",
            "M",
            "Scotland",
            "HE",
            "20-30%",
            "35-55",
            "1",
            "120",
            "Y",
            "Withdrawn",
        ],
        ["XYZ", "2014J", "7", "F", "Wales", "A Level", "?", "0-35", "1", "60", "N", "Fail"],
    ],
    "studentRegistration": [
        [
            "code_module",
            "code_presentation",
            "id_student",
            "date_registration",
            "date_unregistration",
        ],
        ["XYZ", "2014B", "7", "-10", "?"],
        ["XYZ", "2014B", "8", "?", "35"],
        ["XYZ", "2014J", "7", "-3", ""],
    ],
    "studentAssessment": [
        ["id_assessment", "id_student", "date_submitted", "is_banked", "score"],
        ["1", "7", "18", "0", "80"],
        ["1", "8", "22", "0", "40"],
        ["2", "7", "41", "0", "?"],
        ["3", "7", "235", "0", "66"],
        ["4", "7", "-5", "1", "70"],
    ],
}


def write_fixture(root: Path, tables: dict[str, list[list[str]]] = FIXTURE) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        with open(root / f"{name}.csv", "w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows(rows)
    return root


def test_mapping_of_a_hand_made_fixture(tmp_path: Path) -> None:
    src = write_fixture(tmp_path / "src")
    counts = import_oulad(src, tmp_path / "out")
    assert counts["staff"] == 3 and counts["participations"] == 5 and counts["assessments"] == 4
    # the written dataset passes the engine's own validation unchanged
    typed = validate_dataset(read_dataset(tmp_path / "out"))
    staff = typed["staff"].set_index("staff_id")
    assert list(typed["organizations"]["org_id"]) == ["XYZ-2014B", "XYZ-2014J"]
    # one staff row per registration; 2014B starts on 1 February 2014
    assert staff.loc["XYZ-2014B-7", "hired_on"] == pd.Timestamp("2014-01-22")
    assert pd.isna(staff.loc["XYZ-2014B-7", "left_on"])
    assert staff.loc["XYZ-2014B-8", "hired_on"] == pd.Timestamp("2014-02-01")  # '?' → start
    assert staff.loc["XYZ-2014B-8", "left_on"] == pd.Timestamp("2014-03-08")
    # registered on day -3 but a banked result is dated day -5: employment starts there,
    # OULAD's own day is kept (nothing is completed before hiring in the canonical data)
    assert staff.loc["XYZ-2014J-7", "hired_on"] == pd.Timestamp("2014-09-26")
    raw_staff = pd.read_csv(tmp_path / "out" / "staff.csv").set_index("staff_id")
    assert raw_staff.loc["XYZ-2014J-7", "registration_day"] == -3
    # a late submission widens its assessment's session (due day kept on the module)
    sessions = typed["sessions"].set_index("session_id")
    assert sessions.loc["S2", "ends_on"] == pd.Timestamp("2014-03-14")
    # labels live apart from the features
    results = pd.read_csv(tmp_path / "out" / "_oulad" / "results.csv").set_index("staff_id")
    assert results.loc["XYZ-2014J-7", "final_result"] == "Fail"
    assert "final_result" not in pd.read_csv(tmp_path / "out" / "staff.csv").columns
    modules = pd.read_csv(tmp_path / "out" / "modules.csv").set_index("module_id")
    assert modules.loc[3, "due_day"] == 240  # undated exam: last day of the presentation
    assert modules.loc[1, "weight"] == 25
    # a submission with score '?' is a participation but not an assessment
    parts = typed["participations"].set_index("participation_id")
    assert parts.loc["2-7", "completed_on"] == pd.Timestamp("2014-03-14")
    assert "2-7" not in set(typed["assessments"]["assessment_id"])
    banked = typed["participations"].set_index("participation_id").loc["4-7"]
    assert banked["completed_on"] == pd.Timestamp("2014-09-26")  # day -5 of 2014J
    assert not (tmp_path / "out" / "_oulad" / "vle.csv").exists()  # optional, absent


def test_imports_the_real_2013_files(tmp_path: Path) -> None:
    src = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "oulad-2013"
    if not src.is_dir():
        src = Path("/work/shared/datasets/oulad-2013")
    if not src.is_dir():
        pytest.skip("OULAD 2013 files not available")
    tables = to_canonical(read_oulad(src))
    assert len(tables["staff"]) == 13_529
    assert len(tables["participations"]) == 82_842
    assert (
        tables["_oulad/results"]["final_result"]
        .isin(["Pass", "Distinction", "Fail", "Withdrawn"])
        .all()
    )


def test_cli_imports_and_lists_problems(tmp_path: Path) -> None:
    src = write_fixture(tmp_path / "src")
    cmd = [sys.executable, "-m", "engine.cli", "import", "oulad", str(src), "--out"]
    ok = subprocess.run([*cmd, str(tmp_path / "a")], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / "a" / "staff.csv").exists()
    bad = {
        **FIXTURE,
        "studentAssessment": [*FIXTURE["studentAssessment"], ["9", "7", "x", "0", "1"]],
    }
    write_fixture(tmp_path / "bad", bad)
    res = subprocess.run(
        [*cmd[:5], str(tmp_path / "bad"), "--out", str(tmp_path / "b")],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 2
    assert "studentAssessment.csv 第 7 行 [date_submitted] 值 'x'：必须是整数" in res.stderr
    assert not (tmp_path / "b").exists()


def test_missing_required_file_and_column(tmp_path: Path) -> None:
    src = write_fixture(tmp_path / "src")
    (src / "courses.csv").unlink()
    with pytest.raises(ValidationError, match="courses.csv.*required OULAD file missing"):
        read_oulad(src)
    src = write_fixture(tmp_path / "src2")
    rows = [r[:-1] for r in FIXTURE["studentInfo"]]
    write_fixture(src, {"studentInfo": rows})
    with pytest.raises(ValidationError, match=r"studentInfo.csv \[final_result\]: required column"):
        read_oulad(src)
    with pytest.raises(InputFileError, match="not a directory"):
        read_oulad(tmp_path / "nope")


def test_refuses_a_non_empty_output_and_writes_nothing_on_error(tmp_path: Path) -> None:
    src = write_fixture(tmp_path / "src")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("x")
    with pytest.raises(InputFileError, match="not empty"):
        import_oulad(src, tmp_path / "out")
    bad = {
        **FIXTURE,
        "studentRegistration": [*FIXTURE["studentRegistration"], ["XYZ", "2014B", "99", "1", "?"]],
    }
    write_fixture(tmp_path / "bad", bad)
    with pytest.raises(ValidationError, match="unknown registration"):
        import_oulad(tmp_path / "bad", tmp_path / "new")
    assert not (tmp_path / "new").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".new")] == []


CELLS = [
    (name, r, c)
    for name, rows in FIXTURE.items()
    for r in range(1, len(rows))
    for c in range(len(rows[0]))
]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cell=st.sampled_from(CELLS),
    value=st.one_of(
        st.text(max_size=6),
        st.sampled_from(
            [
                "?",
                "",
                "-1",
                "1.5",
                "101",
                "2014Q",
                "nan",
                "1e3",
                "Exam",
                "0",
                "inf",
                "-inf",
                "1e400",
            ]
        ),
    ),
)
def test_any_single_cell_change_imports_or_fails_cleanly(
    tmp_path_factory: pytest.TempPathFactory, cell, value
) -> None:  # noqa: ANN001
    name, r, c = cell
    tables = {k: [list(row) for row in v] for k, v in FIXTURE.items()}
    tables[name][r][c] = value
    root = tmp_path_factory.mktemp("h")
    src = write_fixture(root / "src", tables)
    out = root / "out"
    try:
        import_oulad(src, out)
    except ValidationError as exc:
        assert exc.problems and not out.exists()
        for p in exc.problems:
            assert p.file.endswith(".csv") and p.rule
        column = FIXTURE[name][0][c]
        assert any(p.file == f"{name}.csv" or column in p.column for p in exc.problems), exc
    except InputFileError:
        assert not out.exists()
    else:
        # what was accepted is a valid canonical dataset
        validate_dataset(read_dataset(out))
    shutil.rmtree(root, ignore_errors=True)
