"""``risk --engine pandas|dask``: the same staff forecasts and organization roll-ups
from both engines (after sorting), on demo worlds, from the small shared
``LocalCluster`` (``tests/conftest.py``: 2 worker processes)."""

from __future__ import annotations

import io
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.cli import main
from engine.demo import DemoSpec, generate, write_dataset
from engine.ingest import ingest
from engine.parquet import export_parquet
from engine.policy import load_policy
from engine.store import Store
from features.partitioned import read_catalogue, tables_of
from models.risk.estimator import StaffRisk
from models.risk.features import UNIT_WORDS
from models.risk.org import score_orgs, unit_share
from models.risk.partitioned import ORG_INPUTS, risk_dask, risk_pandas, staff_risk

AS_OF = date(2026, 6, 30)
#: Colleague sums are added in another order on the dask engine (module docstring of
#: ``models.risk.partitioned``): equal to rounding, not bit for bit.
CLOSE = {"check_exact": False, "rtol": 1e-12, "atol": 1e-12}


def _world(root: Path, scenario: str, orgs: int, seed: int, partitions: int) -> tuple:
    tables = generate(DemoSpec(scenario=scenario, orgs=orgs, seed=seed))
    write_dataset(tables, root / "data")
    store = Store(f"sqlite:///{root / 's.db'}")
    ingest(root / "data", store)
    export_parquet(store, root / "copy", partitions=partitions, progress=False)
    return store.load(), root / "copy"


@pytest.fixture(
    scope="module", params=[("national", "national-2025", 300), ("cadre", "credits", 40)]
)
def fitted_world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """A demo world in a store and a 5-partition copy, and a risk model fitted on it
    (few trees: the test is about the engines, not the model).  Credits: the records'
    first day is a population statistic, and ``p_unit_rule`` is computed."""
    scenario, policy, orgs = request.param
    tables, copy = _world(tmp_path_factory.mktemp(scenario), scenario, orgs, 7, 5)
    model = StaffRisk(max_iter=40, max_snapshots=4).fit(tables, AS_OF, load_policy(policy))
    return tables, copy, model


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values("staff_id").reset_index(drop=True)


def _orgs(staff: pd.DataFrame, tables: dict, model: StaffRisk) -> pd.DataFrame:
    policy = model.policy_
    return score_orgs(
        staff,
        tables["organizations"],
        unit_share(policy),
        UNIT_WORDS[policy.kind],
        float(model.unit_sigma_),
    )


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_staff_and_org_risk_same_on_both_engines(
    fitted_world,  # noqa: ANN001
    dask_cluster,  # noqa: ANN001
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every column of the staff forecasts, and the organization roll-up from what the
    dask engine returns for it; on a terminal, a bar counts the partitions scored."""
    tables, copy, model = fitted_world
    want = _sorted(risk_pandas(tables, AS_OF, model))
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    got = _sorted(risk_dask(copy, AS_OF, model, dask_cluster, progress=None))
    monkeypatch.undo()
    shown = terminal.getvalue()
    assert "risk: scoring on dask: 100%" in shown and "partition" in shown
    assert len(want) > 800 and want["p_miss"].between(0.05, 0.95).any()
    assert want["org_rate"].notna().sum() > len(want) // 2
    pd.testing.assert_frame_equal(got, want, **CLOSE)
    thin = got[ORG_INPUTS]  # what the dask engine returns for --level org (CLI test below)
    want_orgs = _orgs(want, tables, model)
    if model.policy_.kind == "credits":
        assert want_orgs["p_unit_rule"].between(0.01, 0.99).any()
    pd.testing.assert_frame_equal(_orgs(thin, tables, model), want_orgs, **CLOSE)


@settings(
    max_examples=2,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    orgs=st.integers(1, 6),
    seed=st.integers(0, 2**16),
    scenario=st.sampled_from(["national", "cadre"]),
    partitions=st.integers(1, 6),
    as_of=st.dates(date(2025, 3, 1), date(2027, 12, 31)),
    keep=st.floats(0.3, 1.0),
)
def test_generated_worlds_scored_alike_on_both_engines(
    tmp_path_factory: pytest.TempPathFactory,
    fitted_world,  # noqa: ANN001
    dask_cluster,  # noqa: ANN001
    orgs: int,
    seed: int,
    scenario: str,
    partitions: int,
    as_of: date,
    keep: float,
) -> None:
    """Any small world (a share ``keep`` of its participations: some partitions have
    few people or none), any date and number of partitions, scored by the fixture's
    model on both engines."""
    model = fitted_world[2]
    tables = generate(DemoSpec(orgs=orgs, seed=seed, scenario=scenario))
    tables["participations"] = tables["participations"].sample(frac=keep, random_state=seed)
    for name in ("assessments", "outcomes"):
        tables[name] = tables[name].iloc[: int(len(tables[name]) * keep)]
    root = tmp_path_factory.mktemp("g")
    write_dataset(tables, root / "data")
    store = Store(f"sqlite:///{root / 's.db'}")
    ingest(root / "data", store)
    export_parquet(store, root / "copy", partitions=partitions, progress=False)
    want = _sorted(risk_pandas(store.load(), as_of, model))
    got = _sorted(risk_dask(root / "copy", as_of, model, dask_cluster))
    pd.testing.assert_frame_equal(got, want, **CLOSE)
    pd.testing.assert_frame_equal(
        _orgs(got[ORG_INPUTS], tables, model), _orgs(want, tables, model), **CLOSE
    )


def test_a_partition_alone_does_not_know_its_colleagues(fitted_world) -> None:  # noqa: ANN001
    """Why the population statistics are broadcast: a partition's own colleague rates
    (its share of each organization) differ from the whole's."""
    from engine.parquet import read_bucket
    from models.risk.partitioned import risk_columns

    tables, copy, model = fitted_world
    need = risk_columns()
    persons = ["staff", "participations", "assessments"]
    parts = tuple(read_bucket(copy, t, 0, need[t]) for t in persons)
    catalogue = read_catalogue(str(copy), {t: c for t, c in need.items() if t not in persons})
    alone = _sorted(staff_risk(tables_of(persons, parts, catalogue), AS_OF, model))
    whole = _sorted(risk_pandas(tables, AS_OF, model))
    whole = whole[whole["staff_id"].isin(alone["staff_id"])].reset_index(drop=True)
    assert (alone["org_size"] <= whole["org_size"]).all()
    assert (alone["org_size"] < whole["org_size"]).mean() > 0.5


def test_cli_risk_on_dask_matches_pandas(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    small_dir: Path,
    dask_cluster,  # noqa: ANN001
) -> None:
    """``learnmap risk --engine dask`` (staff and org files) equals the pandas engine's,
    the drivers worded in the command's language (the workers' default is Chinese)."""
    monkeypatch.setenv("LEARNMAP_DATABASE_URL", f"sqlite:///{tmp_path / 's.db'}")
    monkeypatch.setenv("LEARNMAP_MODEL_DIR", str(tmp_path / "models"))
    monkeypatch.chdir(tmp_path)
    assert main(["ingest", str(small_dir), "-q"]) == 0
    assert main(["train", "--as-of", "2026-06-30", "-q"]) == 0
    address = dask_cluster.scheduler.address
    for level in ("staff", "org"):
        base = ["risk", "--as-of", "2026-06-30", "--level", level, "-q", "--lang", "en"]
        assert main([*base, "--out", f"p-{level}.csv", "--engine", "pandas"]) == 0
        assert (
            main([*base, "--out", f"d-{level}.csv", "--engine", "dask", "--scheduler", address])
            == 0
        )
        key = "staff_id" if level == "staff" else "org_id"
        p, d = (
            pd.read_csv(tmp_path / f"{e}-{level}.csv", dtype={key: str})
            .sort_values(key)
            .reset_index(drop=True)
            for e in ("p", "d")
        )
        assert len(p) > 0
        if level == "staff":
            assert p["drivers"].str.contains("still due").any()
        pd.testing.assert_frame_equal(d, p, **CLOSE)
