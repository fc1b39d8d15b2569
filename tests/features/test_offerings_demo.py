"""``features.offerings`` on demo data III reads the generator's own offer calendar: the
modules offered in a month are exactly those its choice model lets people choose then."""

from __future__ import annotations

import pandas as pd
import pytest

from features.offerings import offered_module_ids
from tests.engine.test_demo_choice import cadre


@pytest.mark.parametrize("month", ["2023-01", "2024-07", "2025-04", "2025-12"])
def test_offered_in_a_month_is_what_the_generator_lets_people_choose(month: str) -> None:
    t, truth = cadre()
    start = pd.Timestamp(f"{month}-01")
    got = offered_module_ids(t, start, start + pd.offsets.MonthBegin(1))
    want = set(truth.offers.loc[truth.offers["month"] == month, "module_id"])
    assert got == want
    assert len(want) > 150
