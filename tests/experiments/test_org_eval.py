"""Organization-level evaluation of risk runs (slice ``org``) and calibration per group."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments.org_eval import group_metrics, org_frame, org_metrics


def _brute(p: list[float], m: int) -> float:
    return math.fsum(
        math.prod(q if b else 1 - q for q, b in zip(p, bits, strict=True))
        for bits in itertools.product((0, 1), repeat=len(p))
        if sum(bits) >= m
    )


def test_org_frame_counts_the_already_met_and_reads_the_rule() -> None:
    cohort = pd.DataFrame(
        {
            "staff_id": ["a", "b", "c", "d", "e", "f"],
            "org_id": ["O1", "O1", "O1", "O2", "O2", "O2"],
            "label": [1, 1, 0, 0, 0, 0],
            "met": [False, False, True, False, False, True],
        }
    )
    p = pd.Series({"a": 0.9, "b": 0.4, "d": 0.2, "e": 0.1, "c": 0.7})  # c met: counts as 0
    f = org_frame(cohort, p, 1 / 3).set_index("org_id")
    assert f.loc["O1", "n"] == 3 and f.loc["O1", "observed_missing"] == 2
    assert f.loc["O1", "expected_missing"] == pytest.approx(1.3)
    assert f.loc["O1", "p_unit_rule"] == pytest.approx(_brute([0.9, 0.4, 0.0], 1))
    assert f["unit_rule"].tolist() == [1, 0]  # 2 of 3 reached 1/3; 0 of 3 did not
    m = org_metrics(f.reset_index())
    assert m["missing_error"] == pytest.approx((1.3 + 0.3 - 2) / 2)
    assert m["roc_auc"] == 1.0 and m["orgs"] == 2


def _world(rng: np.random.Generator, shared: bool, n_orgs: int = 600, size: int = 9):
    """Staff miss with probability p; with ``shared``, a unit's culture moves all of its
    staff together (what the model does not see: it is told the average p)."""
    org = np.repeat(np.arange(n_orgs), size)
    p = rng.uniform(0.05, 0.5, len(org))
    if shared:
        shift = rng.normal(0, 1.5, n_orgs)[org]
        logit = np.log(p / (1 - p)) + shift
        truth = 1 / (1 + np.exp(-logit))
    else:
        truth = p
    y = (rng.uniform(size=len(org)) < truth).astype(int)
    if shared:  # tell the model the marginal p of each person (averaged over cultures)
        draws = rng.normal(0, 1.5, (200, 1))
        p = (1 / (1 + np.exp(-(np.log(p / (1 - p)) + draws)))).mean(axis=0)
    cohort = pd.DataFrame(
        {"staff_id": [f"s{i}" for i in range(len(org))], "org_id": org, "label": y, "met": False}
    )
    return cohort, pd.Series(p, index=cohort["staff_id"])


def test_dispersion_tells_independent_staff_from_a_shared_unit_culture() -> None:
    rng = np.random.default_rng(0)
    alone = org_metrics(org_frame(*_world(rng, shared=False), 1 / 3))
    together = org_metrics(org_frame(*_world(rng, shared=True), 1 / 3))
    assert 0.85 < alone["dispersion"] < 1.15, alone
    assert together["dispersion"] > 1.5, together
    # independence holds: the unit-rule probability is calibrated and the total is right
    assert alone["ece"] < 0.05 and abs(alone["missing_error"]) < 0.05
    # a shared culture: right on average, wrong for units (the spread is too narrow)
    assert abs(together["missing_error"]) < 0.08 and together["ece"] > alone["ece"]


def test_group_metrics_count_every_role_and_value() -> None:
    groups = pd.DataFrame(
        {
            "deadline": ["2026-12-31"] * 3 + ["2027-12-31"],
            "role": ["head|finance", "finance", "other", "head"],
            "org_type": ["foundation", "foundation", "social_group", "social_group"],
            "region": ["北京", "上海", "北京", "北京"],
        }
    )
    y, p = np.array([1, 0, 0, 1]), np.array([0.9, 0.2, 0.1, 0.3])
    got = group_metrics(groups, y, p)
    assert got["role:head"]["n"] == 2 and got["role:finance"]["n"] == 2
    assert got["role:head"]["ece"] == pytest.approx((0.1 + 0.7) / 2)
    assert got["deadline:2027-12-31"]["base_rate"] == 1.0
    assert got["region:北京"]["mean_p"] == pytest.approx(np.mean([0.9, 0.1, 0.3]))


@pytest.mark.slow
def test_a_risk_run_scores_organizations_and_groups(tmp_path: Path, small_dir: Path) -> None:
    from experiments.runner import run_experiment

    cfg = {
        "task": "risk",
        "seeds": [0],
        "folds": 3,
        "data": {"path": str(small_dir)},
        "split": {"as_of": "2026-06-30", "policy": "national-2025"},
        "models": [
            {"name": "rule"},
            {"name": "logreg"},
            {"name": "risk", "max_iter": 30, "max_snapshots": 4},
        ],
    }
    metrics = run_experiment(cfg, out=tmp_path / "run")
    org = metrics[(metrics["slice"] == "org") & (metrics["seed"] == "mean")]
    assert {"roc_auc", "brier", "ece", "missing_error", "dispersion"} <= set(org["metric"])
    pred = pd.read_csv(tmp_path / "run" / "predictions.csv")
    rows = pred[(pred["slice"] == "org") & (pred["model"] == "logreg")]
    assert len(rows) == org.loc[org["model"] == "logreg"].set_index("metric").loc["orgs", "value"]
    assert rows["score"].between(0, 1).all() and set(rows["label"]) <= {0, 1}
    # the total expected missing in metrics.json is the one of the predictions' rows
    err = org.set_index(["model", "metric"]).loc[("logreg", "missing_error"), "value"]
    obs = rows["observed_missing"].sum()
    assert err == pytest.approx((rows["expected_missing"].sum() - obs) / obs, abs=1e-3)
    # the staff model's organization figures with its unit effect, and the independent
    # baseline in the same run when it found one
    sigma = org.set_index(["model", "metric"]).loc[("risk", "unit_sigma"), "value"]
    assert sigma >= 0
    assert ("risk/independent" in set(org["model"])) == (sigma > 0)
    slices = set(metrics["slice"])
    assert any(s.startswith("deadline:") for s in slices)
    assert any(s.startswith("role:") for s in slices) and any(
        s.startswith("region:") for s in slices
    )
    report = (tmp_path / "run" / "report.md").read_text(encoding="utf-8")
    assert "Organizations (slice `org`)" in report and "Calibration per group" in report
    assert (tmp_path / "run" / "reliability-org.png").stat().st_size > 5000
