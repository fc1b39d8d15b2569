"""The risk and effect tasks (the recommend task: ``experiments.recommend_task``).

Each ``run_*`` yields one ``ModelResult`` per ``[[models]]`` entry; the runner caches
them per model so an interrupted run resumes where it stopped.

Seeds: a model with a ``random_state`` parameter is fitted once per seed; a
deterministic model is fitted once and its figures repeated for every seed (so the
interval over seeds is honest: zero width).  For risk models that learn from labels
the seed also draws the organization folds.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from engine.errors import LearnmapError
from engine.policy import load_policy
from experiments.config import ExperimentConfig, ModelConfig
from experiments.metrics import gains, risk_metrics
from experiments.org_eval import group_frame, group_metrics, org_frame, org_metrics
from experiments.results import ModelResult, instance, records, seeded
from experiments.splits import RiskFold, group_folds, risk_backtest
from features.asof import Tables
from models.registry import create
from models.risk.org import unit_share

log = logging.getLogger(__name__)


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
        # organization and per-group evaluation (experiments.org_eval)
        share = cfg.split.get("org_share", unit_share(policy))
        self.org_share = float(share) if share is not None else 1 / 3
        self.groups = group_frame(self.fold.labels, self.fold.status, tables["organizations"])

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
            "organization slice": f"`org`: P(at least {self.org_share:.3g} of the cohort "
            "misses) per organization (p_unit_rule) and the expected number missing "
            "(experiments.org_eval)",
        }


def run_risk_model(ctx: RiskContext, m: ModelConfig, bar: Any) -> ModelResult:
    """Models that learn from labels (``learns_from_labels``, ``models.risk.base``) are
    fitted on some organizations' labels (the others' marked −1: unknown) and score the
    others, fold by fold; the rest are fitted once per seed (or once, without a
    ``random_state``) and score everyone."""
    cfg, fold = ctx.cfg, ctx.fold
    proto = create(m.name, "risk", **m.params)
    labelled = bool(proto.learns_from_labels)  # type: ignore[attr-defined]
    bar.total = len(cfg.seeds) * (cfg.folds if labelled else 1)  # one tick per fit
    bar.refresh()
    ids = pd.Index(fold.labels["staff_id"].astype(str), dtype=object)
    rows, preds = [], []
    once: np.ndarray | None = None
    sigma = 0.0
    for seed in cfg.seeds:
        if labelled:
            folds = group_folds(ctx.units, cfg.folds, seed)
            p = np.empty(len(ctx.y))
            for k in range(cfg.folds):
                y = pd.Series(np.where(folds != k, ctx.y, -1), index=ids)
                est = instance(proto, None, ctx.truth).fit(fold.train, fold.as_of, fold.policy, y=y)
                held = ids[folds == k]
                p[folds == k] = est.predict(fold.train, fold.as_of, held)["p_miss"].to_numpy(float)
                bar.update()
        else:  # learns without our labels: once, or once per seed if it has a random_state
            if once is None or seeded(proto):
                est = instance(proto, seed, ctx.truth).fit(fold.train, fold.as_of, fold.policy)
                once = est.predict(fold.train, fold.as_of, ids)["p_miss"].to_numpy(float)
                sigma = float(getattr(est, "unit_sigma_", 0.0))
            bar.update()
            p = once
        rows += records(m.label, seed, risk_metrics(ctx.y, p, ctx.units))
        for name, s in [(m.label, sigma)] + ([(f"{m.label}/independent", 0.0)] if sigma else []):
            rows_org, pred_org = _org_records(ctx, name, seed, p, s)
            rows += rows_org
            preds.append(pred_org)
        for name, values in group_metrics(ctx.groups, ctx.y, p).items():
            rows += records(m.label, seed, values, name)
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
    return ModelResult(m.label, m.name, dict(m.params), rows, pd.concat(preds, ignore_index=True))


def _org_records(
    ctx: RiskContext, label: str, seed: int, p: np.ndarray, sigma: float = 0.0
) -> tuple[list[dict], pd.DataFrame]:
    """``slice = "org"`` metrics and predictions of one model and seed (``sigma``: the
    model's shared unit effect; 0 = staff independent)."""
    scores = pd.Series(p, index=ctx.fold.labels["staff_id"].astype(str).to_numpy())
    frame = org_frame(ctx.fold.cohort, scores, ctx.org_share, sigma)
    pred = pd.DataFrame(
        {
            "model": label,
            "slice": "org",
            "unit": frame["org_id"].astype(str).to_numpy(),
            "learner": "",
            "score": frame["p_unit_rule"].to_numpy(),
            "label": frame["unit_rule"].to_numpy(),
            "seed": seed,
            "expected_missing": frame["expected_missing"].round(4).to_numpy(),
            "observed_missing": frame["observed_missing"].to_numpy(),
        }
    )
    metrics = org_metrics(frame) | {"unit_sigma": sigma}
    return records(label, seed, metrics, "org"), pred


# -- effect -------------------------------------------------------------------------
def run_effect(cfg: ExperimentConfig, tables: Tables, bar: Any) -> ModelResult:
    """Per-module gains with bootstrap intervals (model ``observed``; slice = module)."""
    outcomes = tables["outcomes"]
    bar.total = len(cfg.seeds)
    out: list[dict] = []
    for seed in cfg.seeds:
        g = gains(outcomes, seed)
        for row in g.to_dict("records"):
            metrics = {k: v for k, v in row.items() if k != "module_id"}
            out += records("observed", seed, metrics, str(row["module_id"]))
        pooled = gains(outcomes.assign(module_id="all"), seed).iloc[0].to_dict()
        out += records(
            "observed", seed, {k: v for k, v in pooled.items() if k != "module_id"}, "all"
        )
        bar.update()
    return ModelResult("observed", "observed", {}, out)


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
