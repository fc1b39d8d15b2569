"""``learnmap xapi pending`` / ``apply`` and ``learnmap ingest`` of the maps."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from engine.cli import main
from engine.policy import load_policy
from engine.store import Store
from engine.xapi.accept import prepare, save
from engine.xapi.apply import apply
from tests.xapi_world import HOME, load_world, statement


def test_pending_lists_what_waits_and_ingest_of_the_map_applies_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "x.db"
    monkeypatch.setenv("LEARNMAP_DATABASE_URL", f"sqlite:///{db}")
    store = load_world(Store(f"sqlite:///{db}"), tmp_path / "world")
    waiting = statement("completed", user="u3", result={"duration": "PT40M"})
    save(store.engine, prepare([waiting], {"account": {"homePage": HOME, "name": "k"}}))
    apply(store, load_policy("cadre-online").online_hours)
    assert main(["xapi", "pending"]) == 0
    out = capsys.readouterr().out
    assert "1 条学习记录待处理" in out and "待映射" in out  # the state by its label
    assert "no staff_id for account" in out and "u3" in out  # the note as stored
    assert main(["xapi", "pending", "--out", str(tmp_path / "p.csv")]) == 0
    assert pd.read_csv(tmp_path / "p.csv")["statement_id"].tolist() == [waiting["id"]]
    maps = tmp_path / "accounts.csv"
    pd.DataFrame({"home_page": [HOME], "name": ["u3"], "staff_id": ["S3"]}).to_csv(
        maps, index=False
    )
    assert main(["ingest", str(maps)]) == 0
    assert "已应用 1 条，仍待映射 0 条" in capsys.readouterr().out
    parts = Store(f"sqlite:///{db}").load_table("participations")
    assert parts["staff_id"].tolist() == ["S3"] and parts["hours"].tolist() == [1.0]
    assert main(["xapi", "pending"]) == 0
    assert "没有待处理的学习记录" in capsys.readouterr().out
