"""The feature commands of learnmap, end to end on an ingested demo store."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from engine.cli import main


@pytest.fixture
def loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_dir: Path) -> Path:
    monkeypatch.setenv("LEARNMAP_DATABASE_URL", f"sqlite:///{tmp_path / 'f.db'}")
    assert main(["ingest", str(small_dir)]) == 0
    return tmp_path


def test_status_csv_and_parquet(loaded: Path, small_tables, capsys) -> None:  # noqa: ANN001
    out = loaded / "status.csv"
    assert main(["status", "--as-of", "2026-06-30", "--out", str(out)]) == 0
    st = pd.read_csv(out)
    for col in ("staff_id", "org_id", "required", "done", "remaining", "deadline", "status"):
        assert col in st.columns
    staff = small_tables["staff"]
    hired = staff["hired_on"] <= "2026-06-30"
    employed = hired & ~(staff["left_on"].fillna("9999") <= "2026-06-30")
    # the people report, risk and the API count: employed on the date; owing nothing is
    # "none" (无要求), not "met"
    assert len(st) == employed.sum() and st["employed"].all()
    assert set(st["status"]) <= {"met", "on_track", "at_risk", "overdue", "none"}
    assert (st["status"] == "none").eq(st["required"] == 0).all()
    assert st["status_label"].isin(["达标", "进度正常", "有风险", "逾期", "无要求"]).all()
    printed = capsys.readouterr().out
    assert f"在职 {employed.sum()} 人" in printed and "无要求" in printed
    everyone = loaded / "everyone.csv"
    assert main(["status", "--as-of", "2026/06/30", "--include-left", "--out", str(everyone)]) == 0
    assert len(pd.read_csv(everyone)) == hired.sum()
    org = st["org_id"].iloc[0]
    pq = loaded / "org.parquet"
    assert (
        main(
            [
                "status",
                "--as-of",
                "2026-06-30",
                "--policy",
                "credits",
                "--org",
                org,
                "--out",
                str(pq),
                "--lang",
                "en",
            ]
        )
        == 0
    )
    credits = pd.read_parquet(pq)
    assert set(credits["org_id"]) == {org} and "cycle_done" in credits.columns
    assert "staff under Training credits" in capsys.readouterr().out
    assert main(["status", "--out", str(loaded / "x.txt")]) == 2


def test_profile_learning_map_and_report(loaded: Path, capsys) -> None:  # noqa: ANN001
    capsys.readouterr()
    assert main(["profile", "ST0000001", "--as-of", "2026-06-30", "--json"]) == 0
    prof = json.loads(capsys.readouterr().out)
    assert prof["staff_id"] == "ST0000001" and prof["status"]["policy"] == "national-2025"
    assert {"person_times", "hours_12m", "credits_available", "required_coverage"} <= set(prof)
    assert main(["profile", "NOBODY", "--as-of", "2026-06-30"]) == 2
    js, png = loaded / "m.json", loaded / "m.png"
    assert main(["learning-map", "ST0000001", "--as-of", "2026-06-30", "--out", str(js)]) == 0
    assert any(n["kind"] == "skill" for n in json.loads(js.read_text("utf-8"))["nodes"])
    assert main(["learning-map", "ST0000001", "--as-of", "2026-06-30", "--out", str(png)]) == 0
    assert png.read_bytes()[:4] == b"\x89PNG"
    rep = loaded / "report"
    assert main(["report", "--as-of", "2026-06-30", "--out", str(rep)]) == 0
    names = {p.name for p in rep.iterdir()}
    assert {
        "volume.csv",
        "coverage_by_region.csv",
        "volume_by_year.png",
        "organizations.csv",
        "status_by_role.png",
        "organizations_by_role.csv",
        "report.xlsx",
        "summary.docx",
    } <= names
    printed = capsys.readouterr().out
    assert "实现全覆盖尚需" in printed and "2026年截至6月30日" in printed
    assert "2027年尚未开始" in printed  # a year that has not begun is not reported
    assert not (pd.read_csv(rep / "volume.csv")["year"] > 2026).any()
    # an existing file as --out: a clear error, no traceback, the file untouched
    status = loaded / "status.csv"
    status.write_text("keep me")
    assert main(["report", "--as-of", "2026-06-30", "--out", str(status)]) == 2
    assert "这是一个文件" in capsys.readouterr().err and status.read_text() == "keep me"


def test_empty_store_is_a_clear_error(tmp_path: Path, monkeypatch, capsys) -> None:  # noqa: ANN001
    from engine.store import Store

    db = tmp_path / "empty.db"
    monkeypatch.setenv("LEARNMAP_DATABASE_URL", f"sqlite:///{db}")
    # no store at all: said, and none is created
    assert main(["status", "--out", str(tmp_path / "s.csv")]) == 2
    assert "不存在（LEARNMAP_DATABASE_URL）" in capsys.readouterr().err and not db.exists()
    # a store with nothing in it
    Store(f"sqlite:///{db}").create()
    assert main(["status", "--out", str(tmp_path / "s.csv")]) == 2
    assert "the store is empty" in capsys.readouterr().err


def test_profile_reads_as_people_write_and_says_what_was_not_measured(loaded: Path, capsys) -> None:  # noqa: ANN001
    """Issue 23: labels instead of field names and codes; a skill the person has no
    score on is '尚未评估' with the population's estimate, not a measured mastery."""
    capsys.readouterr()
    assert main(["profile", "ST0000001", "--as-of", "2026-06-30", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert all(g["evidence"] in ("measured", "prior") for g in record["skill_gaps"])
    assert main(["profile", "ST0000001", "--as-of", "2026-06-30"]) == 0
    out = capsys.readouterr().out
    assert "长期未参训" in out and "long_untrained" not in out and "None" not in out
    for g in record["skill_gaps"][:5]:
        if g["evidence"] == "prior":
            assert f"{g['skill']}  尚未评估（总体估计 {g['mastery']:.2f}）" in out
        else:
            assert f"{g['skill']}  {g['mastery']:.2f} / {g['target']:.2f}" in out
