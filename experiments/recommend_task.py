"""The recommend task, read top-down: split → recommend → measure.

1. **Split** (``RecommendContext``): the fold of ``[split]`` (``experiments.splits``:
   temporal or leave-last, ``truth``, ``candidates``) and, for tuning, the same split
   one horizon earlier.
2. **Recommend**: each model is fitted on the fold's training tables and asked for
   ``k`` modules per scored person, through the config's ``[filters]`` — plus, with
   ``candidates = "offered"``, every module not offered in the window excluded.
3. **Measure** (``experiments.metrics``): ranking metrics per slice — ``all``, ``warm``
   (a participation before the cut), ``cold`` — and each person's ``ndcg@k`` for the
   paired comparisons the report makes (``experiments.significance``).
   ``admissible``: prerequisites completed, not already completed, and (candidates =
   offered) offered in the window.

Seeds: a model with a ``random_state`` parameter is fitted once per seed; a
deterministic model once, its figures repeated for every seed (so the interval over
seeds is honest: zero width).

Tuning: each model's grid (``DEFAULT_GRIDS``, or ``grid = {...}`` in its ``[[models]]``
table) is searched on the validation fold — the same split one horizon before the test
cut, inside the training data — by ``ndcg@k`` (slice ``all``) with the first seed; the
best parameters (ties: the first in grid order) are then fitted on the whole training
data and scored once on the test fold.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from experiments.config import ExperimentConfig, ModelConfig
from experiments.metrics import RankingTruth
from experiments.results import ModelResult, build, records, seeded
from experiments.splits import RecommendFold, leave_last, temporal, validation_fold
from features.asof import Tables
from models.recommend.data import build_interactions
from models.recommend.filters import Filters, admissible

#: ``new``: the test pairs whose module nobody had taken before the cut (no
#: participation of any status in the training data), and the people who chose one —
#: how well a model ranks the renewed catalogue (the lists are the full ones)
SLICES = ("all", "warm", "cold", "new")

#: Small tuning grids, searched on the validation cut (see the module docstring).
DEFAULT_GRIDS: dict[str, dict[str, list[Any]]] = {
    "popularity": {"window_days": [None, 90, 365]},
    "ease": {"l2": [50.0, 200.0, 1000.0, 5000.0]},
    "implicit-als": {"factors": [16, 32, 64], "regularization": [0.1, 1.0], "alpha": [1.0, 3.0]},
    "implicit-bpr": {"factors": [32, 64], "learning_rate": [0.003, 0.01]},
    "implicit-cosine": {"K": [5, 10, 20, 50]},
}


class RecommendContext:
    """The split of one run and what scoring against it needs, built once."""

    def __init__(self, cfg: ExperimentConfig, tables: Tables, truth: object) -> None:
        self.cfg, self.truth = cfg, truth
        split = cfg.split
        self.horizon = split.get("horizon_days")
        self.truth_kind = split.get("truth", "completed")
        self.candidates = split.get("candidates", "all")
        if split.get("kind", "temporal") == "leave_last":
            self.fold = leave_last(tables, truth=self.truth_kind)
        else:
            self.fold = temporal(
                tables,
                split["cut"],
                self.horizon,
                truth=self.truth_kind,
                candidates=self.candidates,
            )
        f = dict(cfg.filters)
        for key in ("modes", "tiers"):
            if f.get(key) is not None:
                f[key] = tuple(f[key])
        self.filters = Filters(**f)
        self.catalogue = frozenset(tables["modules"]["module_id"].astype(str))
        self.n_catalogue = len(self.catalogue)
        self._val: RecommendFold | None = None
        self._adm: dict[str, Callable[[pd.DataFrame], np.ndarray]] = {}
        self._truth: dict[tuple[str, str], RankingTruth] = {}

    def describe(self) -> dict[str, object]:
        f = self.fold
        warm = len(f.slice_people("warm"))
        out: dict[str, object] = {
            "people scored": f"{len(f.people):,} ({warm:,} warm, {len(f.people) - warm:,} cold)",
            "test pairs": f"{len(f.test):,} (truth = {self.truth_kind})",
            "catalogue": f"{self.n_catalogue:,} modules",
            "filters": self.filters,
        }
        if f.offered is not None:
            share = f.test["module_id"].isin(f.offered).mean()
            out["candidates"] = (
                f"offered in the window: {len(f.offered):,} modules "
                f"({share:.1%} of test pairs are among them)"
            )
        if f.person_as_of is None:
            out["training data end"] = f.as_of.date().isoformat()
            if self._val is not None:
                out["validation cut"] = (self._val.as_of + pd.Timedelta(days=1)).date().isoformat()
        return out

    @property
    def validation(self) -> RecommendFold:
        if self._val is None:
            self._val = validation_fold(self.fold, self.horizon, self.truth_kind, self.candidates)
        return self._val

    def filters_of(self, fold: RecommendFold) -> Filters:
        """The config's filters; with offered candidates, the rest of the catalogue out."""
        if fold.offered is None:
            return self.filters
        out = self.catalogue - fold.offered
        return replace(self.filters, exclude_modules=frozenset(self.filters.exclude_modules | out))

    def admissible_of(self, fold: RecommendFold) -> Callable[[pd.DataFrame], np.ndarray]:
        """recs → bool per row: prerequisites done, not yet completed (training data)
        and, with offered candidates, offered in the window."""
        if fold.name not in self._adm:
            data = build_interactions(fold.train)
            people = pd.Index(fold.people)
            adm = admissible(data.history(data.rows(people)), data.prereq)
            if fold.offered is not None:
                adm &= data.items.isin(list(fold.offered))[None, :]

            def check(recs: pd.DataFrame) -> np.ndarray:
                r = people.get_indexer(recs["staff_id"])
                c = data.items.get_indexer(recs["module_id"])
                ok = (r >= 0) & (c >= 0)
                out = np.zeros(len(recs), bool)
                out[ok] = adm[r[ok], c[ok]]
                return out

            self._adm[fold.name] = check
        return self._adm[fold.name]

    def truth_of(self, fold: RecommendFold, slice_: str = "all") -> RankingTruth:
        """The fold's test pairs of one slice, indexed once for every model."""
        key = (fold.name, slice_)
        if key not in self._truth:
            self._truth[key] = RankingTruth(self._slice_test(fold, slice_), self.cfg.k)
        return self._truth[key]

    def _slice_test(self, fold: RecommendFold, slice_: str) -> pd.DataFrame:
        if slice_ == "new":
            taken = set(fold.train["participations"]["module_id"].astype(str))
            return fold.test[~fold.test["module_id"].astype(str).isin(taken)]
        who = set(fold.slice_people(slice_))
        return fold.test[fold.test["staff_id"].isin(who)]

    def _slice_people(self, fold: RecommendFold, slice_: str) -> list[str]:
        if slice_ == "new":
            return sorted(self._slice_test(fold, "new")["staff_id"].unique())
        return fold.slice_people(slice_)

    def recommend(self, est: Any, fold: RecommendFold) -> pd.DataFrame:
        """Fit ``est`` on the fold's training data; its lists for the scored people."""
        # a leave-last fold's tables are already cut per person (``person_as_of``)
        as_of = None if fold.person_as_of is not None else fold.as_of
        est.fit(fold.train, as_of, person_as_of=fold.person_as_of)
        return est.recommend(fold.people, k=self.cfg.k, filters=self.filters_of(fold))

    def measure(
        self, recs: pd.DataFrame, fold: RecommendFold
    ) -> tuple[dict[str, dict[str, float]], pd.Series]:
        """Metrics per non-empty slice, and each scored person's ``ndcg@k``."""
        adm = self.admissible_of(fold)(recs)
        out = {}
        for name in SLICES:
            who = self._slice_people(fold, name)
            if not who:
                continue
            mine = recs["staff_id"].isin(who).to_numpy()
            out[name] = self.truth_of(fold, name).score(recs[mine], self.n_catalogue, adm[mine])
        return out, self.truth_of(fold).person_ndcg(recs)

    def score(self, est: Any, fold: RecommendFold) -> dict[str, float]:
        """Slice ``all`` of fitting, recommending and measuring ``est`` on ``fold``."""
        return self.measure(self.recommend(est, fold), fold)[0]["all"]


def _grid(m: ModelConfig, cfg: ExperimentConfig) -> list[dict[str, Any]]:
    grid = m.grid if m.grid is not None else DEFAULT_GRIDS.get(m.name)
    if not cfg.tune or not grid:
        return []
    keys = sorted(grid)
    return [
        dict(zip(keys, combo, strict=True)) for combo in itertools.product(*(grid[k] for k in keys))
    ]


def run_recommend_model(ctx: RecommendContext, m: ModelConfig, bar: Any) -> ModelResult:
    """Tune (validation fold), then split → recommend → measure once per seed."""
    cfg = ctx.cfg
    params = dict(m.params)
    tuning = []
    combos = _grid(m, cfg)
    bar.total = len(combos) + len(cfg.seeds)
    bar.refresh()
    if combos:
        best, best_score = None, -np.inf
        for combo in combos:
            est = build(m.name, "recommend", {**params, **combo}, cfg.seeds[0], ctx.truth)
            score = ctx.score(est, ctx.validation)[f"ndcg@{cfg.k}"]
            tuning.append({"params": combo, f"validation ndcg@{cfg.k}": score})
            if score > best_score:
                best, best_score = combo, score
            bar.update()
        params = {**params, **best}
    out: list[dict] = []
    people: list[pd.Series] = []
    first: tuple[dict[str, dict[str, float]], pd.Series] | None = None
    for seed in cfg.seeds:
        est = build(m.name, "recommend", params, seed, ctx.truth)
        if first is None or seeded(est):
            first = ctx.measure(ctx.recommend(est, ctx.fold), ctx.fold)
            people.append(first[1])
        for name, metrics in first[0].items():
            out += records(m.label, seed, metrics, name)
        bar.update()
    mean = pd.concat(people, axis=1).mean(axis=1).rename(f"ndcg@{cfg.k}")
    return ModelResult(m.label, m.name, params, out, tuning=tuning, people=mean)
