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
    hired = (small_tables["staff"]["hired_on"] <= "2026-06-30").sum()
    assert len(st) == hired and set(st["status"]) <= {"met", "on_track", "at_risk", "overdue"}
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
            ]
        )
        == 0
    )
    credits = pd.read_parquet(pq)
    assert set(credits["org_id"]) == {org} and "cycle_done" in credits.columns
    assert "staff under credits" in capsys.readouterr().out
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
    } <= names
    assert "person-times still needed for full coverage" in capsys.readouterr().out


def test_empty_store_is_a_clear_error(tmp_path: Path, monkeypatch, capsys) -> None:  # noqa: ANN001
    from engine.store import Store

    db = tmp_path / "empty.db"
    monkeypatch.setenv("LEARNMAP_DATABASE_URL", f"sqlite:///{db}")
    # no store at all: said, and none is created
    assert main(["status", "--out", str(tmp_path / "s.csv")]) == 2
    assert "no store at" in capsys.readouterr().err and not db.exists()
    # a store with nothing in it
    Store(f"sqlite:///{db}").create()
    assert main(["status", "--out", str(tmp_path / "s.csv")]) == 2
    assert "the store is empty" in capsys.readouterr().err
