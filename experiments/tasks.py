"""The three tasks, each: split → fit → predict → measure, one model at a time.

Each ``run_*`` yields one ``ModelResult`` per ``[[models]]`` entry; the runner caches
them per model so an interrupted run resumes where it stopped.

Seeds: a model with a ``random_state`` parameter is fitted once per seed; a
deterministic model is fitted once and its figures repeated for every seed (so the
interval over seeds is honest: zero width).  For risk models that learn from labels
the seed also draws the organization folds.

Tuning (recommend): each model's grid (``DEFAULT_GRIDS``, or ``grid = {...}`` in its
``[[models]]`` table) is searched on the validation fold — the same split one
horizon before the test cut, inside the training data — by ``ndcg@k`` with the first
seed; the best parameters (ties: the first in grid order) are then fitted on the
whole training data and scored once on the test fold.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from engine.errors import LearnmapError
from engine.policy import load_policy
from experiments.config import ExperimentConfig, ModelConfig
from experiments.metrics import RankingTruth, gains, risk_metrics
from experiments.splits import (
    RecommendFold,
    RiskFold,
    group_folds,
    leave_last,
    risk_backtest,
    temporal,
    validation_fold,
)
from features.asof import Tables
from models.recommend.data import build_interactions
from models.recommend.filters import Filters, admissible
from models.registry import create

log = logging.getLogger(__name__)

#: Small tuning grids, searched on the validation cut (see the module docstring).
DEFAULT_GRIDS: dict[str, dict[str, list[Any]]] = {
    "popularity": {"window_days": [None, 90, 365]},
    "ease": {"l2": [50.0, 200.0, 1000.0, 5000.0]},
    "implicit-als": {"factors": [16, 32, 64], "regularization": [0.1, 1.0], "alpha": [1.0, 3.0]},
    "implicit-bpr": {"factors": [32, 64], "learning_rate": [0.003, 0.01]},
    "implicit-cosine": {"K": [5, 10, 20, 50]},
}


@dataclass
class ModelResult:
    label: str
    name: str
    params: dict[str, Any]
    records: list[dict[str, Any]]
    predictions: pd.DataFrame | None = None
    tuning: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0


def _build(name: str, task: str, params: dict[str, Any], seed: int | None, truth: object) -> object:
    est = create(name, task, **params)
    if hasattr(est, "truth"):
        est.truth = truth
    if seed is not None and hasattr(est, "random_state"):
        est.random_state = seed
    return est


def _seeded(est: object) -> bool:
    return hasattr(est, "random_state")


def _records(label: str, seed: int, metrics: dict[str, float], slice_: str = "all") -> list[dict]:
    return [
        {"model": label, "metric": k, "value": v, "seed": seed, "slice": slice_}
        for k, v in metrics.items()
    ]


# -- recommend ----------------------------------------------------------------------
class RecommendContext:
    def __init__(self, cfg: ExperimentConfig, tables: Tables, truth: object) -> None:
        self.cfg, self.truth = cfg, truth
        kind = cfg.split.get("kind", "temporal")
        self.horizon = cfg.split.get("horizon_days")
        if kind == "leave_last":
            self.fold = leave_last(tables)
        else:
            self.fold = temporal(tables, cfg.split["cut"], self.horizon)
        f = dict(cfg.filters)
        for key in ("modes", "tiers"):
            if f.get(key) is not None:
                f[key] = tuple(f[key])
        self.filters = Filters(**f)
        self.n_catalogue = len(tables["modules"])
        self._val: RecommendFold | None = None
        self._adm: dict[str, Callable[[pd.DataFrame], np.ndarray]] = {}
        self._truth: dict[str, RankingTruth] = {}

    def describe(self) -> dict[str, object]:
        f = self.fold
        out: dict[str, object] = {
            "people scored": f"{len(f.people):,}",
            "test pairs": f"{len(f.test):,}",
            "catalogue": f"{self.n_catalogue:,} modules",
            "filters": self.filters,
        }
        if f.person_as_of is None:
            out["training data end"] = f.as_of.date().isoformat()
            if self._val is not None:
                out["validation cut"] = (self._val.as_of + pd.Timedelta(days=1)).date().isoformat()
        return out

    @property
    def validation(self) -> RecommendFold:
        if self._val is None:
            self._val = validation_fold(self.fold, self.horizon)
        return self._val

    def admissible_of(self, fold: RecommendFold) -> Callable[[pd.DataFrame], np.ndarray]:
        """recs → bool per row: prerequisites done and not yet completed (training data)."""
        if fold.name not in self._adm:
            data = build_interactions(fold.train)
            people = pd.Index(fold.people)
            adm = admissible(data.history(data.rows(people)), data.prereq)

            def check(recs: pd.DataFrame) -> np.ndarray:
                r = people.get_indexer(recs["staff_id"])
                c = data.items.get_indexer(recs["module_id"])
                ok = (r >= 0) & (c >= 0)
                out = np.zeros(len(recs), bool)
                out[ok] = adm[r[ok], c[ok]]
                return out

            self._adm[fold.name] = check
        return self._adm[fold.name]

    def score(self, est: Any, fold: RecommendFold) -> dict[str, float]:
        if fold.person_as_of is not None:
            kw = {"person_as_of": fold.person_as_of} if hasattr(est, "truth") else {}
            est.fit(fold.train, None, **kw)
        else:
            est.fit(fold.train, fold.as_of)
        recs = est.recommend(fold.people, k=self.cfg.k, filters=self.filters)
        return self.truth_of(fold).score(recs, self.n_catalogue, self.admissible_of(fold)(recs))

    def truth_of(self, fold: RecommendFold) -> RankingTruth:
        """The fold's test pairs, indexed once for every model scored on it."""
        if fold.name not in self._truth:
            self._truth[fold.name] = RankingTruth(fold.test, self.cfg.k)
        return self._truth[fold.name]


def _grid(m: ModelConfig, cfg: ExperimentConfig) -> list[dict[str, Any]]:
    grid = m.grid if m.grid is not None else DEFAULT_GRIDS.get(m.name)
    if not cfg.tune or not grid:
        return []
    keys = sorted(grid)
    return [
        dict(zip(keys, combo, strict=True)) for combo in itertools.product(*(grid[k] for k in keys))
    ]


def run_recommend_model(ctx: RecommendContext, m: ModelConfig, bar: Any) -> ModelResult:
    cfg = ctx.cfg
    params = dict(m.params)
    tuning = []
    combos = _grid(m, cfg)
    bar.total = len(combos) + len(cfg.seeds)
    bar.refresh()
    if combos:
        best, best_score = None, -np.inf
        for combo in combos:
            trial = {**params, **combo}
            est = _build(m.name, "recommend", trial, cfg.seeds[0], ctx.truth)
            score = ctx.score(est, ctx.validation)[f"ndcg@{cfg.k}"]
            tuning.append({"params": combo, f"validation ndcg@{cfg.k}": score})
            if score > best_score:
                best, best_score = combo, score
            bar.update()
        params = {**params, **best}
    records: list[dict] = []
    first: dict[str, float] | None = None
    for seed in cfg.seeds:
        est = _build(m.name, "recommend", params, seed, ctx.truth)
        if first is None or _seeded(est):
            first = ctx.score(est, ctx.fold)
        records += _records(m.label, seed, first)
        bar.update()
    return ModelResult(m.label, m.name, params, records, tuning=tuning)


# -- risk ---------------------------------------------------------------------------
class RiskContext:
    def __init__(self, cfg: ExperimentConfig, tables: Tables, truth: object) -> None:
        self.cfg, self.truth = cfg, truth
        policy = load_policy(cfg.split.get("policy", "national-2025"))
        self.fold: RiskFold = risk_backtest(
            tables, cfg.split["as_of"], policy, cfg.split.get("deadline")
        )
        self.units = self.fold.labels["org_id"].astype(str).to_numpy()
        self.y = self.fold.labels["label"].to_numpy()

    def describe(self) -> dict[str, object]:
        return {
            "people scored": f"{len(self.y):,} (employed on as_of, requirement not yet met"
            + (
                f", deadline {self.cfg.split['deadline']})"
                if self.cfg.split.get("deadline")
                else ")"
            ),
            "organizations": f"{len(set(self.units)):,} (label-trained models: {self.cfg.folds} org folds)",
            "positives (miss the requirement)": f"{self.y.mean():.3f}",
        }


def _risk_estimator(
    name: str, params: dict[str, Any], truth: object, seed: int | None = None
) -> Any:
    from experiments.risk_models import StaffRiskAdapter

    est = _build(name, "risk", params, seed, truth)
    return est if hasattr(est, "predict_fold") else StaffRiskAdapter(est)


def run_risk_model(ctx: RiskContext, m: ModelConfig, bar: Any) -> ModelResult:
    cfg, fold = ctx.cfg, ctx.fold
    est = _risk_estimator(m.name, m.params, ctx.truth)
    labelled = getattr(est, "needs_labels", False)
    bar.total = len(cfg.seeds) * (cfg.folds if labelled else 1)  # one tick per fit
    bar.refresh()
    records, preds = [], []
    once: np.ndarray | None = None
    for seed in cfg.seeds:
        if labelled:
            folds = group_folds(ctx.units, cfg.folds, seed)
            p = np.empty(len(ctx.y))
            for k in range(cfg.folds):
                fitted = _risk_estimator(m.name, m.params, ctx.truth).fit_fold(fold, folds != k)
                p[folds == k] = fitted.predict_fold(fold)[folds == k]
                bar.update()
        else:  # learns without our labels: once, or once per seed if it has a random_state
            inner = getattr(est, "model", est)
            if once is None or _seeded(inner):
                est = _risk_estimator(m.name, m.params, ctx.truth, seed)
                once = np.asarray(est.predict_fold(fold), dtype=float)
            bar.update()
            p = once
        records += _records(m.label, seed, risk_metrics(ctx.y, p, ctx.units))
        preds.append(
            pd.DataFrame(
                {
                    "model": m.label,
                    "slice": "all",
                    "unit": ctx.units,
                    "learner": fold.labels["staff_id"].astype(str).to_numpy(),
                    "score": p,
                    "label": ctx.y,
                    "seed": seed,
                }
            )
        )
    return ModelResult(
        m.label, m.name, dict(m.params), records, pd.concat(preds, ignore_index=True)
    )


# -- effect -------------------------------------------------------------------------
def run_effect(cfg: ExperimentConfig, tables: Tables, bar: Any) -> ModelResult:
    """Per-module gains with bootstrap intervals (model ``observed``; slice = module)."""
    out = tables["outcomes"]
    bar.total = len(cfg.seeds)
    records = []
    for seed in cfg.seeds:
        g = gains(out, seed)
        for row in g.to_dict("records"):
            metrics = {k: v for k, v in row.items() if k != "module_id"}
            records += _records("observed", seed, metrics, str(row["module_id"]))
        pooled = gains(out.assign(module_id="all"), seed).iloc[0].to_dict()
        records += _records(
            "observed", seed, {k: v for k, v in pooled.items() if k != "module_id"}, "all"
        )
        bar.update()
    return ModelResult("observed", "observed", {}, records)


def iter_models(cfg: ExperimentConfig) -> Iterator[ModelConfig]:
    if cfg.task == "effect":
        yield ModelConfig("observed", "observed")
        return
    yield from cfg.models


def check_models(cfg: ExperimentConfig) -> None:
    """Fail before any work if a model is unknown or its optional package is missing."""
    for m in cfg.models:
        try:
            create(m.name, cfg.task, **m.params)
        except LearnmapError as exc:
            raise LearnmapError(f"{cfg.source}: [[models]] {m.label}: {exc}") from exc
