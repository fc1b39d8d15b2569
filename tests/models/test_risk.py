"""Staff risk: calibration against known rates, the as-of guarantee, drivers, artifacts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from engine.errors import NotFittedError
from engine.policy import Policy, load_policy
from models.artifacts import ArtifactError
from models.risk.artifacts import load, save
from models.risk.estimator import StaffRisk

START, END, AS_OF = (
    pd.Timestamp("2025-01-01"),
    pd.Timestamp("2027-12-31"),
    pd.Timestamp("2026-06-30"),
)


def synthetic_world(n: int = 700, seed: int = 1) -> tuple[dict[str, pd.DataFrame], np.ndarray]:
    """Staff with known, constant completion rates (per year; gamma across people and
    orgs); each completion is a Poisson event.  Returns tables and the true rates."""
    rng = np.random.default_rng(seed)
    n_orgs = n // 7
    org_effect = rng.gamma(3.0, 1 / 3.0, n_orgs)
    org = rng.integers(0, n_orgs, n)
    rate = rng.gamma(2.0, 0.75, n) * org_effect[org]  # mean ≈ 1.5 a year
    orgs = pd.DataFrame(
        {
            "org_id": [f"O{i}" for i in range(n_orgs)],
            "name": [f"org {i}" for i in range(n_orgs)],
            "org_type": "social_group",
            "region": rng.choice(["北京", "上海", "甘肃"], n_orgs),
            "ministry_managed": False,
            "rating": np.nan,
        }
    )
    roles = rng.choice(["finance", "head", "spokesperson"], n, p=[0.6, 0.3, 0.1])
    staff = pd.DataFrame(
        {
            "staff_id": [f"S{i}" for i in range(n)],
            "org_id": orgs["org_id"].to_numpy()[org],
            "role": roles,
            "hired_on": pd.Timestamp("2024-01-01"),
            "left_on": pd.NaT,
        }
    )
    modules = pd.DataFrame(
        {
            "module_id": [f"M{i}" for i in range(5)],
            "title": "m",
            "mode": ["online", "offline", "online", "live", "blended"],
            "hours": 4.0,
            "tier": "elective",
            "prerequisites": "",
        }
    )
    days = (END - START).days + 1
    rows = []
    for i in range(n):
        k = rng.poisson(rate[i] * days / 365.25)
        when = START + pd.to_timedelta(np.sort(rng.integers(0, days, k)), unit="D")
        for j, w in enumerate(when):
            rows.append((f"P{i}-{j}", f"S{i}", f"M{rng.integers(0, 5)}", w))
    parts = pd.DataFrame(
        rows, columns=["participation_id", "staff_id", "module_id", "completed_on"]
    )
    parts["enrolled_on"] = parts["completed_on"] - pd.Timedelta(days=20)
    parts["session_id"] = ""
    parts["status"] = "completed"
    parts["hours"] = 4.0
    empty = lambda cols: pd.DataFrame({c: [] for c in cols})  # noqa: E731
    tables = {
        "organizations": orgs,
        "staff": staff,
        "skills": pd.DataFrame({"skill_id": ["K"], "name": ["k"], "parent_id": [""]}),
        "modules": modules,
        "module_skills": pd.DataFrame({"module_id": ["M0"], "skill_id": ["K"], "weight": [1.0]}),
        "role_requirements": empty(["role", "skill_id", "level"]),
        "sessions": empty(["session_id", "module_id", "starts_on", "ends_on", "capacity"]),
        "participations": parts,
        "assessments": empty(
            ["assessment_id", "staff_id", "module_id", "taken_on", "score"]
        ).astype({"taken_on": "datetime64[ns]", "score": float}),
        "outcomes": empty(
            ["outcome_id", "staff_id", "module_id", "measured_on", "kind", "value"]
        ).astype({"measured_on": "datetime64[ns]", "value": float}),
    }
    return tables, rate


@pytest.fixture(scope="module")
def world() -> tuple[dict[str, pd.DataFrame], np.ndarray]:
    return synthetic_world()


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy("national-2025")


@pytest.fixture(scope="module")
def fitted(world, policy) -> StaffRisk:  # noqa: ANN001
    return StaffRisk(max_iter=120, step_days=61).fit(world[0], AS_OF, policy)


def test_calibrated_against_known_rates(world, policy, fitted) -> None:  # noqa: ANN001
    tables, rate = world
    pred = fitted.predict(tables, AS_OF).set_index("staff_id")
    idx = pred.index.str[1:].astype(int)
    left_years = (END - AS_OF).days / 365.25
    remaining = pred["remaining"].to_numpy()
    truth = np.where(remaining > 0, stats.poisson.cdf(remaining - 1, rate[idx] * left_years), 0.0)
    owe = remaining > 0
    assert owe.sum() > 200
    # calibrated: within each bin of predictions, the true probabilities average out
    # to the prediction (ECE against the generator's own probabilities)
    p = pred["p_miss"].to_numpy()[owe]
    b = np.minimum((p * 10).astype(int), 9)
    ece = sum(
        abs(p[b == k].mean() - truth[owe][b == k].mean()) * (b == k).sum() for k in np.unique(b)
    )
    assert ece / owe.sum() < 0.05, ece / owe.sum()
    # the expected shortfall is never more than what remains, zero when met
    short = pred["expected_shortfall"].to_numpy()
    assert (short <= remaining + 1e-9).all() and (short[~owe] == 0).all()
    assert (pred.loc[~owe, "p_miss"] == 0).all()


def test_ranks_nearly_as_well_as_the_true_rates(world, fitted) -> None:  # noqa: ANN001
    from sklearn.metrics import roc_auc_score

    tables, rate = world
    pred = fitted.predict(tables, AS_OF)
    end = tables["participations"]
    done = end[end["completed_on"] <= END].groupby("staff_id").size()
    pred = pred[pred["remaining"] > 0]
    finished = done.reindex(pred["staff_id"]).fillna(0).to_numpy()
    missed = (finished < pred["required"].to_numpy()).astype(int)
    idx = pred["staff_id"].str[1:].astype(int).to_numpy()
    left_years = (END - AS_OF).days / 365.25
    oracle = stats.poisson.cdf(pred["remaining"].to_numpy() - 1, rate[idx] * left_years)
    # the untrained rule: extrapolate each person's own pace so far
    so_far = pred["done"].to_numpy() / ((AS_OF - START).days / 365.25)
    rule = stats.poisson.cdf(pred["remaining"].to_numpy() - 1, so_far * left_years)
    auc, best = roc_auc_score(missed, pred["p_miss"]), roc_auc_score(missed, oracle)
    assert auc > roc_auc_score(missed, rule) + 0.01
    assert auc > best - 0.08, (auc, best)


def test_records_after_as_of_change_nothing(world, policy, fitted) -> None:  # noqa: ANN001
    tables, _ = world
    later = {k: v.copy() for k, v in tables.items()}
    late = pd.Timestamp("2026-07-15")
    p = later["participations"]
    # a world as recorded on as_of: later enrolments absent, later completions still open ...
    p = p[p["enrolled_on"] <= AS_OF].copy()
    open_ = p["completed_on"] > AS_OF
    p.loc[open_, "status"] = "enrolled"
    p.loc[open_, "completed_on"] = pd.NaT
    base = {**later, "participations": p}
    # ... versus one with more, later records: new completions, a departure, a new hire
    extra = pd.DataFrame(
        {
            "participation_id": ["X1", "X2"],
            "staff_id": ["S1", "S2"],
            "module_id": ["M0", "M1"],
            "completed_on": [late, late],
            "enrolled_on": [late, late],
            "session_id": "",
            "status": "completed",
            "hours": 4.0,
        }
    )
    more = {
        **later,
        "participations": pd.concat([tables["participations"], extra], ignore_index=True),
    }
    staff = more["staff"].copy()
    staff.loc[staff["staff_id"] == "S3", "left_on"] = pd.Timestamp("2026-09-01")
    new = staff.iloc[[0]].assign(staff_id="NEW", hired_on=pd.Timestamp("2026-08-01"))
    more["staff"] = pd.concat([staff, new], ignore_index=True)
    a = StaffRisk(max_iter=40).fit(base, AS_OF, policy).predict(base, AS_OF)
    b = StaffRisk(max_iter=40).fit(more, AS_OF, policy).predict(more, AS_OF)
    pd.testing.assert_frame_equal(a, b)


def test_drivers_and_not_fitted(world, fitted, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("LEARNMAP_LANG", "en")  # the drivers' English words are read back
    tables, rate = world
    pred = fitted.predict(tables, AS_OF).set_index("staff_id")
    owe = pred[pred["remaining"] > 0]
    # status is today's pace, p_miss the forecast: the rows where they disagree are flagged
    from models.risk.agreement import forecast_vs_status

    flag = pred["forecast_vs_status"]
    assert (flag.to_numpy() == forecast_vs_status(pred["status"], pred["p_miss"])).all()
    on_track_likely = (pred["status"] == "on_track") & (pred["p_miss"] >= 0.5)
    assert (flag[on_track_likely] == "worse_than_pace").all()
    assert (flag[pred["status"].isin(["met", "none"])] == "agree").all()
    assert owe["drivers"].str.contains(r"still due, 18 months left").all()
    assert owe["drivers"].str.contains("colleagues complete").any()
    never = set(tables["staff"]["staff_id"]) - set(tables["participations"]["staff_id"])
    if never:
        said = pred.loc[sorted(never)[0], "drivers"]
        assert said.count("no completion on record") <= 1
        assert "no completion on record: lowers" not in said  # never completing is no help
    with pytest.raises(NotFittedError):
        StaffRisk().predict(tables, AS_OF)


def test_artifacts_round_trip_and_refusals(world, policy, fitted, tmp_path: Path) -> None:  # noqa: ANN001
    tables, _ = world
    folder = save(fitted, tables, tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["policy"]["name"] == "national-2025" and manifest["features"]
    assert manifest["data"]["participations"]["rows"] == len(tables["participations"])
    assert "brier_calibrated" in manifest["validation"]
    model, _ = load(policy, tmp_path)
    pd.testing.assert_frame_equal(model.predict(tables, AS_OF), fitted.predict(tables, AS_OF))
    with pytest.raises(ArtifactError, match="trained for policy 'national-2025'"):
        load(load_policy("credits"), tmp_path)
    # a model saved with another feature list (an older or newer version) is refused
    man = json.loads((folder / "manifest.json").read_text())
    (folder / "manifest.json").write_text(json.dumps({**man, "features": man["features"][:-1]}))
    with pytest.raises(ArtifactError, match=r"features differ.*retrain"):
        load(policy, tmp_path)
    (folder / "manifest.json").write_text(json.dumps(man))
    load(policy, tmp_path)
    (folder / "model.joblib").write_bytes(b"broken")
    with pytest.raises(ArtifactError, match="does not match its manifest"):
        load(policy, tmp_path)
    with pytest.raises(ArtifactError, match="learnmap train"):
        load(policy, tmp_path / "nothing")


@pytest.mark.slow
def test_cli_train_and_risk_end_to_end(small_dir: Path, tmp_path: Path) -> None:
    env = {**os.environ, "LEARNMAP_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
           "LEARNMAP_MODEL_DIR": str(tmp_path / "models")}  # fmt: skip
    env.pop("LEARNMAP_LANG", None)  # Chinese, the default

    def run(*a: str) -> subprocess.CompletedProcess:
        cmd = [sys.executable, "-m", "engine.cli", *a]
        return subprocess.run(cmd, env=env, capture_output=True, text=True)

    assert run("ingest", str(small_dir)).returncode == 0
    res = run("risk", "--as-of", "2026-06-30", "--level", "staff", "--out", str(tmp_path / "s.csv"))
    assert res.returncode == 2 and "learnmap train" in res.stderr
    res = run("train", "--as-of", "2026-06-30")
    assert res.returncode == 0, res.stderr
    res = run(
        "risk", "--as-of", "2026-06-30", "--level", "staff", "--out", str(tmp_path / "s.csv"), "-q"
    )
    assert res.returncode == 0, res.stderr
    staff = pd.read_csv(tmp_path / "s.csv")
    assert list(staff.columns[:6]) == [
        "staff_id",
        "org_id",
        "p_miss",
        "expected_shortfall",
        "status",
        "drivers",
    ]
    assert staff["p_miss"].between(0, 1).all()
    assert set(staff["forecast_vs_status"]) <= {"agree", "worse_than_pace", "better_than_pace"}
    assert "“状态”为按时间进度的当前状态" in res.stdout and "“未达标概率”为到截止日期" in res.stdout
    assert "worse_than_pace" not in res.stdout and "p_miss" not in res.stdout
    assert staff["drivers"].str.match("尚需|尚缺|已达标|无培训要求").all()
    assert not staff["drivers"].str.contains("[A-Za-z]").any()  # drivers in Chinese words
    res = run(
        "risk",
        "--as-of",
        "2026-06-30",
        "--level",
        "org",
        "--out",
        str(tmp_path / "o.parquet"),
        "-q",
    )
    assert res.returncode == 0, res.stderr
    orgs = pd.read_parquet(tmp_path / "o.parquet")
    assert list(orgs.columns[:7]) == [
        "org_id",
        "staff",
        "expected_shortfall",
        "expected_missing",
        "p_unit_rule",
        "rank",
        "reason",
    ]
    assert (tmp_path / "o-by-region.parquet").exists()
    # national-2025 counts person-times: the unit 1/3 rule (credits, 002) does not apply
    assert orgs["p_unit_rule"].isna().all()
    assert orgs["reason"].str.contains("名有要求人员中预计").all()
    assert not orgs["reason"].str.contains("不合格").any()
    res = run(
        "risk",
        "--as-of",
        "2026-06-30",
        "--policy",
        "credits",
        "--level",
        "org",
        "--out",
        str(tmp_path / "x.csv"),
    )
    assert res.returncode == 2 and "trained for policy" in res.stderr


def test_drivers_in_words_for_each_situation(monkeypatch: pytest.MonkeyPatch) -> None:
    from models.risk.drivers import drivers

    monkeypatch.setenv("LEARNMAP_LANG", "en")

    base = dict(required=4.0, done=1.0, remaining=3.0, days_left=400.0)
    rows = [
        base,
        {**base, "days_left": -5.0},
        {**base, "remaining": 0.0, "done": 4.0},
        {**base, "required": 0.0, "remaining": 0.0, "done": 0.0},
    ]
    # without the model's effects: where the person stands only (tests/models/
    # test_risk_explain.py checks the model's drivers)
    got = drivers(pd.DataFrame(rows), "trainings")
    assert got[0] == "3 of 4 trainings still due, 13 months left"
    assert got[1] == "3 of 4 trainings missing, deadline passed"
    assert got[2] == "requirement met (4 of 4 trainings)"
    assert got[3] == "no requirement applies"
    assert drivers(pd.DataFrame(rows[:0]), "hours") == []
    monkeypatch.delenv("LEARNMAP_LANG")  # Chinese by default, in the policy's unit
    assert drivers(pd.DataFrame(rows), "trainings") == [
        "尚需 3/4 次，剩余 13 个月",
        "尚缺 3/4 次，已过截止日期",
        "已达标（4/4 次）",
        "无培训要求",
    ]
    assert drivers(pd.DataFrame(rows[:1]), "hours") == ["尚需 3/4 学时，剩余 13 个月"]
