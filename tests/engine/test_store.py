"""The store, on SQLite and (when configured) PostgreSQL: transactional, idempotent,
updates by id, loads back with the validated types."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from engine.errors import StoreError, ValidationError
from engine.ingest import ingest
from engine.readers import read_dataset
from engine.schema import TABLES
from engine.store import Store
from engine.validate import validate_dataset
from tests.helpers import tiny, write_tiny


def test_reingest_leaves_store_identical(store: Store, small_dir: Path) -> None:
    first = ingest(small_dir, store)
    assert all(c.new > 0 for c in first.values())
    snapshot = store.load()
    second = ingest(small_dir, store)
    assert all(c.new == 0 and c.updated == 0 for c in second.values())
    again = store.load()
    for t in snapshot:
        pd.testing.assert_frame_equal(
            snapshot[t].sort_values(list(TABLES[t].key)).reset_index(drop=True),
            again[t].sort_values(list(TABLES[t].key)).reset_index(drop=True),
        )


def test_load_round_trips_validated_frames(store: Store, small_dir: Path) -> None:
    typed = validate_dataset(read_dataset(small_dir))
    store.write(typed)
    loaded = store.load()
    for table, frame in typed.items():
        key = list(TABLES[table].key)
        a = frame.sort_values(key).reset_index(drop=True)
        b = loaded[table].sort_values(key).reset_index(drop=True)
        assert list(a.columns) == list(b.columns)
        for col in a.columns:
            if pd.api.types.is_datetime64_any_dtype(a[col]):
                assert pd.api.types.is_datetime64_any_dtype(b[col]), (table, col)
            pd.testing.assert_series_equal(
                a[col].astype(object).where(a[col].notna(), None),
                b[col].astype(object).where(b[col].notna(), None),
                check_names=False,
                obj=f"{table}.{col}",
            )


def test_changed_record_with_same_id_is_an_update(store: Store, tmp_path: Path) -> None:
    ingest(write_tiny(tmp_path / "a"), store)
    data = tiny()
    data["participations"][1].update(status="completed", completed_on="2025-09-03", hours="24")
    counts = ingest(write_tiny(tmp_path / "b", data), store)
    assert (counts["participations"].updated, counts["participations"].unchanged) == (1, 1)
    p = store.load(["participations"])["participations"].set_index("participation_id")
    assert p.loc["P2", "status"] == "completed" and p.loc["P2", "hours"] == 24.0
    assert len(p) == 2


def test_failed_write_rolls_back_everything(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    typed = validate_dataset(read_dataset(write_tiny(tmp_path / "a")))
    original = Store._write_table

    def explode(self: Store, conn, name: str, frame: pd.DataFrame, bar=None):  # noqa: ANN001
        if name == "outcomes":
            raise __import__("sqlalchemy").exc.OperationalError("disk full", {}, Exception())
        return original(self, conn, name, frame, bar)

    monkeypatch.setattr(Store, "_write_table", explode)
    with pytest.raises(StoreError, match="nothing was written"):
        store.write(typed)
    assert sum(store.counts().values()) == 0


def test_invalid_batch_on_this_backend_writes_nothing(store: Store, tmp_path: Path) -> None:
    data = tiny()
    data["sessions"][1]["capacity"] = "-5"
    with pytest.raises(ValidationError):
        ingest(write_tiny(tmp_path / "a", data), store)
    assert sum(store.counts().values()) == 0


def test_database_url_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'env.db'}"
    monkeypatch.setenv("LEARNMAP_DATABASE_URL", url)
    assert Store().url == url
    monkeypatch.delenv("LEARNMAP_DATABASE_URL")
    monkeypatch.chdir(tmp_path)
    assert Store().url == "sqlite:///var/learnmap.db"


def test_unreachable_database_is_a_clear_error() -> None:
    with pytest.raises(StoreError, match="cannot reach database"):
        Store("postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=2").counts()
