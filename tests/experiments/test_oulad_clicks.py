"""Clicks (studentVle) are read for scoring only when the training files have them: the
model never uses a column it did not see, and OULAD's click file is 10 M rows."""

from __future__ import annotations

from pathlib import Path

import pytest

import engine.importers.oulad as imp
import experiments.oulad as ex
from tests.engine.test_oulad import FIXTURE, write_fixture

VLE = [
    ["code_module", "code_presentation", "id_student", "id_site", "date", "sum_click"],
    ["XYZ", "2014J", "3", "77", "5", "12"],
]


def test_test_clicks_are_not_read_when_training_has_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    train = write_fixture(tmp_path / "train", FIXTURE)
    test = write_fixture(tmp_path / "test", {**FIXTURE, "studentVle": VLE})
    assert imp.read_oulad(test).student_vle is not None  # the file is there and valid
    assert imp.read_oulad(test, skip=("studentVle",)).student_vle is None
    read: list[str] = []
    real = imp._read_raw
    monkeypatch.setattr(imp, "_read_raw", lambda path: read.append(Path(path).name) or real(path))
    _, preds = ex.run(
        [f"{train}#2014B"], [f"{test}#2014J"], cutoffs=[30], models=[{"name": "rule"}],
        progress=False,
    )  # fmt: skip
    assert set(preds["unit"]) == {"XYZ-2014J"} and len(preds) > 0
    assert "studentVle.csv" not in read and "studentInfo.csv" in read
