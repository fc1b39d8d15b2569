"""The configs shipped under experiments/configs/ parse and run end to end (on a
shrunken copy of their demo data, so the test stays fast)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

import engine.demo
from experiments import run_experiment
from experiments.config import load_config, parse_config
from models.registry import available

CONFIGS = sorted((Path(__file__).resolve().parents[2] / "experiments" / "configs").glob("*.toml"))
SHRINK = {"national": 60, "cadre": 8}


def test_configs_are_shipped() -> None:
    names = {p.stem for p in CONFIGS}
    assert {"recommend-cadre", "risk-national"} <= names


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_shipped_config_names_known_models(path: Path) -> None:
    cfg = load_config(path)
    for m in cfg.models:
        assert m.name in available(cfg.task), m.name


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_shipped_config_runs_end_to_end(path: Path, tmp_path: Path) -> None:
    cfg = load_config(path)
    if "demo" not in cfg.data:  # a dataset on disk (OULAD: tests/models/test_risk_oulad.py)
        pytest.skip(f"{path.name} reads {cfg.data.get('format', 'a dataset')} files, not demo data")
    scenario = cfg.data.get("demo", {}).get("scenario", "national")
    if not hasattr(engine.demo, "generate_with_truth"):
        pytest.skip("needs the demo generator's truth and scenarios (demo2)")
    raw = copy.deepcopy(cfg.resolved())
    raw["data"]["demo"]["orgs"] = SHRINK[scenario]
    raw["seeds"] = raw["seeds"][:1]
    for m in raw["models"]:
        m.update(m.pop("params"))
        if m["grid"] is None:
            m.pop("grid")
        else:
            m["grid"] = {k: v[:1] for k, v in m["grid"].items()}
    metrics = run_experiment(parse_config(raw, str(path)), out=tmp_path / "run")
    # the organization slice adds "<model>/independent" baselines (experiments.org_eval)
    staff = metrics[metrics["slice"] != "org"]
    assert set(staff["model"]) == {m.label for m in cfg.models} or cfg.task == "effect"
    assert (tmp_path / "run" / "report.md").exists()
