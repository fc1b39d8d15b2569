"""An OULAD config the run cannot carry out fails plainly, before reading data or writing."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import experiments.oulad as ex
from engine.errors import LearnmapError


@pytest.mark.parametrize(("name", "says"), [("oracle", "truth"), ("lightfm", "unknown")])
def test_an_impossible_model_is_refused_before_reading_or_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, says: str
) -> None:
    def no_read(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise AssertionError("data was read before the models were checked")

    monkeypatch.setattr(ex, "load_oulad", no_read)
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        'task = "risk"\n[data]\nformat = "oulad"\ntrain = ["a"]\ntest = ["b"]\n'
        f'[[models]]\nname = "risk"\n[[models]]\nname = "{name}"\n'
    )
    with pytest.raises(ValueError, match=says) as err:
        ex.run_config(cfg, tmp_path / "out", progress=False)
    assert str(cfg) in str(err.value) and name in str(err.value)
    assert not (tmp_path / "out").exists()


def test_a_missing_data_directory_is_a_plain_cli_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from engine.cli import main

    cfg = tmp_path / "c.toml"
    cfg.write_text(
        'task = "risk"\n[data]\nformat = "oulad"\n'
        f'train = ["{tmp_path}"]\ntest = ["no-such-oulad-dir"]\n[[models]]\nname = "rule"\n'
    )
    code = main(["experiment", "run", str(cfg), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert "no-such-oulad-dir" in err and "not found" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def _config(tmp_path: Path, train: str, test: str, split: str = "") -> Path:
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        f'task = "risk"\nseeds = [0, 1]\n[data]\nformat = "oulad"\ntrain = ["{train}"]\n'
        f'test = [{test}]\n[split]\ncutoffs = [30]\n{split}[[models]]\nname = "rule"\n'
    )
    return cfg


def test_an_oulad_run_writes_what_every_experiment_writes(tmp_path: Path) -> None:
    from experiments import run_experiment
    from tests.engine.test_oulad import FIXTURE, write_fixture

    src = write_fixture(tmp_path / "src", FIXTURE)
    out = tmp_path / "run"
    metrics = run_experiment(_config(tmp_path, f"{src}#2014B", f'"{src}#2014J"'), out=out)
    for name in ("config.toml", "config.json", "environment.json", "metrics.json", "report.md",
                 "predictions.csv", "presentations.csv", "reliability.png"):  # fmt: skip
        assert (out / name).exists(), name
    records = json.loads((out / "metrics.json").read_text())
    assert {r["seed"] for r in records} == {0, 1, "mean"}
    assert {r["slice"] for r in records} == {"day30"}
    assert set(metrics["seed"]) == {0, 1, "mean"}
    preds = pd.read_csv(out / "predictions.csv")
    assert list(preds.columns)[:6] == ["model", "slice", "unit", "learner", "score", "label"]
    assert set(preds["unit"]) == {"XYZ-2014J"}
    assert "## day30" in (out / "report.md").read_text()


def test_lopo_from_the_config_and_data_found_through_the_data_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from experiments import run_experiment
    from tests.engine.test_oulad import FIXTURE, write_fixture

    write_fixture(tmp_path / "root" / "shared" / "oulad-x", FIXTURE)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    cfg = _config(elsewhere, "../shared/oulad-x", "", 'kind = "lopo"\n')
    with pytest.raises(LearnmapError, match="LEARNMAP_DATA_PATH"):
        run_experiment(cfg, out=elsewhere / "run")
    monkeypatch.setenv("LEARNMAP_DATA_PATH", str(tmp_path / "root"))
    run_experiment(cfg, out=elsewhere / "run")
    preds = pd.read_csv(elsewhere / "run" / "predictions.csv")
    # each training presentation is scored once, by leaving it out
    assert set(preds["unit"]) == {"XYZ-2014B", "XYZ-2014J"}
