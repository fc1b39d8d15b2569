"""``--engine pandas|dask``: the same status frames from both engines (after sorting),
on the demo worlds and on generated ones, from a small shared ``LocalCluster``."""

from __future__ import annotations

import os
import signal
import threading
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.cli import main
from engine.demo import DemoSpec, generate, write_dataset
from engine.ingest import ingest
from engine.parquet import export_parquet, read_manifest
from engine.policy import load_policy
from engine.store import Store
from features.compliance import compliance, uses_data_start
from features.org import org_profiles, role_status
from features.partitioned import report_inputs_dask, status_dask, status_pandas
from features.report import programme_report
from features.snapshot import snapshot, status_columns


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values("staff_id").reset_index(drop=True)


def _both(store: Store, copy: Path, as_of: date, policy_name: str, client) -> tuple:  # noqa: ANN001
    policy = load_policy(policy_name)
    tables = store.read_tables(status_columns(policy.kind), progress=False)
    return _sorted(status_pandas(tables, as_of, policy)), _sorted(
        status_dask(copy, as_of, policy, client)
    )


def _load(tables: dict[str, pd.DataFrame], root: Path, partitions: int) -> tuple[Store, Path]:
    write_dataset(tables, root / "data")
    store = Store(f"sqlite:///{root / 's.db'}")
    ingest(root / "data", store)
    export_parquet(store, root / "copy", partitions=partitions, progress=False)
    return store, root / "copy"


@pytest.fixture(scope="module")
def national_copy(tmp_path_factory: pytest.TempPathFactory, national) -> tuple[Store, Path]:  # noqa: ANN001
    """The default demo world (2,300 organizations) in a store and a 6-partition copy."""
    return _load(national, tmp_path_factory.mktemp("nat"), 6)


@pytest.fixture(scope="module")
def cadre_copy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, Path]:
    tables = generate(DemoSpec(scenario="cadre", orgs=40, seed=3))
    return _load(tables, tmp_path_factory.mktemp("cadre"), 5)


@pytest.mark.parametrize("as_of", [date(2025, 3, 31), date(2026, 6, 30), date(2027, 12, 31)])
def test_national_demo_same_on_both_engines(national_copy, dask_cluster, as_of: date) -> None:  # noqa: ANN001
    store, copy = national_copy
    got_pandas, got_dask = _both(store, copy, as_of, "national-2025", dask_cluster)
    assert len(got_pandas) > 10_000
    pd.testing.assert_frame_equal(got_dask, got_pandas)


@pytest.mark.parametrize("policy", ["cadre-hours", "credits"])
def test_cadre_demo_same_on_both_engines(cadre_copy, dask_cluster, policy: str) -> None:  # noqa: ANN001
    """Hours and credits read the population's first completion day (``qualified_<year>``):
    broadcast to every partition, so partitions agree with the whole."""
    store, copy = cadre_copy
    got_pandas, got_dask = _both(store, copy, date(2026, 3, 1), policy, dask_cluster)
    assert any(c.startswith("qualified_") for c in got_pandas.columns)
    pd.testing.assert_frame_equal(got_dask, got_pandas)


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    orgs=st.integers(1, 5),
    seed=st.integers(0, 2**16),
    scenario=st.sampled_from(["national", "cadre"]),
    policy=st.sampled_from(["national-2025", "cadre-hours", "credits"]),
    partitions=st.integers(1, 7),
    as_of=st.dates(date(2024, 6, 1), date(2028, 3, 1)),
    keep=st.floats(0.3, 1.0),
)
def test_generated_worlds_same_on_both_engines(
    tmp_path_factory: pytest.TempPathFactory,
    dask_cluster,  # noqa: ANN001
    orgs: int,
    seed: int,
    scenario: str,
    policy: str,
    partitions: int,
    as_of: date,
    keep: float,
) -> None:
    """Any small world (a share ``keep`` of its participations, so some partitions have
    few or none), any policy, date and number of partitions."""
    tables = generate(DemoSpec(orgs=orgs, seed=seed, scenario=scenario))
    parts = tables["participations"]
    tables["participations"] = parts.sample(frac=keep, random_state=seed)
    for name in ("assessments", "outcomes"):  # the demo's scores follow participations
        tables[name] = tables[name].iloc[: int(len(tables[name]) * keep)]
    store, copy = _load(tables, tmp_path_factory.mktemp("g"), partitions)
    got_pandas, got_dask = _both(store, copy, as_of, policy, dask_cluster)
    pd.testing.assert_frame_equal(got_dask, got_pandas)


def _report_tables(snap, status, policy) -> dict[str, pd.DataFrame]:  # noqa: ANN001
    tables = programme_report(snap, status, policy).tables()
    tables["organizations"] = org_profiles(snap, status, policy)
    tables["organizations_by_role"] = role_status(snap, status)
    return tables


@pytest.mark.parametrize(
    ("world", "policy"),
    [("national_copy", "national-2025"), ("cadre_copy", "credits"), ("cadre_copy", "cadre-hours")],
)
def test_report_tables_same_on_both_engines(
    request: pytest.FixtureRequest,
    dask_cluster,  # noqa: ANN001
    world: str,
    policy: str,
) -> None:
    """``report``'s volumes, coverage, organization profiles (with the credits unit
    rule) and role table from the dask engine's status and completions equal the
    pandas engine's."""
    store, copy = request.getfixturevalue(world)
    pol, as_of = load_policy(policy), date(2026, 6, 30)
    snap = snapshot(store.read_tables(status_columns(pol.kind), progress=False), as_of)
    want = _report_tables(snap, compliance(snap, pol), pol)
    status, cut = report_inputs_dask(copy, as_of, pol, dask_cluster)
    got = _report_tables(cut, status, pol)
    assert want["volume"]["person_times"].sum() > 0
    for name, frame in want.items():
        pd.testing.assert_frame_equal(got[name], frame, obj=name)


def test_person_times_do_not_read_the_population_statistic(national) -> None:  # noqa: ANN001
    """``uses_data_start``: the dask engine skips the first pass for person-times
    policies, which is right only if their status ignores ``first``."""
    policy = load_policy("national-2025")
    assert not uses_data_start(policy)
    snap = snapshot(national, date(2026, 6, 30))
    a = compliance(snap, policy)
    b = compliance(snap, policy, np.datetime64("2027-06-01", "D"))
    pd.testing.assert_frame_equal(a, b)
    hours = load_policy("cadre-hours")
    assert uses_data_start(hours)


def test_cli_status_on_dask_matches_pandas_and_refreshes_the_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_dir: Path, dask_cluster, capsys
) -> None:  # noqa: ANN001
    monkeypatch.setenv("LEARNMAP_DATABASE_URL", f"sqlite:///{tmp_path / 's.db'}")
    monkeypatch.chdir(tmp_path)
    assert main(["ingest", str(small_dir), "-q"]) == 0
    base = ["status", "--as-of", "2026-06-30", "--lang", "en", "-q"]
    assert main([*base, "--out", "p.csv"]) == 0
    address = dask_cluster.scheduler.address
    monkeypatch.setenv("LEARNMAP_ENGINE", "dask")
    assert main([*base, "--out", "d.csv", "--scheduler", address]) == 0
    assert "refreshing the Parquet copy" in capsys.readouterr().out
    assert read_manifest(tmp_path / "var" / "parquet").data_version == Store().data_version()

    def rows(name: str) -> list[str]:
        return sorted((tmp_path / name).read_text(encoding="utf-8").splitlines())

    assert rows("d.csv") == rows("p.csv")
    # a fresh copy is used as it is; a change to the store makes it stale again
    assert main([*base, "--out", "d2.csv", "--scheduler", address]) == 0
    assert "refreshing" not in capsys.readouterr().out
    staff = pd.read_csv(small_dir / "staff.csv", dtype=str, keep_default_na=False)
    staff.loc[0, "role"] = "head" if staff.loc[0, "role"] != "head" else "finance"
    (tmp_path / "change").mkdir()
    staff.to_csv(tmp_path / "change" / "staff.csv", index=False)
    assert main(["ingest", str(tmp_path / "change"), "-q"]) == 0
    assert main([*base, "--out", "d3.csv", "--scheduler", address]) == 0
    assert "refreshing" in capsys.readouterr().out
    monkeypatch.setenv("LEARNMAP_ENGINE", "pandas")
    assert main([*base, "--out", "p3.csv"]) == 0
    assert rows("d3.csv") == rows("p3.csv")
    assert rows("d3.csv") != rows("d.csv")
    report = ["report", "--as-of", "2026-06-30", "--lang", "en", "-q", "--policy", "credits"]
    assert main([*report, "--out", "rd", "--engine", "dask", "--scheduler", address]) == 0
    assert main([*report, "--out", "rp", "--engine", "pandas"]) == 0
    tables = sorted(p.name for p in (tmp_path / "rp").glob("*.csv"))
    assert "organizations.csv" in tables
    assert sorted(p.name for p in (tmp_path / "rd").glob("*.csv")) == tables
    for name in tables:
        assert rows(f"rd/{name}") == rows(f"rp/{name}"), name


def test_a_killed_worker_changes_nothing(national_copy, dask_cluster) -> None:  # noqa: ANN001
    """SIGKILL one worker process while partitions are being computed: the scheduler
    recomputes what it held and the result is identical."""
    store, copy = national_copy
    policy, as_of = load_policy("national-2025"), date(2026, 6, 30)
    tables = store.read_tables(status_columns(policy.kind), progress=False)
    want = _sorted(status_pandas(tables, as_of, policy))
    many = copy.parent / "many"  # more partitions: a longer run to kill a worker in
    export_parquet(store, many, partitions=24, progress=False)
    pids = dask_cluster.run(os.getpid)
    result: dict[str, object] = {}

    def run() -> None:
        try:
            result["frame"] = status_dask(many, as_of, policy, dask_cluster)
        except BaseException as exc:  # noqa: BLE001 - reported below
            result["error"] = exc

    worker = threading.Thread(target=run)
    worker.start()

    def done_partitions(dask_scheduler) -> int:  # noqa: ANN001
        return sum(
            1
            for key, ts in dask_scheduler.tasks.items()
            if "partition_status" in str(key) and ts.state == "memory"
        )

    deadline = time.monotonic() + 60
    while dask_cluster.run_on_scheduler(done_partitions) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert worker.is_alive(), "the run ended before a worker could be killed"
    victim = next(iter(pids.values()))
    os.kill(victim, signal.SIGKILL)
    worker.join(120)
    assert "error" not in result, result.get("error")
    pd.testing.assert_frame_equal(_sorted(result["frame"]), want)
    dask_cluster.wait_for_workers(2, timeout=60)  # the nanny restarted it
    assert victim not in dask_cluster.run(os.getpid).values()
