"""Saved recommenders: the loaded model answers like the fitted one; anything that
does not match (model, date, data, damaged file) is refused with the reason."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from engine.demo import DemoSpec, generate
from models.artifacts import ArtifactError
from models.recommend import artifacts as rec_artifacts
from models.registry import create

AS_OF = "2026-06-30"


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return generate(DemoSpec(scenario="cadre", orgs=4, seed=5))


@pytest.fixture(scope="module")
def saved(tables, tmp_path_factory) -> tuple[Path, object]:  # noqa: ANN001
    root = tmp_path_factory.mktemp("models")
    model = create("hybrid", max_train_people=300).fit(tables, AS_OF)
    rec_artifacts.save(model, "hybrid", tables, AS_OF, root=root)
    return root, model


def test_loaded_recommender_answers_like_the_fitted_one(tables, saved) -> None:  # noqa: ANN001
    root, model = saved
    loaded, manifest = rec_artifacts.load("hybrid", AS_OF, tables, root=root)
    people = list(model.data_.users[:50]) + ["NEWCOMER"]
    pd.testing.assert_frame_equal(loaded.recommend(people), model.recommend(people))
    assert manifest["params"]["max_train_people"] == 300
    assert manifest["data"]["participations"]["rows"] == len(tables["participations"])


@pytest.mark.parametrize(
    ("name", "as_of", "match"),
    [("skillgap", AS_OF, "no saved recommender"), ("hybrid", "2026-05-31", "fitted as of")],
)
def test_other_model_or_date_is_refused(tables, saved, name, as_of, match) -> None:  # noqa: ANN001
    with pytest.raises(ArtifactError, match=match):
        rec_artifacts.load(name, as_of, tables, root=saved[0])


def test_changed_data_is_refused_even_with_the_same_rows_and_dates(tables, saved) -> None:  # noqa: ANN001
    p = tables["participations"].copy()
    p.loc[p.index[0], "hours"] = p["hours"].iloc[0] + 1  # a correction in place
    with pytest.raises(ArtifactError, match=r"other data \(changed: participations\)"):
        rec_artifacts.load("hybrid", AS_OF, {**tables, "participations": p}, root=saved[0])


def test_damaged_or_foreign_artifacts_are_refused(tables, saved, tmp_path) -> None:  # noqa: ANN001
    import shutil

    root = tmp_path / "m"
    shutil.copytree(saved[0], root)
    model = rec_artifacts.folder_of("hybrid", root) / "model.joblib"
    model.write_bytes(model.read_bytes()[:-10])
    with pytest.raises(ArtifactError, match="does not match its manifest"):
        rec_artifacts.load("hybrid", AS_OF, tables, root=root)
    with pytest.raises(ArtifactError, match="not fitted"):
        rec_artifacts.save(create("popularity"), "popularity", tables, AS_OF, root=root)
