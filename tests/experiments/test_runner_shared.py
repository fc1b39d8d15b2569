"""The harness's shared preparation (one as-of view, completion matrix and indexed
test set per fold, reused by every model) gives the same figures as fitting and
scoring each model from scratch."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

import experiments.recommend_task as recommend_task
import experiments.runner as runner
from experiments import run_experiment
from experiments.metrics import ranking_metrics
from features.asof import tables_as_of
from features.shared import shared_preparation
from models.recommend.data import build_interactions

MODELS = [
    {"name": "popularity", "grid": {"window_days": [None, 90]}},
    {"name": "itemknn", "grid": {"k": [3, 10]}},
    {"name": "ease", "grid": {"l2": [10.0, 100.0]}},
    {"name": "hybrid", "max_train_people": 300},
    {"name": "implicit-als", "iterations": 3, "grid": {"factors": [4, 8]}},
    {"name": "implicit-cosine", "grid": {"K": [5, 10]}},
]


def test_shared_run_equals_the_direct_path(
    monkeypatch: pytest.MonkeyPatch, small_dir: Path
) -> None:
    cfg = {
        "task": "recommend",
        "seeds": [0],
        "data": {"path": str(small_dir)},
        "split": {"cut": "2026-03-01", "horizon_days": 120},
        "models": MODELS,
    }
    shared = run_experiment(cfg)

    class Direct(recommend_task.RecommendContext):
        def recommend(self, est, fold):  # noqa: ANN001, ANN202 - the pre-sharing path
            est.fit(fold.train, fold.as_of)
            return est.recommend(fold.people, k=self.cfg.k, filters=self.filters)

        def measure(self, recs, fold):  # noqa: ANN001, ANN202 - metrics from scratch
            adm = self.admissible_of(fold)(recs)
            out = {}
            taken = set(fold.train["participations"]["module_id"])
            for name in ("all", "warm", "cold", "new"):
                test = fold.test[fold.test["staff_id"].isin(fold.slice_people(name))]
                if name == "new":  # modules nobody had taken before the cut
                    test = fold.test[~fold.test["module_id"].isin(taken)]
                who = sorted(test["staff_id"].unique())
                if who:
                    mine = recs["staff_id"].isin(who).to_numpy()
                    out[name] = ranking_metrics(
                        recs[mine], test, self.cfg.k, self.n_catalogue, adm[mine]
                    )
            return out, self.truth_of(fold).person_ndcg(recs)

    monkeypatch.setattr(runner, "shared_preparation", contextlib.nullcontext)
    monkeypatch.setattr(runner, "RecommendContext", Direct)
    direct = run_experiment(cfg)
    n_slices = shared["slice"].nunique()
    assert len(shared) == len(direct) == len(MODELS) * 7 * 2 * n_slices
    assert shared["value"].tolist() == pytest.approx(direct["value"].tolist(), rel=1e-12)


def test_shared_preparation_reuses_by_identity_and_is_idempotent(small_tables: dict) -> None:
    with shared_preparation():
        a = tables_as_of(small_tables, "2026-01-31")
        assert tables_as_of(small_tables, "2026-01-31") is a
        assert tables_as_of(a, "2026-01-31") is a  # already as of that date
        assert build_interactions(a) is build_interactions(a)
        copy = {name: frame.copy() for name, frame in a.items()}
        assert build_interactions(copy) is not build_interactions(a)
    fresh = tables_as_of(small_tables, "2026-01-31")
    assert fresh is not a  # outside the context nothing is kept
    for name, frame in fresh.items():
        assert frame.equals(a[name]), name
    x, y = build_interactions(fresh), build_interactions(a)
    assert (x.matrix != y.matrix).nnz == 0 and list(x.users) == list(y.users)
