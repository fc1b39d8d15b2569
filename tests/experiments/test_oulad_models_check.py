"""An OULAD config naming a model the run cannot make fails before any data is read."""

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
