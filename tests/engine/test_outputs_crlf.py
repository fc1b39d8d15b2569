"""Text with carriage returns, line feeds, quotes and commas survives a CSV written by
``engine.outputs.write_table`` and read back by ``engine.readers`` (a bare ``\\r`` was
written unquoted and read back as a line break, shifting the rest of the row)."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.outputs import write_table
from engine.readers import read_csv

EXAMPLES = int(os.environ.get("LEARNMAP_PROP_EXAMPLES", "40"))
text = st.text(alphabet='ab\r\n,"', min_size=1, max_size=6).filter(lambda s: s.strip())


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.lists(text, min_size=1, max_size=4))
def test_text_round_trips_through_a_written_csv(tmp_path_factory, values) -> None:  # noqa: ANN001
    frame = pd.DataFrame(
        {
            "staff_id": [f"S{i}" for i in range(len(values))],
            "org_id": "O1",
            "role": values,
            "hired_on": "2025-01-01",
            "left_on": "",
        }
    )
    path = tmp_path_factory.mktemp("w") / "staff.csv"
    write_table(frame, path)
    raw = read_csv(Path(path), "staff").frame
    assert raw["staff_id"].tolist() == frame["staff_id"].tolist()  # no row split or shifted
    # the reader trims whitespace around a value (padded office cells)
    same = lambda v: v.replace("\r\n", "\n").strip()  # noqa: E731
    assert [same(v) for v in raw["role"]] == [same(v) for v in values]
    assert raw["hired_on"].tolist() == ["2025-01-01"] * len(values)
