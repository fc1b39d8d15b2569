"""The store, on SQLite and (when configured) PostgreSQL: transactional, idempotent,
updates by id, loads back with the validated types."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine import store as store_module
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


@pytest.mark.parametrize("bulk", [True, False], ids=["bulk", "upsert"])
def test_failed_write_rolls_back_everything(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bulk: bool
) -> None:
    """A failure on the last table, after the others were written, leaves nothing: on
    the bulk load (SQLite first ingest) and on the SQLAlchemy path."""
    monkeypatch.setattr(store_module.bulk, "BULK", bulk)
    typed = validate_dataset(read_dataset(write_tiny(tmp_path / "a")))
    method = "_bulk_table" if bulk and store.engine.dialect.name == "sqlite" else "_write_table"
    original = getattr(Store, method)

    def explode(self: Store, conn, name: str, frame: pd.DataFrame, bar=None):  # noqa: ANN001
        if name == "outcomes":
            raise __import__("sqlalchemy").exc.OperationalError("disk full", {}, Exception())
        return original(self, conn, name, frame, bar)

    monkeypatch.setattr(Store, method, explode)
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


# ---- change detection by row hash ---------------------------------------------
class _Spy:
    """Counts calls of Store methods that read stored rows back."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.full_loads: list[str] = []
        self.compared: list[int] = []
        self.hash_reads: list[str] = []
        load, rows = Store.load_table, getattr(Store, "_stored_rows", None)
        hashes = getattr(Store, "_stored_hashes", None)

        def load_table(store: Store, name: str, columns=None, conn=None):  # noqa: ANN001, ANN202
            if columns is None:
                self.full_loads.append(name)
            return load(store, name, columns, conn)

        def stored_rows(store: Store, conn, name: str, frame: pd.DataFrame):  # noqa: ANN001, ANN202
            self.compared.append(len(frame))
            return rows(store, conn, name, frame)

        def stored_hashes(store: Store, conn, name: str):  # noqa: ANN001, ANN202
            self.hash_reads.append(name)
            return hashes(store, conn, name)

        monkeypatch.setattr(Store, "load_table", load_table)
        monkeypatch.setattr(Store, "_stored_rows", stored_rows, raising=False)
        monkeypatch.setattr(Store, "_stored_hashes", stored_hashes, raising=False)


def test_identical_reingest_reads_no_stored_rows(
    store: Store, small_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest(small_dir, store)
    spy = _Spy(monkeypatch)
    counts = ingest(small_dir, store)
    assert all(c.new == c.updated == 0 and c.unchanged > 0 for c in counts.values())
    # one aggregate per table decides: no table, key list or row is read back
    assert (spy.full_loads, spy.hash_reads, spy.compared) == ([], [], [])


def test_one_changed_row_is_the_only_row_read_back(
    store: Store, small_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest(small_dir, store)
    changed = tmp_path / "changed"
    shutil.copytree(small_dir, changed)
    p = pd.read_csv(changed / "participations.csv", dtype=str, keep_default_na=False)
    p.loc[5, "hours"] = str(float(p.loc[5, "hours"]) + 0.5)
    p.to_csv(changed / "participations.csv", index=False)
    spy = _Spy(monkeypatch)
    counts = ingest(changed, store)
    assert (counts["participations"].updated, counts["participations"].new) == (1, 0)
    assert sum(c.updated for c in counts.values()) == 1
    assert spy.full_loads == [] and spy.compared == [1]
    assert spy.hash_reads == ["participations"]  # only the table that differs
    stored = store.load(["participations"])["participations"].set_index("participation_id")
    assert stored.loc[p.loc[5, "participation_id"], "hours"] == float(p.loc[5, "hours"])


def test_store_without_row_hash_is_upgraded_by_the_next_ingest(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a store as older versions wrote it: the canonical columns only
    import sqlalchemy as sa

    from engine.store import _records, build_metadata

    legacy = build_metadata(row_hash=False)
    legacy.create_all(store.engine)
    typed = validate_dataset(read_dataset(write_tiny(tmp_path / "a")))
    with store.engine.begin() as conn:
        for name in TABLES:
            if name in typed:
                conn.execute(legacy.tables[name].insert(), _records(typed[name]))
    counts = ingest(tmp_path / "a", store)
    assert all(c.new == c.updated == 0 for c in counts.values())  # equal values: unchanged
    with store.engine.connect() as conn:
        missing = conn.execute(
            sa.text("SELECT count(*) FROM participations WHERE row_hash IS NULL")
        ).scalar_one()
    assert missing == 0
    spy = _Spy(monkeypatch)
    ingest(tmp_path / "a", store)
    assert (spy.hash_reads, spy.compared) == ([], [])  # now the fast path


def test_progress_bar_says_what_it_is_doing(
    store: Store,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ingest(write_tiny(tmp_path / "a"), store)
    capsys.readouterr()
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)  # bars show
    monkeypatch.setenv("LEARNMAP_LANG", "en")  # the bars' words in English (Chinese: default)
    # the same rows in other files (rows reversed): read, compared, all unchanged
    again = {t: rows[::-1] for t, rows in tiny().items()}
    ingest(write_tiny(tmp_path / "b", again), store, progress=True)
    err = capsys.readouterr().err
    assert "unchanged" in err and "20 unchanged" in err
    assert "reading b" in err and "validating" in err and "comparing staff" in err
    assert not any(word in err for word in ("writing", "inserting", "updating"))


def test_row_hash_depends_on_values_not_dtypes(store: Store, small_dir: Path) -> None:
    from engine.store import row_hashes

    typed = validate_dataset(read_dataset(small_dir))
    store.write(typed)
    loaded = store.load()  # object columns where validation gives str, etc.
    for name, frame in typed.items():
        key = list(TABLES[name].key)
        a = frame.sort_values(key).reset_index(drop=True)
        b = loaded[name].sort_values(key).reset_index(drop=True)
        assert (row_hashes(name, a) == row_hashes(name, b)).all(), name
    changed = typed["staff"].copy()
    changed.loc[0, "left_on"] = pd.Timestamp("2030-01-01")
    h0, h1 = row_hashes("staff", typed["staff"]), row_hashes("staff", changed)
    assert h0[0] != h1[0] and (h0[1:] == h1[1:]).all()


def test_text_hash_separates_values_of_any_length_and_script() -> None:
    from engine.store import text_hashes

    rng = np.random.default_rng(3)
    alphabet = list("abcXYZ019 -|,") + list("预算管理财务人员会长") + ["\x00", "é"]
    words = ["", "a", "aa", "ab", "ba", "a\x00", "\x00a"] + [
        "".join(rng.choice(alphabet, size=rng.integers(0, 40))) for _ in range(20_000)
    ]
    distinct = list(dict.fromkeys(words))
    h = text_hashes(pd.Series(distinct, dtype=object))
    assert len(np.unique(h)) == len(distinct)  # no two different values collide
    again = pd.Series(distinct * 2, dtype="string[pyarrow]")  # same values, other dtype
    assert (text_hashes(again) == np.tile(h, 2)).all()
    assert (text_hashes(again, unique=False) == np.tile(h, 2)).all()
