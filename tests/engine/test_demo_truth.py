"""Ground truth of the demo data (``--truth``, ``engine.demo.truth``): written beside the
tables and never ingested, documented, read back identically, and its oracles are right —
choice probabilities sum to 1 over admissible modules and beat a popularity baseline on
the choices people really made next; expected activity matches what happened."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.cli import main
from engine.demo import DemoSpec, Truth, generate_with_truth, write_dataset, write_truth
from engine.demo.truth import load_truth
from engine.readers import read_dataset

Tables = dict[str, pd.DataFrame]
AS_OF = "2024-06-30"


@pytest.fixture(scope="module")
def data() -> tuple[Tables, Truth]:
    return generate_with_truth(
        DemoSpec(scenario="cadre", orgs=40, seed=3, start=date(2023, 1, 1), end=date(2025, 12, 31))
    )


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory, data: tuple[Tables, Truth]) -> Path:
    out = tmp_path_factory.mktemp("truth")
    write_dataset(data[0], out)
    write_truth(data[1], out)
    return out


def test_truth_is_written_beside_the_tables_and_never_ingested(folder: Path) -> None:
    names = {p.name for p in (folder / "_truth").iterdir()}
    assert {"README.md", "params.json", "people.csv", "mastery.csv", "orgs.csv"} <= names
    readme = (folder / "_truth" / "README.md").read_text(encoding="utf-8")
    assert "Φ(u)" in readme and "choice_probabilities" in readme  # mastery mapping, oracle
    assert set(read_dataset(folder)) == {p.stem for p in folder.glob("*.csv")}


def test_truth_reads_back_identically(folder: Path, data: tuple[Tables, Truth]) -> None:
    tables, truth = data
    loaded = load_truth(folder)
    pd.testing.assert_frame_equal(loaded.people, truth.people, check_dtype=False)
    pd.testing.assert_frame_equal(loaded.mastery, truth.mastery, check_dtype=False, atol=1e-6)
    ids = truth.people["staff_id"].iloc[:50]
    a = truth.choice_probabilities(tables["participations"], AS_OF, ids)
    b = loaded.choice_probabilities(tables["participations"], AS_OF, ids)
    pd.testing.assert_frame_equal(a, b, atol=1e-6)


def test_latent_traits_are_documented_columns(data: tuple[Tables, Truth]) -> None:
    tables, truth = data
    assert {"staff_id", "diligence"} <= set(truth.people.columns)
    assert {"staff_id", "year", "interest_1"} <= set(truth.interests.columns)
    assert {"org_id", "culture"} <= set(truth.orgs.columns)
    m = truth.mastery
    assert m["mastery"].between(0, 1).all()
    assert set(m["skill_id"]) <= set(tables["skills"]["skill_id"])
    assert len(m) == len(truth.people) * m["skill_id"].nunique()


def _check_admissible(p: pd.DataFrame, history: pd.DataFrame, as_of: str) -> None:
    sums = p.groupby("staff_id")["p"].sum()
    assert np.allclose(sums, 1.0)
    seen = history[history["enrolled_on"] <= as_of][["staff_id", "module_id"]]
    assert seen.merge(p, on=["staff_id", "module_id"]).empty  # enrolled before: absent


def test_oracle_sums_to_one_over_admissible_modules(data: tuple[Tables, Truth]) -> None:
    tables, truth = data
    p = truth.choice_probabilities(tables["participations"], AS_OF)
    _check_admissible(p, tables["participations"], AS_OF)
    employed = truth.people[
        (truth.people["hired_on"] <= AS_OF)
        & (truth.people["left_on"].isna() | (truth.people["left_on"] > AS_OF))
    ]
    assert set(p["staff_id"]) == set(employed["staff_id"])


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    keep=st.floats(0.0, 1.0),
    seed=st.integers(0, 1000),
    month=st.integers(1, 30),
)
def test_oracle_on_any_partial_history(
    data: tuple[Tables, Truth], keep: float, seed: int, month: int
) -> None:
    tables, truth = data
    hist = tables["participations"]
    hist = hist[np.random.default_rng(seed).random(len(hist)) < keep]
    as_of = str((pd.Timestamp("2023-01-31") + pd.offsets.MonthEnd(month)).date())
    ids = truth.people["staff_id"].iloc[:40]
    p = truth.choice_probabilities(hist, as_of, ids)
    _check_admissible(p, hist, as_of)
    assert set(p["staff_id"]) == set(ids)


def test_unknown_staff_is_a_clear_error(data: tuple[Tables, Truth]) -> None:
    tables, truth = data
    with pytest.raises(KeyError, match="NOBODY"):
        truth.choice_probabilities(tables["participations"], AS_OF, ["NOBODY"])


def test_oracle_predicts_the_real_next_choices(data: tuple[Tables, Truth]) -> None:
    """On the first module each person chose after as_of: the oracle's log-likelihood beats
    popularity within the role, and its expected counts per module match the real ones."""
    tables, truth = data
    part = tables["participations"]
    nxt = part[(part["enrolled_on"] > AS_OF) & (part["enrolled_on"] <= "2024-07-31")]
    nxt = nxt.sort_values(["enrolled_on", "participation_id"]).drop_duplicates("staff_id")
    p = truth.choice_probabilities(part, AS_OF, nxt["staff_id"])
    got = nxt.merge(p, on=["staff_id", "module_id"], how="left")
    assert got["p"].notna().all()
    oracle_ll = np.log(got["p"]).mean()
    # popularity among the same role, over modules the person has not taken
    past = part[part["enrolled_on"] <= AS_OF].merge(
        tables["staff"][["staff_id", "role"]], on="staff_id"
    )
    pop = past.groupby(["role", "module_id"]).size().rename("n").reset_index()
    role = tables["staff"].set_index("staff_id")["role"]
    mods = tables["modules"]["module_id"]
    lls = []
    for sid, mid in zip(nxt["staff_id"], nxt["module_id"], strict=True):
        counts = (
            pop[pop["role"] == role[sid]].set_index("module_id")["n"].reindex(mods, fill_value=0)
            + 1.0
        )
        counts = counts.drop(past.loc[past["staff_id"] == sid, "module_id"], errors="ignore")
        lls.append(np.log(counts[mid] / counts.sum()))
    assert oracle_ll > np.mean(lls) + 0.3, (oracle_ll, np.mean(lls))
    expected = p.groupby("module_id")["p"].sum()
    real = nxt["module_id"].value_counts().reindex(expected.index, fill_value=0)
    assert np.corrcoef(expected, real)[0, 1] > 0.7


def test_expected_activity_matches_what_happened(data: tuple[Tables, Truth]) -> None:
    tables, truth = data
    ids = truth.people["staff_id"]
    exp = truth.expected_activity(ids, "2024-01-01", "2025-01-01").set_index("staff_id")
    part = tables["participations"]
    made = part[(part["enrolled_on"] >= "2024-01-01") & (part["enrolled_on"] < "2025-01-01")]
    done = made[made["status"] == "completed"]
    real_n = done.groupby("staff_id").size().reindex(ids, fill_value=0)
    real_h = done.groupby("staff_id")["hours"].sum().reindex(ids, fill_value=0)
    assert exp["completions"].sum() == pytest.approx(real_n.sum(), rel=0.1)
    assert exp["hours"].sum() == pytest.approx(real_h.sum(), rel=0.15)
    assert np.corrcoef(exp.loc[ids, "completions"], real_n)[0, 1] > 0.5


def test_cli_writes_truth_for_both_scenarios(tmp_path: Path) -> None:
    for scenario, orgs in (("national", "30"), ("cadre", "3")):
        out = tmp_path / scenario
        assert (
            main(
                [
                    "demo-data",
                    "--out",
                    str(out),
                    "--scenario",
                    scenario,
                    "--orgs",
                    orgs,
                    "--truth",
                    "-q",
                ]
            )
            == 0
        )
        truth = load_truth(out)
        assert truth.params["scenario"] == scenario
        assert (out / "participations.csv").is_file()
    with pytest.raises(FileNotFoundError, match="no ground truth"):
        load_truth(tmp_path)
