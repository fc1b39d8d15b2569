"""OULAD leave-one-presentation-out: no presentation is scored by a model that saw it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import experiments.oulad as ex
from tests.engine.test_oulad import FIXTURE, write_fixture


def _three_presentations() -> dict[str, list[list[str]]]:
    """The fixture's two XYZ presentations plus one of a module seen nowhere else."""
    t = {k: [list(r) for r in v] for k, v in FIXTURE.items()}
    t["courses"].append(["ABC", "2014J", "250"])
    t["assessments"].append(["ABC", "2014J", "9", "TMA", "25", "40"])
    for sid, result in (("5", "Pass"), ("6", "Fail")):
        t["studentInfo"].append(
            ["ABC", "2014J", sid, "M", "Wales", "HE", "?", "0-35", "0", "60", "N", result]
        )
        t["studentRegistration"].append(["ABC", "2014J", sid, "-1", "?"])
    t["studentAssessment"].append(["9", "5", "20", "0", "75"])
    return t


class _Const:
    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        return np.tile([0.5, 0.5], (len(frame), 1))


def test_each_presentation_is_scored_by_a_model_that_never_saw_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = write_fixture(tmp_path / "src", _three_presentations())
    trained_on: list[set[str]] = []

    def fake_fit(rows: pd.DataFrame, models, seed, progress=False):  # noqa: ANN001, ANN202
        trained_on.append(set(rows["unit"]))
        return {"risk": _Const()}

    monkeypatch.setattr(ex, "_fit_models", fake_fit)
    models = [{"name": "risk"}, {"name": "rule"}]
    records, preds = ex.lopo([src], cutoffs=[30], models=models, progress=False)
    units = ["ABC-2014J", "XYZ-2014B", "XYZ-2014J"]
    assert sorted(preds["unit"].unique()) == units
    # one fit per held-out presentation, on all the others and never on it
    assert trained_on == [set(units) - {u} for u in units]
    seen = preds.groupby("unit")["seen_module"].first()
    assert not seen["ABC-2014J"] and seen["XYZ-2014B"] and seen["XYZ-2014J"]
    # the rule is untrained: its scores are the frame's own rule score
    rule = preds[preds["model"] == "rule"].set_index("learner")["score"]
    assert rule.between(0, 1).all()
    assert {r["slice"] for r in records} >= {"day30"}


def test_train_days_near_the_cutoffs_or_a_given_window() -> None:
    assert ex.train_days([60, 120]) == list(range(30, 181, 15))
    assert ex.train_days([60, 120], longest=150) == list(range(30, 150, 15))
    assert ex.train_days([60], window=[15, 45]) == [15, 30, 45]


def test_a_config_without_test_data_says_to_use_lopo(tmp_path: Path) -> None:
    src = write_fixture(tmp_path / "src", _three_presentations())
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'task = "risk"\n[data]\nformat = "oulad"\ntrain = ["{src}"]\ntest = []\n')
    with pytest.raises(ValueError, match="--lopo"):
        ex.run_config(cfg, tmp_path / "out", progress=False)
