"""Model names → estimator classes, for the CLI and the experiment harness.

Entries are ``"module:attribute"`` strings imported on first use, so optional
dependencies (the ``peers`` extra) are only needed by the models that use them.
Upper layers add their own entries with ``register`` (experiments adds the
``implicit-*`` peers and ``oracle``); a new model family is one line here or one
``register`` call.

Tasks: ``recommend`` (``models.recommend.base.Recommender``) and ``risk``
(``fit(tables, as_of, policy)`` / ``predict(tables, as_of)``, see
``models.risk.estimator``); the families' contract is ``models.contract``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from engine.errors import LearnmapError

__all__ = ["ModelSpec", "available", "create", "register", "spec"]


@dataclass(frozen=True)
class ModelSpec:
    name: str
    task: str
    target: str  # "package.module:Class"
    extra: str | None = None  # optional-dependency group needed, e.g. "peers"


#: (task, name) → spec: one name may serve several tasks (``oracle``).
_MODELS: dict[tuple[str, str], ModelSpec] = {}


def register(name: str, target: str, task: str = "recommend", extra: str | None = None) -> None:
    """Add (or replace) the model ``name`` of ``task`` built by ``target`` ("module:Class")."""
    if ":" not in target:
        raise ValueError(f"target must look like 'module:Class', got {target!r}")
    _MODELS[(task, name)] = ModelSpec(name, task, target, extra)


register("popularity", "models.recommend.popularity:Popularity")
register("ease", "models.recommend.ease:EASE")
register("itemknn", "models.recommend.itemknn:ItemKNN")
register("skillgap", "models.recommend.skillgap:SkillGap")
register("hybrid", "models.recommend.hybrid:Hybrid")
register("content", "models.recommend.content:ContentModel")
register("popularity-cohort", "models.recommend.cohort:CohortPopularity")
register("random", "models.recommend.random:RandomRecommender")
register("content-affinity", "models.recommend.affinity:ContentAffinity")
register("risk", "models.risk.estimator:StaffRisk", task="risk")


def available(task: str = "recommend") -> list[str]:
    return sorted(n for t, n in _MODELS if t == task)


def spec(name: str, task: str = "recommend") -> ModelSpec:
    s = _MODELS.get((task, name))
    if s is None:
        raise LearnmapError(
            f"unknown model {name!r} for task {task!r}; known: {', '.join(available(task))}"
        )
    return s


def create(name: str, task: str = "recommend", **params: object) -> object:
    """A new, unfitted estimator ``name`` with ``params``; a clear error if the model's
    optional dependency is missing or a parameter is unknown."""
    s = spec(name, task)
    module, _, attr = s.target.partition(":")
    try:
        cls = getattr(importlib.import_module(module), attr)
    except ImportError as exc:
        if s.extra:
            msg = (
                f"model {name!r} needs the optional package {exc.name!r}, which is not "
                f"installed: pip install -e '.[{s.extra}]'"
            )
        else:
            msg = f"model {name!r} cannot be loaded from {s.target!r}: {exc}"
        raise LearnmapError(msg) from exc
    try:
        return cls(**params)
    except TypeError as exc:
        raise LearnmapError(f"model {name!r}: bad parameters {params!r} ({exc})") from exc
