"""The learnmap command line: generate, ingest (exit 2 and every error on bad input,
--json), db info, helpful --help."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.cli import main
from engine.schema import DATASET_TABLES
from tests.helpers import tiny, write_tiny


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("LEARNMAP_DATABASE_URL", url)
    return url


def test_demo_data_ingest_and_info(
    tmp_path: Path, db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "demo"
    assert main(["demo-data", "--out", str(out), "--orgs", "40", "--seed", "2"]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{t}.csv" for t in DATASET_TABLES)
    assert main(["ingest", str(out)]) == 0
    capsys.readouterr()
    assert main(["db", "info", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["url"] == db and info["counts"]["organizations"] == 40
    assert info["counts"]["participations"] > 100


def test_bad_input_exits_2_with_every_error(
    tmp_path: Path, db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tiny()
    data["staff"][0]["role"] = "boss"
    data["modules"][1]["hours"] = "zero"
    folder = write_tiny(tmp_path / "in", data)
    assert main(["ingest", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "staff.csv 第 2 行 [岗位（role）] 值 'boss'：必须是以下的一项或多项" in err
    assert "负责人（head）" in err and "modules.csv 第 3 行 [学时（hours）] 值 'zero'：必须是数字" in err
    assert err.startswith("已拒绝：发现 2 个问题，未写入任何数据")
    assert main(["ingest", str(folder), "--json"]) == 2
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False
    assert {(p["file"], p["row"], p["column"], p["value"]) for p in report["problems"]} == {
        ("staff.csv", 2, "role", "boss"),
        ("modules.csv", 3, "hours", "zero"),
    }
    assert main(["db", "info", "--json"]) == 0
    assert sum(json.loads(capsys.readouterr().out)["counts"].values()) == 0


def test_single_file_with_explicit_table(tmp_path: Path, db: str) -> None:
    folder = write_tiny(tmp_path / "in")
    assert main(["ingest", str(folder / "organizations.csv")]) == 0
    renamed = folder / "export-2025.csv"
    (folder / "staff.csv").rename(renamed)
    assert main(["ingest", str(renamed)]) == 2  # cannot tell the table from the name
    assert main(["ingest", str(renamed), "--table", "staff"]) == 0


def test_help_is_useful(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    for word in ("demo-data", "ingest", "db", "LEARNMAP_DATABASE_URL", "examples"):
        assert word in text
    with pytest.raises(SystemExit):
        main(["ingest", "--help"])
    assert "nothing" in capsys.readouterr().out.lower()


def test_policy_show_and_bad_policy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "show", "credits"]) == 0
    assert json.loads(capsys.readouterr().out)["credits"]["annual"] == 60
    bad = tmp_path / "p.toml"
    bad.write_text("name='x'\nkind='hours'\n", encoding="utf-8")
    assert main(["policy", "show", str(bad)]) == 2
    assert "p.toml" in capsys.readouterr().err
