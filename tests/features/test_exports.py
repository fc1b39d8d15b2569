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


def test_status_and_risk_rows_get_names_beside_their_ids() -> None:
    """``with_people``: the person's name after ``staff_id``, the organization's after
    ``org_id``, the role when the file has none; rows and their order kept, an unknown
    id left without a name."""
    from features.exports import with_people

    staff = pd.DataFrame(
        {"staff_id": ["S1", "S2"], "name": ["张三", None], "role": ["head", "finance"]}
    )
    orgs = pd.DataFrame({"org_id": ["O1"], "name": ["中国青少年协会"]})
    rows = pd.DataFrame(
        {"staff_id": ["S2", "S9", "S1"], "org_id": ["O1", "O7", "O1"], "p_miss": [0.2, 0.5, 0.9]}
    )
    out = with_people(rows, staff, orgs)
    assert list(out.columns) == ["staff_id", "staff_name", "org_id", "org_name", "role", "p_miss"]
    assert out["staff_id"].tolist() == ["S2", "S9", "S1"]
    assert out["p_miss"].tolist() == [0.2, 0.5, 0.9]
    assert out["staff_name"].fillna("").tolist() == ["", "", "张三"]
    assert out["org_name"].fillna("").tolist() == ["中国青少年协会", "", "中国青少年协会"]
    assert out["role"].fillna("").tolist() == ["finance", "", "head"]
    # after a contract scripts read by position: appended, the frame's columns untouched
    after = with_people(rows, staff, orgs, beside=False)
    assert list(after.columns) == [*rows.columns, "staff_name", "org_name", "role"]
    # a staff table without any name adds no empty column; a role already there stays
    nameless = with_people(rows.assign(role="x"), staff.assign(name=None), orgs)
    assert "staff_name" not in nameless and nameless["role"].eq("x").all()
