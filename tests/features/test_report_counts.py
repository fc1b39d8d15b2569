"""Issue 23, "one population, one number": the report's headline counts people per
status as ``learnmap status`` does — counted, not share × staff (shares are rounded to
4 places, so at 30,000 staff one person met read as 0 % × 30,001 = 0)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.policy import load_policy
from features.compliance import compliance
from features.periods import STATUSES
from features.report import programme_report, summary
from features.report_files import headline
from features.snapshot import snapshot
from tests.features.world import world

PLAN = load_policy("national-2025")


def _status(counts: dict[str, int], not_owing: int, left: int) -> tuple[pd.DataFrame, np.ndarray]:
    rows = [(s, 5.0) for s, n in counts.items() for _ in range(n)]
    rows += [("none", 0.0)] * not_owing + [("at_risk", 5.0)] * left
    frame = pd.DataFrame(rows, columns=["status", "required"])
    frame["done"] = 0.0
    frame["remaining"] = frame["required"]
    employed = np.arange(len(frame)) < len(frame) - left
    return frame, employed


@settings(max_examples=25, deadline=None)
@given(
    st.fixed_dictionaries({s: st.integers(0, 40_000) for s in STATUSES}),
    st.integers(0, 50),
    st.integers(0, 50),
)
def test_summary_counts_each_status_exactly(counts: dict, not_owing: int, left: int) -> None:
    frame, employed = _status(counts, not_owing, left)
    head = summary(frame, employed, PLAN).iloc[0]
    assert {s: int(head[f"n_{s}"]) for s in STATUSES} == counts
    assert int(head["owing"]) == sum(counts.values()) and int(head["not_owing"]) == not_owing
    assert int(head["left"]) == left


def test_headline_prints_the_counts_status_prints() -> None:
    snap = snapshot(world([("H", "O1", "head", "2020-01-01", "")], []), "2025-12-31")
    report = programme_report(snap, compliance(snap, PLAN), PLAN)
    frame, employed = _status({"met": 1, "on_track": 0, "at_risk": 30_000, "overdue": 0}, 3, 0)
    big = replace(report, summary=summary(frame, employed, PLAN))
    lines = headline(big, PLAN, snap.as_of, 1, "zh-CN")
    assert "达标 1 人" in "\n".join(lines) and "有风险 30,000 人" in "\n".join(lines)
