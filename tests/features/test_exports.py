"""Exports that stand alone (issue 23): the contract columns first and unchanged, then
names, organization, module title, mode, hours and the session to book."""

from __future__ import annotations

import pandas as pd

from features.exports import allocation_export, recommendation_export
from tests.helpers import tiny, typed_tables


def _tables() -> dict[str, pd.DataFrame]:
    data = tiny()
    data["staff"][0]["name"] = "张三"
    for row in data["staff"][1:]:
        row["name"] = ""
    return typed_tables(data)


def test_recommendations_name_the_module_and_the_next_session() -> None:
    t = _tables()
    recs = pd.DataFrame(
        {"staff_id": ["S1", "S1"], "rank": [1, 2], "module_id": ["M2", "M1"],
         "score": [0.9, 0.5], "reason": ["r1", "r2"]}
    )  # fmt: skip
    out = recommendation_export(recs, t, "2025-10-01")
    assert list(out.columns[:5]) == ["staff_id", "rank", "module_id", "score", "reason"]
    pd.testing.assert_frame_equal(out[recs.columns], recs)
    first = out.iloc[0]
    mods = t["modules"].set_index("module_id")
    assert first["title"] == mods.at["M2", "title"] and first["mode"] == mods.at["M2", "mode"]
    assert first["hours"] == mods.at["M2", "hours"] and first["staff_name"] == "张三"
    assert first["org_name"] == "中国教育协会"
    # E1 started before the as-of date; E2 is the one to book
    assert first["session_id"] == "E2"
    assert first["session_starts_on"] == pd.Timestamp("2026-03-01")
    assert "E2" in first["book_session"] and "2026-03-01" in first["book_session"]
    assert out.iloc[1]["book_session"] == ""  # M1 has no upcoming session


def test_seats_carry_the_session_dates_and_names() -> None:
    t = _tables()
    seats = pd.DataFrame(
        {"session_id": ["E2"], "module_id": ["M2"], "staff_id": ["S1"], "org_id": ["O1"],
         "weight": [1.0], "reason": ["x"]}
    )  # fmt: skip
    out = allocation_export(seats, t)
    assert list(out.columns[:6]) == list(seats.columns)
    row = out.iloc[0]
    assert row["session_starts_on"] == pd.Timestamp("2026-03-01")
    assert row["session_ends_on"] == pd.Timestamp("2026-03-03")
    assert row["staff_name"] == "张三" and row["title"]
