"""``learnmap export parquet``: the store's tables come back from the copy, one
person's rows in one partition, the copy is replaced all or nothing, and a copy older
than the store is detected."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.cli import main
from engine.demo import DemoSpec, generate, write_dataset
from engine.errors import LearnmapError, StoreError
from engine.ingest import ingest
from engine.parquet import (
    StaleCopyError,
    bucket_of,
    check_fresh,
    default_partitions,
    export_parquet,
    person_tables,
    read_bucket,
    read_manifest,
    read_table,
)
from engine.parquet import export as export_mod
from engine.parquet.layout import bucket_file
from engine.schema import TABLE_ORDER, TABLES
from engine.store import Store


def _sorted(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    return frame.sort_values(list(TABLES[table].key)).reset_index(drop=True)


def _assert_copy_equals_store(store: Store, out: Path) -> None:
    stored = store.read_tables(dict.fromkeys(TABLE_ORDER), progress=False)
    for table in TABLE_ORDER:
        got, want = _sorted(read_table(out, table), table), _sorted(stored[table], table)
        pd.testing.assert_frame_equal(got, want, check_dtype=True, obj=table)


def _assert_one_partition_per_person(out: Path) -> None:
    n = read_manifest(out).partitions
    home: dict[str, int] = {}
    for k in range(n):
        for sid in read_bucket(out, "staff", k, ["staff_id"])["staff_id"]:
            assert sid not in home
            home[sid] = k
    for table in person_tables():
        for k in range(n):
            ids = read_bucket(out, table, k, ["staff_id"])["staff_id"]
            assert all(home[s] == k for s in ids), f"{table}: a record outside its person's part"


def test_round_trip_and_buckets(store: Store, tmp_path: Path, small_dir: Path) -> None:
    """SQLite (and PostgreSQL when configured): every table comes back with the
    store's values and dtypes; every bucket is a file; records sit with their person."""
    ingest(small_dir, store)
    out = tmp_path / "copy"
    manifest = export_parquet(store, out, partitions=5, progress=False)
    assert manifest.partitions == 5
    assert manifest.data_version == store.data_version()
    assert manifest.rows == store.counts()
    assert check_fresh(out, store.data_version()) == manifest
    for table in person_tables():
        assert all(bucket_file(out, table, k).exists() for k in range(5))
    _assert_copy_equals_store(store, out)
    _assert_one_partition_per_person(out)


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    orgs=st.integers(1, 4),
    seed=st.integers(0, 2**16),
    scenario=st.sampled_from(["national", "cadre"]),
    partitions=st.integers(1, 9),
    batch=st.sampled_from([97, 65_536]),
)
def test_generated_worlds_come_back(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    orgs: int,
    seed: int,
    scenario: str,
    partitions: int,
    batch: int,
) -> None:
    """Any small world, any number of partitions, any read batch size (rows of one
    person spread over many batches): export → read gives the store's tables."""
    from engine import scan

    monkeypatch.setattr(scan, "BATCH_ROWS", batch)
    monkeypatch.setattr(export_mod, "BUFFER_ROWS", 400)  # many row groups per bucket
    monkeypatch.setattr(export_mod, "MIN_ROW_GROUP", 16)
    root = tmp_path_factory.mktemp("w")
    tables = generate(DemoSpec(orgs=orgs, seed=seed, scenario=scenario))
    write_dataset(tables, root / "data")
    store = Store(f"sqlite:///{root / 's.db'}")
    ingest(root / "data", store)
    export_parquet(store, root / "copy", partitions=partitions, progress=False)
    _assert_copy_equals_store(store, root / "copy")
    _assert_one_partition_per_person(root / "copy")


def _listing(path: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()
    }


def test_failure_leaves_the_old_copy_and_no_temporary_files(
    tmp_path: Path, small_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(f"sqlite:///{tmp_path / 's.db'}")
    ingest(small_dir, store)
    out = tmp_path / "exports" / "copy"
    export_parquet(store, out, partitions=3, progress=False)
    before = _listing(out)
    real = export_mod._write_partitioned

    def dies_on_outcomes(store_, table, root, n, bar):  # noqa: ANN001, ANN202
        if table == "outcomes":
            raise OSError("disk full")
        return real(store_, table, root, n, bar)

    monkeypatch.setattr(export_mod, "_write_partitioned", dies_on_outcomes)
    with pytest.raises(OSError, match="disk full"):
        export_parquet(store, out, partitions=7, progress=False)
    assert _listing(out) == before
    assert sorted(p.name for p in out.parent.iterdir()) == ["copy"]  # no .tmp left
    monkeypatch.setattr(export_mod, "_write_partitioned", dies_on_outcomes)
    with pytest.raises(OSError):
        export_parquet(store, tmp_path / "fresh", progress=False)
    assert not (tmp_path / "fresh").exists()


def test_a_write_during_the_export_fails_it(
    tmp_path: Path, small_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(f"sqlite:///{tmp_path / 's.db'}")
    ingest(small_dir, store)
    versions = iter([4, 5])
    monkeypatch.setattr(store, "data_version", lambda: next(versions))
    with pytest.raises(StoreError, match="changed during the export"):
        export_parquet(store, tmp_path / "copy", progress=False)
    assert not (tmp_path / "copy").exists()


def test_stale_copy_is_detected_and_refreshed(tmp_path: Path, small_dir: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 's.db'}")
    ingest(small_dir, store)
    out = tmp_path / "copy"
    export_parquet(store, out, partitions=2, progress=False)
    staff = pd.read_csv(small_dir / "staff.csv", dtype=str, keep_default_na=False)
    staff.loc[0, "role"] = "finance" if staff.loc[0, "role"] != "finance" else "hr"
    (tmp_path / "change").mkdir()
    staff.to_csv(tmp_path / "change" / "staff.csv", index=False)
    ingest(tmp_path / "change", store)
    with pytest.raises(StaleCopyError, match="data version"):
        check_fresh(out, store.data_version())
    other = "sqlite:////elsewhere/learnmap.db"  # another store at the same version
    with pytest.raises(StaleCopyError, match="made from"):
        check_fresh(out, read_manifest(out).data_version, other)
    export_parquet(store, out, partitions=2, progress=False)
    check_fresh(out, store.data_version())
    got = read_table(out, "staff").set_index("staff_id")["role"]
    assert got[staff.loc[0, "staff_id"]] == staff.loc[0, "role"]


def test_bucket_is_a_stable_hash_of_the_id_alone() -> None:
    """The documented hash (FNV-1a 64 over UTF-8, Murmur3 finalizer with the length),
    written out independently here: a copy made by one version or machine is read by
    another; the id's dtype and neighbours do not matter."""

    def reference(text: str, n: int) -> int:
        m = (1 << 64) - 1
        h = 0xCBF29CE484222325
        for byte in text.encode("utf-8"):
            h = ((h ^ byte) * 0x100000001B3) & m
        h ^= len(text.encode("utf-8"))
        h ^= h >> 33
        h = (h * 0xFF51AFD7ED558CCD) & m
        h ^= h >> 33
        h = (h * 0xC4CEB93FE53A8DB9) & m
        h ^= h >> 33
        return h % n

    ids = ["ST0000001", "ST0000002", "人员-7", "", "x" * 40]
    for n in (1, 2, 7, 64):
        want = [reference(i, n) for i in ids]
        assert list(bucket_of(pd.Series(ids, dtype=object), n)) == want
        assert list(bucket_of(pd.Series(ids, dtype="string[pyarrow]"), n)) == want
        assert list(bucket_of(pd.Series(ids[::-1], dtype=object), n)) == want[::-1]


def test_default_partitions_follow_size() -> None:
    assert default_partitions(0) == 1
    assert default_partitions(999_999) == 1
    assert default_partitions(1_000_001) == 2
    assert default_partitions(10**12) == 512


def test_cli_writes_a_copy_and_refuses_another_folder(
    tmp_path: Path, small_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:  # noqa: ANN001
    monkeypatch.setenv("LEARNMAP_DATABASE_URL", f"sqlite:///{tmp_path / 's.db'}")
    assert main(["ingest", str(small_dir), "-q"]) == 0
    out = tmp_path / "copy"
    assert main(["export", "parquet", str(out), "--partitions", "3", "-q"]) == 0
    assert "分为 3 个分区" in capsys.readouterr().out
    assert read_manifest(out).partitions == 3
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    assert main(["export", "parquet", str(other), "-q"]) == 2
    assert (other / "notes.txt").read_text() == "keep me"
    with pytest.raises(LearnmapError):
        export_parquet(Store(), small_dir / "staff.csv")
