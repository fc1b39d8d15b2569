"""OULAD risk features: population, evidence cut-off, rule score, labels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.importers.oulad import read_oulad, to_canonical
from models.risk.course import BASE_RATE, FEATURES, OuladRisk, oulad_frame
from tests.engine.test_oulad import FIXTURE, write_fixture


def tables(tmp_path: Path, fixture: dict = FIXTURE) -> dict[str, pd.DataFrame]:
    return to_canonical(read_oulad(write_fixture(tmp_path, fixture)))


def test_population_evidence_and_rule(tmp_path: Path) -> None:
    t = tables(tmp_path / "a")
    at30 = oulad_frame(t, 30).set_index("staff_id")
    at40 = oulad_frame(t, 40).set_index("staff_id")
    # student 8 unregistered on day 35: scored at day 30, gone at day 40
    assert "XYZ-2014B-8" in at30.index and "XYZ-2014B-8" not in at40.index
    # only the TMA due on day 20 counts at day 30 (weight 25): scores 80 and 40
    assert at30.loc["XYZ-2014B-7", "rule_score"] == pytest.approx(0.2)
    assert at30.loc["XYZ-2014B-8", "rule_score"] == pytest.approx(0.6)
    assert at30.loc["XYZ-2014B-8", "label"] == 1 and at30.loc["XYZ-2014B-7", "label"] == 0
    assert at30.loc["XYZ-2014B-7", "mean_late"] == -2  # 2 days early
    # the CMA due on day 40 was submitted (score '?') on day 41: missing at day 40,
    # submitted at day 45
    assert at40.loc["XYZ-2014B-7", "n_missing"] == 1
    at45 = oulad_frame(t, 45).set_index("staff_id")
    assert at45.loc["XYZ-2014B-7", "n_due"] == 2 and at45.loc["XYZ-2014B-7", "n_missing"] == 0


def test_later_submissions_change_nothing_before_the_cutoff(tmp_path: Path) -> None:
    more = {k: [list(r) for r in v] for k, v in FIXTURE.items()}
    # the exam submitted again later, and a new 2014J student (another presentation)
    more["studentAssessment"].append(["4", "8", "200", "0", "10"])
    more["studentInfo"].append(
        ["XYZ", "2014J", "8", "M", "Wales", "HE", "?", "0-35", "0", "60", "N", "Pass"]
    )
    more["studentRegistration"].append(["XYZ", "2014J", "8", "-1", "?"])
    a = oulad_frame(tables(tmp_path / "a"), 30)
    b = oulad_frame(tables(tmp_path / "b", more), 30)
    b = b[b["staff_id"].isin(a["staff_id"])].reset_index(drop=True)
    # a new cohort member is evidence at the cut-off: only cohort-relative columns move
    own = [c for c in FEATURES if not c.endswith(("_pct", "_rel"))] + ["rule_score", "label"]
    pd.testing.assert_frame_equal(a[own], b[own])


def test_model_learns_a_planted_signal_and_refuses_before_fit() -> None:
    rng = np.random.default_rng(0)
    n = 600
    X = pd.DataFrame({f: rng.normal(size=n) for f in FEATURES})
    X["staff_id"] = [f"s{i}" for i in range(n)]
    y = (X["wscore"] + 0.3 * rng.normal(size=n) < 0).astype(int).to_numpy()
    with pytest.raises(Exception, match="not fitted"):
        OuladRisk().predict_proba(X)
    p = OuladRisk(max_iter=60).fit(X, y).predict_proba(X)[:, 1]
    assert np.corrcoef(p, y)[0, 1] > 0.6


def _planted(n_units: int = 6, n: int = 400, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Presentations of two modules: the same score → risk curve, but module "HI" fails
    more students than its records show (a module-level base rate).  Labels are drawn;
    the true probabilities are in the frame's ``truth`` column."""
    rng = np.random.default_rng(seed)
    frames, ys = [], []
    for k in range(n_units):
        module = "HI" if k % 2 else "LO"
        X = pd.DataFrame({f: rng.normal(size=n) for f in FEATURES})
        X["staff_id"] = [f"u{k}-{i}" for i in range(n)]
        X["unit"], X["module"] = f"{module}-{k}", module
        logit = -1.5 * X["wscore"] + (0.9 if module == "HI" else -0.9)
        X["truth"] = 1 / (1 + np.exp(-logit))
        ys.append((rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int).to_numpy())
        frames.append(X)
    return pd.concat(frames, ignore_index=True), np.concatenate(ys)


def test_module_offsets_track_a_known_modules_share() -> None:
    X, y = _planted()
    new, _ = _planted(n_units=2, seed=1)  # one new presentation of each module
    model = OuladRisk(max_iter=40, module_offsets=1.0).fit(X, y)
    plain = OuladRisk(max_iter=40, module_offsets=0.0).fit(X, y)
    p, q = model.predict_proba(new)[:, 1], plain.predict_proba(new)[:, 1]
    for module in ("HI", "LO"):
        at = (new["module"] == module).to_numpy()
        # without the module the trees cannot see the base rate; with it, the share is right
        share = new.loc[at, "truth"].mean()
        assert abs(p[at].mean() - share) < 0.04
        assert abs(q[at].mean() - share) > 0.1
    # a module never seen in training gets no offset
    other = new.assign(module="NEW")
    np.testing.assert_allclose(model.predict_proba(other), plain.predict_proba(other))


def test_features_unseen_in_training_or_missing_for_a_whole_presentation() -> None:
    X, y = _planted(n_units=4)
    X["clicks_pct"] = np.nan  # training files without studentVle
    X.loc[X.index[::4], "wscore"] = np.nan  # some students with nothing due yet
    model = OuladRisk(max_iter=40).fit(X, y)
    assert "clicks_pct" not in model.inputs_
    new, _ = _planted(n_units=2, seed=2)
    with_clicks = new.assign(clicks_pct=np.random.default_rng(3).random(len(new)))
    np.testing.assert_allclose(model.predict_proba(new), model.predict_proba(with_clicks))
    # a presentation where nothing is due yet: scored as "unknown", not as a score of 0
    unknown = model.predict_proba(new.assign(wscore=np.nan))[:, 1]
    zero = model.predict_proba(new.assign(wscore=0.0))[:, 1]
    nan_rows = X["wscore"].isna().to_numpy()
    assert abs(unknown.mean() - y[nan_rows].mean()) < abs(zero.mean() - y[nan_rows].mean()) + 0.05
    assert not np.allclose(unknown, zero)


def _planted_base_rate(
    n_units: int = 12, n: int = 300, seed: int = 0
) -> tuple[pd.DataFrame, np.ndarray]:
    """One module per presentation, each with its own base rate that the students'
    records do not show but a presentation aggregate (the share already withdrawn by
    the cut-off) does."""
    rng = np.random.default_rng(seed)
    frames, ys = [], []
    for k in range(n_units):
        X = pd.DataFrame({f: rng.normal(size=n) for f in FEATURES})
        X["staff_id"] = [f"b{seed}-{k}-{i}" for i in range(n)]
        X["unit"], X["module"] = f"M{seed}{k}-2013J", f"M{seed}{k}"
        level = rng.uniform(-1.5, 1.5)
        X["unit_withdrawn_share"] = 0.15 + 0.1 * level
        X["unit_submit_share"] = rng.uniform(0.8, 0.9)
        X["unit_wscore"] = rng.uniform(55, 75)
        logit = -1.5 * X["wscore"] + level
        X["truth"] = 1 / (1 + np.exp(-logit))
        ys.append((rng.random(n) < X["truth"]).astype(int).to_numpy())
        frames.append(X)
    return pd.concat(frames, ignore_index=True), np.concatenate(ys)


def test_base_rate_of_an_unseen_module_is_recovered_from_presentation_aggregates() -> None:
    X, y = _planted_base_rate()
    new, _ = _planted_base_rate(n_units=4, seed=9)  # four modules never seen in training
    kw = {"max_iter": 40, "base_rate_alpha": 1.0}
    model = OuladRisk(new_module_base_rate=1.0, **kw).fit(X, y)
    plain = OuladRisk(**kw).fit(X, y)
    p, q = model.predict_proba(new)[:, 1], plain.predict_proba(new)[:, 1]
    err_p, err_q = [], []
    for _, idx in new.groupby("unit").indices.items():
        share = new["truth"].iloc[idx].mean()
        err_p.append(abs(p[idx].mean() - share))
        err_q.append(abs(q[idx].mean() - share))
    # with it every new module's share is within 0.04; without, the spread is missed
    assert max(err_p) < 0.04 and max(err_q) > 0.15 and np.mean(err_q) > 2 * np.mean(err_p)
    # presentations of modules seen in training keep their module offset only
    seen = X[X["unit"] == "M03-2013J"]
    np.testing.assert_allclose(model.predict_proba(seen), plain.predict_proba(seen))


def test_presentation_aggregates_use_only_rows_dated_by_the_cutoff(tmp_path: Path) -> None:
    later = {k: [list(r) for r in v] for k, v in FIXTURE.items()}
    # after day 30: student 7 unregisters on day 50, student 8 submits on day 33
    for row in later["studentRegistration"]:
        if row[1:3] == ["2014B", "7"]:
            row[4] = "50"
    later["studentAssessment"].append(["2", "8", "33", "0", "10"])
    a = oulad_frame(tables(tmp_path / "a"), 30)
    b = oulad_frame(tables(tmp_path / "b", later), 30)
    cols = list(BASE_RATE)
    pd.testing.assert_frame_equal(a[cols], b[cols])
    # the withdrawals by the cut-off count: student 8 (gone on day 35) at day 40
    at40 = oulad_frame(tables(tmp_path / "a"), 40).set_index("unit")
    assert at40.loc["XYZ-2014B", "unit_withdrawn_share"] == pytest.approx(0.5)
