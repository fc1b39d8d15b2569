"""What every task returns per ``[[models]]`` entry, and how an estimator is built.

Shared by the tasks (``experiments.recommend_task``, ``experiments.tasks``) and the
runner, so neither imports the other's internals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from models.registry import create


@dataclass
class ModelResult:
    """One model's records (``{model, metric, value, seed, slice}``), its tuned
    parameters and tuning trace; for risk its predictions; for recommend each scored
    person's ``ndcg@k`` (``people``: staff_id → value, mean over seeds) for the paired
    comparisons of ``report.md``."""

    label: str
    name: str
    params: dict[str, Any]
    records: list[dict[str, Any]]
    predictions: pd.DataFrame | None = None
    tuning: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    people: pd.Series | None = None


def build(name: str, task: str, params: dict[str, Any], seed: int | None, truth: object) -> Any:
    """A new estimator ``name`` with ``params``; the demo truth (oracles) and ``seed``
    (models with a ``random_state``) set."""
    est = create(name, task, **params)
    if hasattr(est, "truth"):
        est.truth = truth
    if seed is not None and hasattr(est, "random_state"):
        est.random_state = seed
    return est


def seeded(est: object) -> bool:
    return hasattr(est, "random_state")


def records(label: str, seed: int, metrics: dict[str, float], slice_: str = "all") -> list[dict]:
    return [
        {"model": label, "metric": k, "value": v, "seed": seed, "slice": slice_}
        for k, v in metrics.items()
    ]
