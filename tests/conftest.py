"""Shared fixtures: stores (SQLite always, PostgreSQL when LEARNMAP_TEST_POSTGRES_URL is
set) and small demo datasets generated once per session."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from engine.demo import DemoSpec, generate, write_dataset
from engine.store import Store

PG_URL = os.environ.get("LEARNMAP_TEST_POSTGRES_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


@pytest.fixture(autouse=True)
def _adbc_reads_on(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The API service switches ADBC off for its whole process (``engine.scan.
    disable_adbc``: its threads write through sqlite3 while others read).  In the test
    process that would silently move every later store test off the ADBC/bulk path, so
    tests outside ``tests/api`` (no service running) get the one-shot commands' default
    back; API tests keep what their service chose."""
    from engine import scan

    if "api" not in Path(str(request.node.path)).relative_to(Path(__file__).parent).parts[:1]:
        monkeypatch.setitem(scan._ADBC, "enabled", True)


@pytest.fixture(autouse=True)
def _own_model_dir(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each test saves fitted models (``learnmap recommend`` keeps them for reuse) in a
    folder of its own, never in the checkout's ``var/models``; a test that sets
    ``LEARNMAP_MODEL_DIR`` itself overrides this."""
    monkeypatch.setenv("LEARNMAP_MODEL_DIR", str(tmp_path_factory.mktemp("models")))


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    if request.param == "sqlite":
        yield Store(f"sqlite:///{tmp_path / 'learnmap.db'}")
        return
    s = Store(PG_URL)
    s.drop()
    yield s
    s.drop()
    s.engine.dispose()


@pytest.fixture(scope="session")
def small_tables() -> dict[str, pd.DataFrame]:
    """A 60-organization demo dataset (a few hundred staff)."""
    return generate(DemoSpec(orgs=60, seed=5))


@pytest.fixture(scope="session")
def small_dir(
    tmp_path_factory: pytest.TempPathFactory, small_tables: dict[str, pd.DataFrame]
) -> Path:
    out = tmp_path_factory.mktemp("demo")
    write_dataset(small_tables, out)
    return out


@pytest.fixture(scope="module")
def small_db(small_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 60-organization demo dataset ingested into a SQLite store of the test
    module's own (module scope: the module's tests share it and must not change it)."""
    from engine.ingest import ingest
    from engine.store import Store

    path = tmp_path_factory.mktemp("store") / "learnmap.db"
    ingest(small_dir, Store(f"sqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def national() -> dict[str, pd.DataFrame]:
    """The default national-scale demo dataset (2,300 organizations)."""
    return generate(DemoSpec(seed=11))


@pytest.fixture(scope="session")
def dask_cluster():  # noqa: ANN201
    """A Dask client on a small ``LocalCluster`` shared by the whole session: 2 worker
    processes of one thread each (``engine.cluster.dask_client``).  Workers are spawned
    with this checkout first on ``PYTHONPATH`` so they import the code under test."""
    from engine.cluster import dask_client

    root = str(Path(__file__).resolve().parent.parent)
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = root + (os.pathsep + old if old else "")
    try:
        with dask_client(
            n_workers=2,
            processes=True,
            threads_per_worker=1,
            memory_limit="1GiB",
            dashboard_address=":0",
        ) as client:
            yield client
    finally:
        if old is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = old
