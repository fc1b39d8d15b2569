"""``learnmap recommend`` fits once and reuses: the second question about the same
store, date and policy is answered from the saved model, not a refit; other data or
another policy is refitted (a stale model would ignore new records)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from engine.cli import main
from models.recommend.base import Recommender


def _ask(args: list[str], capsys: pytest.CaptureFixture) -> pd.DataFrame:
    assert main([*args, "--json"]) == 0
    return pd.DataFrame(json.loads(capsys.readouterr().out))


def test_second_recommend_reuses_the_fitted_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("LEARNMAP_DATABASE_URL", f"sqlite:///{tmp_path / 'r.db'}")
    models = tmp_path / "models"
    monkeypatch.setenv("LEARNMAP_MODEL_DIR", str(models))
    assert main(["ingest", str(small_dir)]) == 0
    capsys.readouterr()
    staff = pd.read_csv(small_dir / "staff.csv")["staff_id"].astype(str)
    args = ["recommend", staff.iloc[0], "--as-of", "2026-06-30", "--model", "skillgap", "--k", "5"]
    first = _ask(args, capsys)
    assert (models / "recommender-skillgap" / "model.joblib").exists()

    def refit(self, *a, **k):  # noqa: ANN001, ANN002, ANN003, ANN202
        raise AssertionError("refitted")

    monkeypatch.setattr(Recommender, "fit", refit)
    again = _ask(args, capsys)  # same store, date and policy: no fit
    pd.testing.assert_frame_equal(again, first)
    other = _ask(["recommend", staff.iloc[1], *args[2:]], capsys)  # another person too
    assert len(other) == 5
    with pytest.raises(AssertionError, match="refitted"):  # another policy
        main([*args, "--policy", "none", "--json"])
    with pytest.raises(AssertionError, match="refitted"):  # another date
        main([*args[:3], "2026-05-31", *args[4:], "--json"])
