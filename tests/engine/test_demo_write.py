"""Writing large demo datasets without holding them as strings: ``write_demo`` streams coded
tables in chunks and must write exactly what ``write_dataset(generate(spec))`` writes; the
simulation's categorical draw must follow its weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.demo import DemoSpec, generate, write_dataset, write_demo
from engine.demo.__init__ import _generate
from engine.demo.choice import pick_rows
from engine.demo.coded import Coded, Ids, Lookup
from engine.schema import DATASET_TABLES


def _files(folder: Path) -> dict[str, bytes]:
    return {name: (folder / f"{name}.csv").read_bytes() for name in DATASET_TABLES}


@pytest.mark.parametrize("scenario,orgs", [("national", 40), ("cadre", 4)])
def test_streamed_files_equal_the_in_memory_ones(tmp_path: Path, scenario: str, orgs: int) -> None:
    spec = DemoSpec(scenario=scenario, orgs=orgs, seed=5)
    counts = write_demo(spec, tmp_path / "streamed")
    write_dataset(generate(spec), tmp_path / "frames")
    streamed, frames = _files(tmp_path / "streamed"), _files(tmp_path / "frames")
    assert streamed == frames
    assert counts["participations"] > 100
    assert not (tmp_path / "streamed" / "_truth").exists()


def test_chunk_boundaries_do_not_change_the_files(tmp_path: Path) -> None:
    tables = _generate(DemoSpec(scenario="cadre", orgs=3, seed=2), False, with_truth=False)[0]
    assert isinstance(tables["participations"], Coded)
    write_dataset(tables, tmp_path / "small", chunk=37)
    write_dataset(tables, tmp_path / "big", chunk=10**7)
    assert _files(tmp_path / "small") == _files(tmp_path / "big")
    ids = pd.read_csv(tmp_path / "small" / "participations.csv")["participation_id"]
    assert ids.is_unique and ids.iloc[36] == "PA00000037" and ids.iloc[37] == "PA00000038"


def test_coded_table_checks_its_columns() -> None:
    with pytest.raises(ValueError, match="'b' has 2 rows, expected 3"):
        Coded({"a": Ids("X", 3), "b": Lookup.of(["p", "q"], np.array([0, 1]))}, 3)


def test_draw_follows_the_weights_and_skips_empty_rows() -> None:
    rng = np.random.default_rng(0)
    rows = np.array([[0, 1, 3, 0], [0, 0, 0, 0], [5, 0, 0, 5], [0, 0, 0, 2e-7]], np.float32)
    w = np.repeat(rows, 40_000, axis=0)
    col, ok = pick_rows(rng, w)
    kind = np.arange(len(w)) // 40_000
    assert not ok[kind == 1].any() and ok[kind != 1].all()
    share = np.bincount(col[kind == 0], minlength=4) / 40_000
    assert share[0] == share[3] == 0 and abs(share[2] - 0.75) < 0.01
    assert abs(np.mean(col[kind == 2] == 0) - 0.5) < 0.01
    assert (col[kind == 3] == 3).all()
