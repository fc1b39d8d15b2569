"""Staff risk output: status (today's pace) against p_miss (the forecast), flagged."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from engine.labels import column, display_frame, label
from models.risk.agreement import AGREEMENT, DISAGREE_AT, forecast_vs_status

STATUS = ["met", "on_track", "at_risk", "overdue", "none", "not_employed"]


def test_the_st0000002_case_is_flagged() -> None:
    # the example: on track today with p_miss 0.77 reads as a contradiction
    got = forecast_vs_status(
        np.array(["on_track", "on_track", "at_risk", "at_risk", "met", "overdue"]),
        np.array([0.77, 0.2, 0.3, 0.9, 0.0, 1.0]),
    )
    assert got.tolist() == [
        "worse_than_pace", "agree", "better_than_pace", "agree", "agree", "agree",
    ]  # fmt: skip


@given(
    st.lists(
        st.tuples(st.sampled_from(STATUS), st.floats(0, 1, allow_nan=False)),
        min_size=0,
        max_size=40,
    )
)
def test_flag_says_exactly_when_pace_and_forecast_point_different_ways(rows) -> None:  # noqa: ANN001
    status = np.array([s for s, _ in rows], dtype=object)
    p = np.array([q for _, q in rows], float)
    got = forecast_vs_status(status, p)
    assert set(got) <= set(AGREEMENT)
    pace_ok = status == "on_track"
    pace_bad = status == "at_risk"
    likely = p >= DISAGREE_AT
    disagree = (pace_ok & likely) | (pace_bad & ~likely)
    assert ((got != "agree") == disagree).all()
    assert (got[pace_ok & likely] == "worse_than_pace").all()
    assert (got[pace_bad & ~likely] == "better_than_pace").all()


def test_labels_say_which_is_the_pace_and_which_the_forecast() -> None:
    assert column("forecast_vs_status") != "forecast_vs_status"
    for code in AGREEMENT:
        zh = label("forecast_vs_status", code)
        assert zh != code and any("\u4e00" <= ch <= "\u9fff" for ch in zh)
    assert "预测" in label("forecast_vs_status", "worse_than_pace")
    assert "进度" in label("forecast_vs_status", "worse_than_pace")
    frame = pd.DataFrame({"forecast_vs_status": ["worse_than_pace"]})
    shown = display_frame(frame, lang="en")
    assert shown.astype(str).apply(lambda c: c.str.contains("likely to miss")).any().any()
