"""Experiment configuration: the TOML contract of DESIGN.md ("Experiment contract").

::

    task = "recommend"            # recommend | risk | effect
    seeds = [0, 1, 2]
    k = 10                        # recommend: list length (default 10)
    folds = 5                     # risk: organization folds for label-trained models
    tune = true                   # recommend: grid-search peers on the validation cut
    [data]
    demo = {scenario = "cadre", orgs = 40, seed = 1, start = 2025-01-01, end = 2026-12-31}
    # or: path = "var/demo"       (a canonical dataset directory; _truth/ used if present)
    [split]
    cut = 2026-10-01              # recommend: temporal cut …
    horizon_days = 60             # … and horizon; or kind = "leave_last"
    truth = "completed"           # recommend: test items are completions, or "enrolled"
    candidates = "all"            # recommend: or "offered" (in [cut, cut + horizon))
    # risk: as_of = 2026-06-30, policy = "national-2025"
    # deadline = 2026-12-31       # risk: optional, score only people with this deadline
    [filters]                     # recommend: candidate filter, the same for every model
    exclude_completed = true
    prerequisites = true
    [[models]]
    name = "ease"
    l2 = 200.0                    # parameters of the model
    grid = {l2 = [50.0, 200.0, 1000.0]}   # optional: overrides the default tuning grid
    label = "ease-200"            # optional: a second run of one model under another name

Unknown keys are errors (a typo must not silently change an experiment).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from engine.errors import LearnmapError

TASKS = ("recommend", "risk", "effect")
TRUTHS = ("completed", "enrolled")  # [split] truth (experiments.splits)
CANDIDATES = ("all", "offered")  # [split] candidates
_TOP = {"task", "seeds", "data", "split", "k", "models", "filters", "folds", "tune", "name"}
_DATA = {"path", "demo", "format", "train", "test"}
_DEMO = {"scenario", "orgs", "seed", "start", "end"}
_SPLIT = {
    "recommend": {"cut", "horizon_days", "kind", "truth", "candidates"},
    "risk": {
        "as_of",
        "policy",
        "cutoffs",
        "deadline",
        "kind",
        "train_every",
        "train_window",
        "org_share",
    },
    "effect": set(),
}
_FILTERS = {"exclude_completed", "exclude_enrolled", "prerequisites", "modes", "tiers"}


class ConfigError(LearnmapError):
    """An experiment config breaks the contract; names the file, key, value and rule."""

    def __init__(self, source: str, key: str, value: object, rule: str) -> None:
        super().__init__(f"{source}: [{key}] value {value!r}: {rule}")


@dataclass(frozen=True)
class ModelConfig:
    name: str
    label: str
    params: dict[str, Any] = field(default_factory=dict)
    grid: dict[str, list[Any]] | None = None


@dataclass(frozen=True)
class ExperimentConfig:
    task: str
    seeds: tuple[int, ...]
    data: dict[str, Any]
    split: dict[str, Any]
    models: tuple[ModelConfig, ...]
    k: int = 10
    folds: int = 5
    tune: bool = True
    filters: dict[str, Any] = field(default_factory=dict)
    name: str = "experiment"
    source: str = "<dict>"

    def resolved(self) -> dict[str, Any]:
        """The config with every default filled in (written to RUN_DIR/config.json)."""
        return {
            "name": self.name,
            "task": self.task,
            "seeds": list(self.seeds),
            "k": self.k,
            "folds": self.folds,
            "tune": self.tune,
            "data": _jsonable(self.data),
            "split": _jsonable(self.split),
            "filters": _jsonable(self.filters),
            "models": [
                {"name": m.name, "label": m.label, "params": m.params, "grid": m.grid}
                for m in self.models
            ],
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def _unknown(src: str, where: str, got: dict, allowed: set[str]) -> None:
    for key in got:
        if key not in allowed:
            raise ConfigError(
                src, f"{where}{key}", got[key], f"unknown key; allowed: {sorted(allowed)}"
            )


def parse_config(raw: dict[str, Any], source: str = "<dict>") -> ExperimentConfig:
    """Validate a config mapping (e.g. parsed TOML) into an ``ExperimentConfig``."""
    src = source
    _unknown(src, "", raw, _TOP)
    task = raw.get("task")
    if task not in TASKS:
        raise ConfigError(src, "task", task, f"must be one of {', '.join(TASKS)}")
    seeds = raw.get("seeds", [0])
    if (
        not isinstance(seeds, list)
        or not seeds
        or not all(isinstance(s, int) and not isinstance(s, bool) for s in seeds)
        or len(set(seeds)) != len(seeds)
    ):
        raise ConfigError(src, "seeds", seeds, "must be a non-empty list of distinct integers")
    data = raw.get("data")
    if not isinstance(data, dict):
        raise ConfigError(src, "data", data, "a [data] table with path or demo is required")
    _unknown(src, "data.", data, _DATA)
    if ("path" in data) + ("demo" in data) + (data.get("format") == "oulad") != 1:
        raise ConfigError(src, "data", data, "give exactly one of path, demo, format = 'oulad'")
    if "demo" in data:
        if not isinstance(data["demo"], dict):
            raise ConfigError(src, "data.demo", data["demo"], "must be a table")
        _unknown(src, "data.demo.", data["demo"], _DEMO)
    split = raw.get("split", {})
    if not isinstance(split, dict):
        raise ConfigError(src, "split", split, "must be a table")
    _unknown(src, "split.", split, _SPLIT[task])
    if task == "recommend":
        if split.get("kind", "temporal") not in ("temporal", "leave_last"):
            raise ConfigError(src, "split.kind", split["kind"], "must be temporal or leave_last")
        for key, allowed in (("truth", TRUTHS), ("candidates", CANDIDATES)):
            if split.get(key, allowed[0]) not in allowed:
                raise ConfigError(
                    src, f"split.{key}", split[key], f"must be one of {', '.join(allowed)}"
                )
        if split.get("kind") == "leave_last" and split.get("candidates", "all") != "all":
            raise ConfigError(
                src,
                "split.candidates",
                split["candidates"],
                'leave_last has no window to offer modules in: use candidates = "all"',
            )
        split = {"truth": "completed", "candidates": "all", **split}
        if split.get("kind", "temporal") == "temporal":
            if "cut" not in split:
                raise ConfigError(src, "split.cut", None, "a temporal split needs a cut date")
            h = split.get("horizon_days")
            if not isinstance(h, int) or isinstance(h, bool) or h < 1:
                raise ConfigError(src, "split.horizon_days", h, "must be a whole number ≥ 1")
    if task == "risk" and data.get("format") == "oulad":
        if split.get("kind", "train_test") not in ("train_test", "lopo"):
            raise ConfigError(
                src, "split.kind", split["kind"], "OULAD splits are train_test or lopo"
            )
    if task == "risk" and data.get("format") != "oulad":
        if "as_of" not in split:
            raise ConfigError(src, "split.as_of", None, "a risk backtest needs as_of")
        split = {"policy": "national-2025", **split}
        share = split.get("org_share")  # optional: the organization slice's share
        if share is not None and (
            isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share <= 1
        ):
            raise ConfigError(src, "split.org_share", share, "must be a number in (0, 1]")
        dl = split.get("deadline")  # optional: score only people with this deadline
        if dl is not None and not isinstance(dl, date):
            try:
                date.fromisoformat(str(dl))
            except ValueError:
                raise ConfigError(
                    src, "split.deadline", dl, "must be a date (2026-12-31)"
                ) from None
    k = raw.get("k", 10)
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise ConfigError(src, "k", k, "must be a whole number ≥ 1")
    folds = raw.get("folds", 5)
    if not isinstance(folds, int) or isinstance(folds, bool) or folds < 2:
        raise ConfigError(src, "folds", folds, "must be a whole number ≥ 2")
    filters = raw.get("filters", {})
    _unknown(src, "filters.", filters, _FILTERS)
    models_raw = raw.get("models", [])
    if task != "effect" and (not isinstance(models_raw, list) or not models_raw):
        raise ConfigError(src, "models", models_raw, "list at least one [[models]] table")
    models, labels = [], set()
    for i, m in enumerate(models_raw):
        if not isinstance(m, dict) or not isinstance(m.get("name"), str):
            raise ConfigError(src, f"models[{i}].name", m, "each [[models]] needs a name")
        params = {k: v for k, v in m.items() if k not in ("name", "label", "grid")}
        grid = m.get("grid")
        if grid is not None and (
            not isinstance(grid, dict) or not all(isinstance(v, list) and v for v in grid.values())
        ):
            raise ConfigError(src, f"models[{i}].grid", grid, "must map parameters to lists")
        label = m.get("label", m["name"])
        if label in labels:
            raise ConfigError(src, f"models[{i}].label", label, "two models share this label")
        labels.add(label)
        models.append(ModelConfig(m["name"], label, params, grid))
    return ExperimentConfig(
        task=task,
        seeds=tuple(seeds),
        data=data,
        split=split,
        models=tuple(models),
        k=k,
        folds=folds,
        tune=bool(raw.get("tune", True)),
        filters=filters,
        name=str(raw.get("name", Path(source).stem if source != "<dict>" else "experiment")),
        source=source,
    )


def load_config(path: str | Path) -> ExperimentConfig:
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise LearnmapError(f"{path}: config file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise LearnmapError(f"{path}: not valid TOML: {exc}") from exc
    return parse_config(raw, str(path))
