"""The oracle hands the truth each block's own history: the same answers as the full table."""

from __future__ import annotations

import numpy as np
import pandas as pd

import models.recommend.base as base
from engine.demo import DemoSpec, generate_with_truth
from experiments.oracle import OracleRecommender
from features.asof import tables_as_of

AS_OF = "2026-06-30"


class FullTable(OracleRecommender):
    """The direct path: every block's call sees every participation."""

    def _scores(self, batch):  # noqa: ANN001, ANN202
        out = np.zeros((len(batch.staff_ids), len(self.data_.items)))
        pos = pd.Index(batch.staff_ids)
        p = self.truth.choice_probabilities(
            self.participations_, self.as_of_, staff_ids=list(batch.staff_ids)
        )
        r = pos.get_indexer(p["staff_id"].astype(str))
        c = self.data_.items.get_indexer(p["module_id"].astype(str))
        out[r, c] = p["p"].to_numpy(dtype=float)
        return out


def test_block_history_gives_the_full_table_answer(monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(base, "_CHUNK", 7)  # many blocks
    tables, truth = generate_with_truth(DemoSpec(scenario="cadre", orgs=4, seed=2))
    train = tables_as_of(tables, AS_OF)
    people = list(train["staff"]["staff_id"].astype(str))
    fast = OracleRecommender(truth).fit(train, AS_OF).recommend(people, k=10)
    slow = FullTable(truth).fit(train, AS_OF).recommend(people, k=10)
    assert len(fast) >= 10 * len(people) // 2
    pd.testing.assert_frame_equal(fast, slow)
