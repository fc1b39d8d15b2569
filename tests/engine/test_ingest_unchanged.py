"""Identical files are not read again, and never wrongly: the shortcut answers only
when every file has the bytes (and reading settings) of its last ingest and the store
has not changed since.  A failed first ingest leaves no store file."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine.ingest as ingest_module
from engine.errors import InputFileError, ValidationError
from engine.ingest import ingest
from engine.schema import DATASET_TABLES, TABLES
from engine.store import Store
from tests.helpers import tiny, write_tiny


def _no_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("files were read")

    monkeypatch.setattr(ingest_module, "read_dataset", refuse)


def _rows(store: Store) -> dict[str, pd.DataFrame]:
    return {
        t: f.sort_values(list(TABLES[t].key)).reset_index(drop=True)
        for t, f in store.load().items()
    }


def _same(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    for t in a:
        pd.testing.assert_frame_equal(a[t], b[t], obj=t)


def test_identical_reingest_reads_nothing_and_says_unchanged(
    store: Store, small_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = ingest(small_dir, store)
    before = _rows(store)
    with monkeypatch.context() as m:
        _no_reading(m)
        again = ingest(small_dir, store)
    assert {t: c.unchanged for t, c in again.items()} == {t: c.new for t, c in first.items()}
    assert all(c.new == 0 and c.updated == 0 for c in again.values())
    _same(before, _rows(store))


def test_a_changed_store_is_read_again(store: Store, tmp_path: Path) -> None:
    """Another ingest changed a row the original file holds: the original file is then
    read and compared (and puts the row back), not waved through."""
    a = write_tiny(tmp_path / "a")
    ingest(a, store)
    data = tiny()
    data["participations"][1].update(hours="7")
    ingest(write_tiny(tmp_path / "b", {"participations": data["participations"]}), store)
    counts = ingest(a, store)
    assert counts["participations"].updated == 1
    assert counts["staff"].unchanged == 2


def test_one_changed_byte_or_other_synonyms_mean_reading_again(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = write_tiny(tmp_path / "a")
    ingest(a, store)
    staff = a / "staff.csv"
    staff.write_bytes(staff.read_bytes() + b"\n")  # same rows, other bytes
    reads: list[str] = []
    original = ingest_module.read_dataset

    def spy(path: Path, table: str | None = None):  # noqa: ANN202
        reads.append(str(path))
        return original(path, table)

    monkeypatch.setattr(ingest_module, "read_dataset", spy)
    assert all(c.unchanged for c in ingest(a, store).values())
    assert len(reads) == 1
    ingest(a, store)  # recorded again with the new bytes: skipped
    assert len(reads) == 1
    syn = tmp_path / "syn.toml"
    syn.write_text('[role]\nfinance = ["管钱的人"]\n', encoding="utf-8")
    monkeypatch.setenv("LEARNMAP_SYNONYMS", str(syn))
    ingest(a, store)  # what the bytes mean may have changed
    assert len(reads) == 2


def test_failed_first_ingest_leaves_no_store_file(tmp_path: Path) -> None:
    db = tmp_path / "var" / "learnmap.db"
    store = Store(f"sqlite:///{db}")
    data = tiny()
    data["participations"][0]["staff_id"] = "NOBODY"
    with pytest.raises(ValidationError):
        ingest(write_tiny(tmp_path / "bad", data), store)
    assert not db.exists() and not list(db.parent.glob("learnmap.db*"))
    with pytest.raises(InputFileError):
        ingest(tmp_path / "missing", store)
    assert not db.exists()
    ingest(write_tiny(tmp_path / "good"), store)  # and the next attempt works
    assert store.counts()["participations"] == 2


def test_failed_later_ingest_keeps_the_store(tmp_path: Path) -> None:
    db = tmp_path / "learnmap.db"
    store = Store(f"sqlite:///{db}")
    ingest(write_tiny(tmp_path / "good"), store)
    before = _rows(store)
    data = tiny()
    data["participations"][0]["hours"] = "-3"
    with pytest.raises(ValidationError):
        ingest(write_tiny(tmp_path / "bad", data), store)
    assert db.exists()
    _same(before, _rows(store))


CELLS = st.sampled_from(
    [
        ("participations", 0, "hours", ["2", "3", "-1", "x", ""]),
        ("participations", 1, "status", ["no_show", "completed", "dropped", "???"]),
        ("staff", 0, "role", ["head|spokesperson", "finance", "会长", "driver"]),
        ("organizations", 1, "rating", ["", "3", "9"]),
        ("modules", 1, "title", ["预算实务", "预算实务（二）", " "]),
    ]
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edit=CELLS, pick=st.integers(0, 4), crlf=st.booleans())
def test_after_any_edit_the_original_files_restore_the_store(
    edit: tuple[str, int, str, list[str]], pick: int, crlf: bool
) -> None:
    """Whatever one edited file did (rejected, or changed a value), ingesting the
    original files again gives exactly the store the originals gave — whether that
    ingest took the shortcut or read them."""
    table, row, col, values = edit
    data = tiny()
    data[table][row][col] = values[pick % len(values)]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        store = Store(f"sqlite:///{work / 's.db'}")
        original = write_tiny(work / "a")
        ingest(original, store)
        before = _rows(store)
        edited = work / "b"
        shutil.copytree(original, edited)
        write_tiny(edited, {table: data[table]})
        if crlf:
            f = edited / f"{table}.csv"
            f.write_bytes(f.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
        try:
            ingest(edited, store)
        except ValidationError:
            pass
        ingest(original, store)
        _same(before, _rows(store))
        store.engine.dispose()


def test_files_that_added_rows_to_a_filled_store_are_recognised(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fingerprint recorded after appending rows (bulk path: the stored part plus
    the new rows' part) is the one the store then reports."""
    ingest(write_tiny(tmp_path / "a"), store)
    more = tiny()
    for row in more["participations"]:
        row["participation_id"] += "-b"
    b = write_tiny(tmp_path / "b", {"participations": more["participations"]})
    assert ingest(b, store)["participations"].new == 2
    with monkeypatch.context() as m:
        _no_reading(m)
        assert ingest(b, store)["participations"].unchanged == 2


def test_only_changed_files_are_read(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One file changed: only it is read and validated (against the store, which holds
    the other files' rows); the rest are reported unchanged."""
    a = write_tiny(tmp_path / "a")
    ingest(a, store)
    data = tiny()
    data["participations"][1].update(hours="7")
    write_tiny(a, {"participations": data["participations"]})
    reads: list[str] = []
    original = ingest_module.read_dataset

    def spy(path: Path, table: str | None = None):  # noqa: ANN202
        reads.append(Path(path).name)
        return original(path, table)

    monkeypatch.setattr(ingest_module, "read_dataset", spy)
    counts = ingest(a, store)
    assert reads == ["participations.csv"]
    assert counts["participations"].updated == 1 and counts["participations"].unchanged == 1
    assert all(
        c.unchanged == 2 and not c.updated for t, c in counts.items() if t != "participations"
    )
    assert list(counts) == list(DATASET_TABLES)  # every table of the dataset, in order
    # a changed file whose rows break a rule against the store is still rejected
    data["participations"][1].update(staff_id="NOBODY")
    write_tiny(a, {"participations": data["participations"]})
    with pytest.raises(ValidationError, match="NOBODY"):
        ingest(a, store)
    assert store.load(["participations"])["participations"]["hours"].tolist() == [2.0, 7.0]
