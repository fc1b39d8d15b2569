"""The optional availability columns (modules.offered_from/offered_to, sessions.enrol_from):
read under English or Chinese headers, checked, stored, and added to older stores."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from engine.errors import ValidationError
from engine.ingest import ingest
from engine.schema import TABLES
from engine.store import Store
from tests.helpers import tiny, write_tiny


def _store(tmp_path: Path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'db.sqlite'}")


def test_availability_columns_round_trip_under_chinese_headers(tmp_path: Path) -> None:
    data = tiny()
    data["modules"][0] |= {"上线日期": "2025年1月5日", "下线日期": "2026/6/30"}
    data["modules"][1] |= {"上线日期": "", "下线日期": ""}
    data["sessions"][0] |= {"报名开始日期": "2025-08-01"}
    data["sessions"][1] |= {"报名开始日期": ""}
    store = _store(tmp_path)
    ingest(write_tiny(tmp_path / "in", data), store)
    got = store.load(["modules", "sessions"])
    mods = got["modules"].set_index("module_id")
    assert mods.loc["M1", "offered_from"] == pd.Timestamp("2025-01-05")
    assert mods.loc["M1", "offered_to"] == pd.Timestamp("2026-06-30")
    assert pd.isna(mods.loc["M2", "offered_from"]) and pd.isna(mods.loc["M2", "offered_to"])
    ses = got["sessions"].set_index("session_id")
    assert ses.loc["E1", "enrol_from"] == pd.Timestamp("2025-08-01")
    assert pd.isna(ses.loc["E2", "enrol_from"])


@pytest.mark.parametrize(
    ("table", "row", "values", "column", "rule"),
    [
        (
            "modules",
            1,
            {"offered_from": "2025-06-01", "offered_to": "2025-05-31"},
            "offered_to",
            "must not be before offered_from",
        ),
        ("modules", 0, {"offered_from": "soon", "offered_to": ""}, "offered_from", "a date"),
        ("sessions", 0, {"enrol_from": "2025-09-04"}, "enrol_from", "must not be after ends_on"),
    ],
)
def test_bad_availability_is_named_and_nothing_is_written(
    tmp_path: Path, table: str, row: int, values: dict, column: str, rule: str
) -> None:
    data = tiny()
    for r in data[table]:
        r |= {k: "" for k in values}
    data[table][row] |= values
    store = _store(tmp_path)
    with pytest.raises(ValidationError) as info:
        ingest(write_tiny(tmp_path / "in", data), store)
    hit = [p for p in info.value.problems if p.column == column and rule in p.rule]
    assert hit, info.value.problems
    assert hit[0].file == f"{table}.csv" and hit[0].row == row + 2
    assert hit[0].value == values[column]
    assert sum(store.counts().values()) == 0


def test_a_store_from_before_the_columns_is_upgraded(tmp_path: Path) -> None:
    import sqlalchemy as sa

    store = _store(tmp_path)
    ingest(write_tiny(tmp_path / "a"), store)
    with store.engine.begin() as conn:  # as an older version left it: no such columns
        for table, col in (("modules", "offered_from"), ("sessions", "enrol_from")):
            conn.exec_driver_sql(f"ALTER TABLE {table} DROP COLUMN {col}")
    again = _store(tmp_path)
    counts = ingest(write_tiny(tmp_path / "a"), again)
    assert all(c.new == c.updated == 0 for c in counts.values())
    cols = {c["name"] for c in sa.inspect(again.engine).get_columns("modules")}
    assert {"offered_from", "offered_to"} <= cols
    assert set(TABLES["sessions"].names) <= set(again.load(["sessions"])["sessions"].columns)
