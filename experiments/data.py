"""Loading an experiment's data: canonical tables and, when present, the truth.

``[data] path = DIR`` reads and validates a canonical dataset directory (the same
checks as ``learnmap ingest``); ``DIR/_truth/`` (demo data written with ``--truth``)
gives the oracle.  ``[data] demo = {...}`` generates the demo dataset and its truth in memory
from the spec (deterministic: the same tables ``learnmap demo-data`` writes for those
options).
"""

from __future__ import annotations

import logging
from dataclasses import fields
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from engine.errors import LearnmapError
from features.asof import Tables

log = logging.getLogger(__name__)


def _read_dir(path: Path) -> Tables:
    from engine.readers import read_dataset
    from engine.validate import validate_dataset

    if not path.is_dir():
        raise LearnmapError(f"[data] path {str(path)!r}: no such dataset directory")
    return validate_dataset(read_dataset(path))


def _load_truth(path: Path) -> object | None:
    if not (path / "_truth").is_dir():
        return None
    try:
        from engine.demo.truth import load_truth
    except ImportError:  # pragma: no cover - before the truth module exists
        log.warning("%s/_truth exists but engine.demo.truth is not available", path)
        return None
    return load_truth(path)


def demo_spec(demo: dict[str, Any]):  # noqa: ANN201
    from engine.demo import DemoSpec

    allowed = {f.name for f in fields(DemoSpec)}
    kw = {}
    for key, value in demo.items():
        if key not in allowed:
            raise LearnmapError(
                f"[data.demo] {key} = {value!r}: this version of the demo generator has no "
                f"such option (it has {sorted(allowed)})"
            )
        kw[key] = (
            date.fromisoformat(value)
            if key in ("start", "end") and isinstance(value, str)
            else value
        )
    return DemoSpec(**kw)


def load_data(data: dict[str, Any]) -> tuple[Tables, object | None]:
    """The tables and the truth (or None) an experiment's ``[data]`` names."""
    if "path" in data:
        path = Path(data["path"])
        return _read_dir(path), _load_truth(path)
    if "demo" in data:
        import engine.demo as demo

        spec = demo_spec(data["demo"])
        if hasattr(demo, "generate_with_truth"):
            return demo.generate_with_truth(spec)
        return demo.generate(spec), None
    raise LearnmapError(f"[data] {data!r}: give path or demo")


def describe(tables: Tables) -> dict[str, int]:
    return {
        name: int(len(frame)) for name, frame in tables.items() if isinstance(frame, pd.DataFrame)
    }
