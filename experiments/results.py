"""What every task returns per ``[[models]]`` entry, and how an estimator is built.

Shared by the tasks (``experiments.recommend_task``, ``experiments.tasks``) and the
runner, so neither imports the other's internals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sklearn.base import clone

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


def instance(proto: Any, seed: int | None, truth: object) -> Any:
    """A fresh copy of the configured model ``proto`` (``sklearn.base.clone``) with the
    run's ``random_state`` and, for the models that read it (the oracles' ``truth``
    parameter), the generator's truth — passed by ``set_params``, not copied."""
    params = proto.get_params()
    given: dict[str, object] = {}
    if seed is not None and "random_state" in params:
        given["random_state"] = seed
    if "truth" in params:
        given["truth"] = truth
    return clone(proto).set_params(**given)


def build(name: str, task: str, params: dict[str, Any], seed: int | None, truth: object) -> Any:
    """A new estimator ``name`` with ``params`` (``models.registry.create``), built as
    :func:`instance` builds it."""
    return instance(create(name, task, **params), seed, truth)


def seeded(est: Any) -> bool:
    """The model draws random numbers (it has a ``random_state`` parameter)."""
    return "random_state" in est.get_params()


def records(label: str, seed: int, metrics: dict[str, float], slice_: str = "all") -> list[dict]:
    return [
        {"model": label, "metric": k, "value": v, "seed": seed, "slice": slice_}
        for k, v in metrics.items()
    ]
