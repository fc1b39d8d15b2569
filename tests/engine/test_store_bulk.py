"""The bulk load (SQLite, ADBC) stores exactly what the SQLAlchemy path stores: the same
cells with the same SQLite storage classes and the same row hashes, for the demo data
and for random values read from files (hypothesis); and it is all or nothing."""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import store as store_module
from engine.errors import StoreError
from engine.ingest import ingest
from engine.schema import DATASET_TABLES, TABLES
from engine.store import HASH, Store
from tests.helpers import tiny, write_tiny


def _cells(db: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every stored cell and its SQLite storage class, table by table, in key order."""
    con = sqlite3.connect(db)
    try:
        out = {}
        for name in DATASET_TABLES:
            cols = [*TABLES[name].names, HASH]
            typeof = ", ".join(f"typeof({c})" for c in cols)
            order = ", ".join(TABLES[name].key)
            sql = f"SELECT {', '.join(cols)}, {typeof} FROM {name} ORDER BY {order}"
            out[name] = con.execute(sql).fetchall()
        return out
    finally:
        con.close()


def _ingest_both(folder: Path, work: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[dict, dict]:
    stored = []
    for bulk in (True, False):
        db = work / f"{'bulk' if bulk else 'upsert'}.db"
        monkeypatch.setattr(store_module.bulk, "BULK", bulk)
        calls: list[str] = []
        original = Store._bulk_write

        def spy(self: Store, typed, progress=False, files=None, *, _orig=original, _calls=calls):  # noqa: ANN001, ANN202
            _calls.append("bulk")
            return _orig(self, typed, progress, files)

        monkeypatch.setattr(Store, "_bulk_write", spy)
        ingest(folder, Store(f"sqlite:///{db}"))
        assert calls == (["bulk"] if bulk else [])  # the path under test really ran
        stored.append(_cells(db))
    return stored[0], stored[1]


def test_bulk_load_stores_what_the_upsert_path_stores(
    small_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bulk, upsert = _ingest_both(small_dir, tmp_path, monkeypatch)
    assert sum(len(v) for v in bulk.values()) > 1000
    for name in DATASET_TABLES:
        assert bulk[name] == upsert[name], name


def test_new_rows_into_a_filled_store_are_bulk_loaded_too(
    small_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second ingest that only adds rows (no update) takes the bulk path and leaves the
    same store as the SQLAlchemy path."""
    data = tiny()
    more = tiny()
    for row in more["participations"]:
        row["participation_id"] += "-b"
    for bulk in (True, False):
        monkeypatch.setattr(store_module.bulk, "BULK", bulk)
        store = Store(f"sqlite:///{tmp_path / f'{bulk}.db'}")
        ingest(write_tiny(tmp_path / "a", data), store)
        counts = ingest(write_tiny(tmp_path / "b", more), store)
        assert counts["participations"].new == 2 and counts["staff"].unchanged == 2
    assert _cells(tmp_path / "True.db") == _cells(tmp_path / "False.db")


def test_bulk_load_keeps_foreign_keys_and_writes_nothing_on_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bulk connection enforces foreign keys like the SQLAlchemy one; a violation on
    the last table rolls back the tables already loaded."""
    from engine.readers import read_dataset
    from engine.validate import validate_dataset

    typed = validate_dataset(read_dataset(write_tiny(tmp_path / "a")))
    typed["outcomes"].loc[0, "staff_id"] = "NOBODY"  # slipped past validation
    store = Store(f"sqlite:///{tmp_path / 's.db'}")
    with pytest.raises(StoreError, match="nothing was written.*FOREIGN KEY.*NOBODY"):
        store.write(typed)
    assert sum(store.counts().values()) == 0
    typed["outcomes"].loc[0, "staff_id"] = "S1"
    store.write(typed)
    # a later batch of events alone: its references are looked up among stored rows
    later = typed["outcomes"].assign(outcome_id=lambda f: f["outcome_id"] + "-2")
    before = store.counts()
    with pytest.raises(StoreError, match="FOREIGN KEY.*outcomes.module_id.*M404"):
        store.write({"outcomes": later.assign(module_id="M404")})
    assert store.counts() == before
    assert store.write({"outcomes": later})["outcomes"].new == len(later)


TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=12
).filter(lambda s: s.strip() == s and s.strip() != "" and s[0] not in "=+-@\"'")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    names=st.lists(TEXT, min_size=2, max_size=2),
    ratings=st.lists(
        st.one_of(st.just(""), st.floats(0, 5, allow_nan=False).map(repr)), min_size=2, max_size=2
    ),
    managed=st.lists(st.sampled_from(["true", "false", "是", "否", "1", "0"]), min_size=2),
    hours=st.lists(st.floats(0, 500, allow_nan=False).map(lambda v: f"{v:g}"), min_size=2),
    left=st.sampled_from(["", "2026-06-30", "2027/1/5"]),
    capacity=st.sampled_from(["", "1", "40", "1000000"]),
)
def test_bulk_and_upsert_paths_agree_on_values_read_from_files(
    names: list[str],
    ratings: list[str],
    managed: list[str],
    hours: list[str],
    left: str,
    capacity: str,
) -> None:
    data = tiny()
    for i, org in enumerate(data["organizations"]):
        org.update(name=names[i], rating=ratings[i], ministry_managed=managed[i])
    for i, part in enumerate(data["participations"]):
        part["hours"] = hours[i]
    data["staff"][1]["left_on"] = left
    data["sessions"][0]["capacity"] = capacity
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as mp:
        work = Path(tmp)
        bulk, upsert = _ingest_both(write_tiny(work / "in", data), work, mp)
    assert bulk == upsert
