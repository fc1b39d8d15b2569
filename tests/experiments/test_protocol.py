"""The honest protocol end to end on a tiny catalogue that renews every quarter:
offered candidates (the future schedule visible), enrolment truth, slices, admissible,
the paired comparison — and the content peer beating random where content decides."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments import run_experiment
from experiments.config import ConfigError, parse_config
from experiments.splits import temporal
from features.offerings import offered_module_ids
from tests.engine.test_cnpc import HEADER, row

DISCIPLINES = ("Humanities", "Education", "Computer Science")


@pytest.fixture(scope="module")
def renewing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Each quarter of 2014 brings 3 new courses per discipline; learners stay in their
    discipline 9 times in 10; 30 % of Q4's learners are new."""
    from engine.importers.cnpc import import_cnpc

    rng = np.random.default_rng(5)
    rows, n_course = [], 0
    courses: dict[tuple[int, str], list[str]] = {}
    for q in (1, 2, 3, 4):
        for d in DISCIPLINES:
            courses[q, d] = [f"C{(n_course := n_course + 1):03d}" for _ in range(3)]
    for u in range(240):
        home = DISCIPLINES[u % 3]
        quarters = [4] if u % 10 < 3 else sorted(rng.choice([1, 2, 3], 2, replace=False)) + [4]
        for q in quarters:
            d = home if rng.random() < 0.9 else DISCIPLINES[rng.integers(3)]
            c = courses[q, d][rng.integers(3)]
            done = "1" if rng.random() < 0.2 else "0"
            rows.append(row(c, f"U{u:03d}", d, f"2014 Q{q}", f"2014 Q{q}", done=done))
    src = tmp_path_factory.mktemp("cnpc") / "pc.csv"
    with open(src, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        w.writerows(rows)
    out = src.parent / "ds"
    import_cnpc(src, out)
    return out


def _config(path: Path, **split: object) -> dict:
    return {
        "task": "recommend",
        "seeds": [0, 1],
        "k": 3,
        "tune": False,
        "data": {"path": str(path)},
        "split": {"cut": "2014-10-01", "horizon_days": 92, **split},
        "models": [{"name": "content-affinity"}, {"name": "random"}, {"name": "popularity"}],
    }


def test_offered_run_ranks_next_quarter_and_says_so(renewing: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    m = run_experiment(_config(renewing, candidates="offered", truth="enrolled"), out=out)
    mean = m[m["seed"] == "mean"].pivot_table(
        index=["slice", "model"], columns="metric", values="value"
    )
    assert set(m["slice"]) == {"all", "warm", "cold", "new"}
    # every Q4 course is new here: the `new` slice (truth = modules nobody had taken)
    # is the whole test set
    assert np.allclose(mean.loc["new"].to_numpy(), mean.loc["all"].to_numpy())
    assert (mean["admissible"] == 1.0).all()  # only offered modules were recommended
    # the future sessions reached the models: an offered run is not NDCG 0
    assert mean.loc[("all", "random"), "ndcg@3"] > 0.05
    # content decides here: the content peer beats random among people with a history
    assert (
        mean.loc[("warm", "content-affinity"), "ndcg@3"]
        > 2 * mean.loc[("warm", "random"), "ndcg@3"]
    )
    # cold people have no history: content-affinity has nothing to go on either
    assert mean.loc[("cold", "content-affinity"), "ndcg@3"] < 0.6
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "Paired comparison with the best peer" in report and "### Slice `warm`" in report
    line = next(ln for ln in report.splitlines() if ln.startswith("| warm | content-affinity |"))
    lo = float(line.split("[")[1].split(",")[0])
    assert lo > 0  # the paired interval of content-affinity vs its best peer is above 0
    people = pd.read_csv(out / "people.csv", dtype={"staff_id": str})
    assert set(people["slice"]) == {"warm", "cold"}
    assert people.groupby("model").size().nunique() == 1  # every model: the same people
    recs_ok = json.loads((out / "metrics.json").read_text())
    assert {r["slice"] for r in recs_ok} == {"all", "warm", "cold", "new"}


def test_without_the_schedule_an_offered_run_could_only_score_zero(renewing: Path) -> None:
    """What the harness used to do: the as-of view drops sessions starting after the cut,
    so nothing offered next quarter was visible.  The fold keeps the schedule whole."""
    tables = _tables(renewing)
    fold = temporal(tables, "2014-10-01", 92, truth="enrolled", candidates="offered")
    offered = offered_module_ids(tables, "2014-10-01", "2015-01-01")
    assert fold.offered == offered and len(offered) == 9
    assert offered <= set(fold.train["sessions"]["module_id"])
    assert set(fold.test["module_id"]) <= offered  # every Q4 registration is an offered course


def _tables(path: Path) -> dict[str, pd.DataFrame]:
    from engine.readers import read_dataset
    from engine.validate import validate_dataset

    return validate_dataset(read_dataset(path))


def test_truth_completed_counts_completions_not_registrations(renewing: Path) -> None:
    tables = _tables(renewing)
    # Q3 registrations are dated 2014-07-01 — on the cut, not before: new choices; their
    # completions are dated the quarter's last day, inside the window
    fold = temporal(tables, "2014-07-01", 92, truth="completed")
    p = tables["participations"]
    done = p[(p["status"] == "completed") & (p["completed_on"] == pd.Timestamp("2014-09-30"))]
    got = set(zip(fold.test.staff_id, fold.test.module_id, strict=True))
    assert got == set(zip(done.staff_id, done.module_id, strict=True))
    enrolled = temporal(tables, "2014-07-01", 92, truth="enrolled")
    assert got < set(zip(enrolled.test.staff_id, enrolled.test.module_id, strict=True))


def test_a_module_enrolled_at_the_cut_is_never_a_test_item(renewing: Path) -> None:
    tables = _tables(renewing)
    p = tables["participations"]
    q3 = p[(p["status"] == "completed") & (p["completed_on"] == pd.Timestamp("2014-09-30"))]
    assert len(q3)  # completions inside [2014-08-01, 2014-11-01) …
    with pytest.raises(ValueError, match="no completions"):  # … of enrolments open at the cut
        temporal(tables, "2014-08-01", 92, truth="completed")
    fold = temporal(tables, "2014-08-01", 92, truth="enrolled")  # Q4 registrations are new
    before = p[p["enrolled_on"] < pd.Timestamp("2014-08-01")]
    held = set(zip(before.staff_id, before.module_id, strict=True))
    assert len(fold.test) and not held & set(
        zip(fold.test.staff_id, fold.test.module_id, strict=True)
    )


@pytest.mark.parametrize(
    ("split", "key", "rule"),
    [
        ({"truth": "passed"}, "split.truth", "must be one of completed, enrolled"),
        ({"candidates": "some"}, "split.candidates", "must be one of all, offered"),
        (
            {"kind": "leave_last", "candidates": "offered"},
            "split.candidates",
            "leave_last has no window",
        ),
    ],
)
def test_bad_protocol_keys_are_named(split: dict, key: str, rule: str) -> None:
    raw = _config(Path("x"), **split)
    if split.get("kind") == "leave_last":
        raw["split"] = split
    with pytest.raises(ConfigError, match=rule) as info:
        parse_config(raw)
    assert f"[{key}]" in str(info.value)


@pytest.mark.parametrize("name", ["cnpc-2014-offered", "cnpc-2014-leave-last"])
def test_the_shipped_cnpc_configs_run_on_imported_person_course_rows(
    renewing: Path, tmp_path: Path, name: str
) -> None:
    """The shipped configs, on a small dataset made by the same importer (their own
    var/cnpc-2014 needs the shared files; tests/engine/test_cnpc.py reads those)."""
    from experiments.config import load_config

    path = Path(__file__).resolve().parents[2] / "experiments" / "configs" / f"{name}.toml"
    raw = load_config(path).resolved()
    raw["data"] = {"path": str(renewing)}
    raw["seeds"] = raw["seeds"][:1]
    raw["tune"] = False
    for m in raw["models"]:
        m.update(m.pop("params"))
        m.pop("grid")
        if m["name"] == "implicit-als":
            m["iterations"] = 2
    metrics = run_experiment(parse_config(raw, str(path)), out=tmp_path / "run")
    assert set(metrics["model"]) == {m["label"] for m in raw["models"]}
    adm = metrics[(metrics["metric"] == "admissible") & (metrics["slice"] == "all")]
    assert (adm["value"] == 1.0).all()
    assert (tmp_path / "run" / "people.csv").exists()
