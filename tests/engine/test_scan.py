"""Column-pruned typed reads (engine.scan): the same values as ``Store.load_table``,
whatever the order of missing values, through ADBC and through the DB-API cursor."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import scan
from engine.ingest import ingest
from engine.schema import TABLE_ORDER, TABLES
from engine.store import Store


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Equal values (text dtype aside), missing where missing."""
    assert list(a.columns) == list(b.columns)
    for c in a.columns:
        x, y = a[c], b[c]
        assert (x.isna().to_numpy() == y.isna().to_numpy()).all(), c
        keep = x.notna().to_numpy()
        assert (x[keep].to_numpy(dtype=object) == y[keep].to_numpy(dtype=object)).all(), c


@pytest.mark.parametrize("adbc", [True, False])
def test_read_equals_load_table(
    tmp_path: Path, small_dir: Path, adbc: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(f"sqlite:///{tmp_path / 's.db'}")
    ingest(small_dir, store)
    monkeypatch.setattr(scan, "BATCH_ROWS", 97)  # many batches, types re-inferred each
    for name in TABLE_ORDER:
        full = store.load_table(name)
        got = scan.read(store, name, adbc=adbc)
        assert len(got) == len(full)
        _same(got, full)
        assert got["staff_id" if "staff_id" in got else TABLES[name].names[0]].dtype != object
    cols = ["completed_on", "staff_id"]  # a subset, in the order asked for
    got = scan.read(store, "participations", cols, adbc=adbc)
    assert list(got.columns) == cols
    assert got["completed_on"].dtype == "datetime64[ns]"


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.tuples(
            st.one_of(st.none(), st.floats(0, 5, allow_nan=False)),
            st.one_of(st.none(), st.dates(date(1950, 1, 1), date(2100, 12, 31))),
            st.one_of(st.none(), st.text(max_size=5)),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_missing_values_in_any_order_read_back(tmp_path_factory, rows) -> None:  # noqa: ANN001
    """A first batch of NULLs must not fix a column's type (ADBC infers types per
    batch): optional float, date and text columns read back exactly."""
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('h') / 's.db'}")
    store.create()
    orgs = pd.DataFrame({"org_id": [f"O{i}" for i in range(len(rows))]})
    with store.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO organizations (org_id, name, org_type, region, ministry_managed, rating)"
            " VALUES (?, ?, 'social_group', 'x', 0, ?)",
            [(o, "n", r[0]) for o, r in zip(orgs["org_id"], rows, strict=True)],
        )
        conn.exec_driver_sql(
            "INSERT INTO staff (staff_id, org_id, role, hired_on, left_on, name)"
            " VALUES (?, ?, 'head', '2020-01-01', ?, ?)",
            [
                (f"S{i}", o, None if r[1] is None else r[1].isoformat(), r[2])
                for i, (o, r) in enumerate(zip(orgs["org_id"], rows, strict=True))
            ],
        )
    old = scan.BATCH_ROWS
    scan.BATCH_ROWS = 3
    try:
        org = scan.read(store, "organizations", ["org_id", "rating"])
        staff = scan.read(store, "staff", ["staff_id", "left_on", "name"])
    finally:
        scan.BATCH_ROWS = old
    rating = np.array([np.nan if r[0] is None else r[0] for r in rows])
    np.testing.assert_array_equal(org["rating"].to_numpy(), rating)
    left = pd.to_datetime(pd.Series([r[1] for r in rows], dtype=object))
    assert (staff["left_on"].isna().to_numpy() == left.isna().to_numpy()).all()
    assert (staff["left_on"].dropna().to_numpy() == left.dropna().to_numpy()).all()
    names = [r[2] for r in rows]
    assert [None if pd.isna(v) else v for v in staff["name"]] == names
