"""What is offered in a window: sessions opening in it, self-paced modules available."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from features.offerings import OFFER_COLUMNS, offered_module_ids, offered_modules

D = pd.Timestamp


def _tables(modules: list[dict], sessions: list[dict]) -> dict[str, pd.DataFrame]:
    mods = pd.DataFrame(modules) if modules else pd.DataFrame(columns=["module_id", "mode"])
    for col in ("offered_from", "offered_to"):
        if col in mods:
            mods[col] = pd.to_datetime(mods[col])
    ses = pd.DataFrame(
        sessions, columns=["session_id", "module_id", "starts_on", "ends_on", "capacity"]
    )
    for col in ("starts_on", "ends_on", "enrol_from"):
        if col in ses:
            ses[col] = pd.to_datetime(ses[col])
    return {"modules": mods, "sessions": ses}


def _m(mid: str, mode: str = "offline", **kw: object) -> dict:
    return {"module_id": mid, "title": mid, "mode": mode, **kw}


def _s(sid: str, mid: str, start: str, end: str, cap: float | None = None) -> dict:
    return {
        "session_id": sid,
        "module_id": mid,
        "starts_on": start,
        "ends_on": end,
        "capacity": cap,
    }


def test_a_session_starting_in_the_window_is_offered_and_the_window_is_half_open():
    t = _tables(
        [_m("A"), _m("B"), _m("C")],
        [
            _s("s1", "A", "2014-10-01", "2014-12-31", 30),
            _s("s2", "B", "2015-01-01", "2015-03-31"),  # starts on `end`: outside
            _s("s3", "C", "2014-09-30", "2014-12-31"),  # the day before `start`: outside
        ],
    )
    got = offered_modules(t, "2014-10-01", "2015-01-01")
    assert list(got.columns) == OFFER_COLUMNS
    assert got["module_id"].tolist() == ["A"]
    row = got.iloc[0]
    assert row["session_id"] == "s1" and row["capacity"] == 30
    assert row["starts_on"] == D("2014-10-01") and row["ends_on"] == D("2014-12-31")
    assert offered_module_ids(t, "2014-10-01", "2015-01-01") == {"A"}


def test_enrolment_opening_counts_not_the_start():
    # registration opens in September for an October class: offered in September only
    t = _tables([_m("A")], [_s("s1", "A", "2025-10-10", "2025-10-12")])
    t["sessions"]["enrol_from"] = pd.to_datetime(["2025-09-01"])
    assert offered_module_ids(t, "2025-09-01", "2025-10-01") == {"A"}
    assert offered_module_ids(t, "2025-10-01", "2025-11-01") == frozenset()
    # an empty enrol_from falls back to starts_on
    t["sessions"]["enrol_from"] = pd.to_datetime([None])
    assert offered_module_ids(t, "2025-10-01", "2025-11-01") == {"A"}


def test_self_paced_availability_bounds_are_inclusive_and_open_ends_unbounded():
    t = _tables(
        [
            _m("new", "online", offered_from="2025-03-01"),
            _m("retired", "online", offered_to="2025-01-31"),
            _m("last-day", "offline", offered_to="2025-02-01"),
            _m("later", "online", offered_from="2025-03-01", offered_to="2025-12-31"),
        ],
        [],
    )
    feb = offered_modules(t, "2025-02-01", "2025-03-01")
    assert set(feb["module_id"]) == {"last-day"}  # offered_to is its last available day
    assert feb["session_id"].isna().all() and feb["capacity"].isna().all()
    assert offered_module_ids(t, "2025-03-01", "2025-04-01") == {"new", "later"}
    assert offered_module_ids(t, "2026-01-01", "2026-02-01") == {"new"}


def test_an_online_module_without_sessions_is_always_available_but_offline_is_not():
    t = _tables(
        [_m("video", "online"), _m("class", "offline"), _m("cohort", "online")],
        [_s("s1", "cohort", "2020-01-01", "2020-02-01")],
    )
    # the online module with a (past) session is session-bound; the offline one has none
    assert offered_module_ids(t, "2025-01-01", "2025-02-01") == {"video"}


def test_sessions_after_any_as_of_date_are_the_schedule_and_count():
    t = _tables([_m("A")], [_s("s1", "A", "2030-01-01", "2030-01-05")])
    assert offered_module_ids(t, "2030-01-01", "2030-02-01") == {"A"}


def test_an_empty_or_reversed_window_and_a_bad_date_are_refused():
    t = _tables([_m("A")], [])
    with pytest.raises(ValueError, match="empty"):
        offered_modules(t, "2025-02-01", "2025-02-01")
    with pytest.raises(ValueError, match="not a date: 'soon'"):
        offered_modules(t, "soon", "2025-02-01")


def test_a_module_with_two_sessions_in_the_window_gives_two_rows_and_one_id():
    t = _tables(
        [_m("A")],
        [_s("s2", "A", "2025-05-20", "2025-05-21"), _s("s1", "A", "2025-05-02", "2025-05-03")],
    )
    got = offered_modules(t, "2025-05-01", "2025-06-01")
    assert got["session_id"].tolist() == ["s1", "s2"]  # by opening day
    assert offered_module_ids(t, "2025-05-01", "2025-06-01") == {"A"}


_day = st.integers(0, 120).map(lambda d: D("2025-01-01") + pd.Timedelta(days=d))


@settings(max_examples=60, deadline=None)
@given(
    starts=st.lists(_day, min_size=0, max_size=8),
    lo=_day,
    span=st.integers(1, 60),
    cut=st.integers(1, 59),
)
def test_windows_split_the_offerings_exactly(
    starts: list[pd.Timestamp], lo: pd.Timestamp, span: int, cut: int
) -> None:
    """Offerings of [a, c) are those of [a, b) plus those of [b, c), never both."""
    t = _tables(
        [_m(f"M{i}") for i in range(len(starts))],
        [_s(f"S{i}", f"M{i}", s, s + pd.Timedelta(days=1)) for i, s in enumerate(starts)],
    )
    hi = lo + pd.Timedelta(days=span + 60)
    mid = lo + pd.Timedelta(days=min(cut, span))
    whole = set(offered_modules(t, lo, hi)["session_id"])
    left = set(offered_modules(t, lo, mid)["session_id"])
    right = set(offered_modules(t, mid, hi)["session_id"])
    assert left | right == whole and not left & right
    assert whole == {f"S{i}" for i, s in enumerate(starts) if lo <= s < hi}
