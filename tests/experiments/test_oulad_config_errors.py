"""An OULAD config the run cannot carry out fails plainly, before reading data or writing."""

from __future__ import annotations

from pathlib import Path

import pytest

import experiments.oulad as ex


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
