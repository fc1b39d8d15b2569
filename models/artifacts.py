"""What every saved model shares: where artifacts live, the error they raise, and the
helpers that describe a file and the data a model saw.

Each family writes its own artifact (``models.risk.artifacts``: the fitted StaffRisk;
``models.recommend.artifacts``: a fitted recommender), both the same way: the model
first, the manifest last, each to a temporary name renamed into place, the manifest
carrying the model's sha256 so a half-replaced pair is refused rather than mixed.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pandas as pd

from engine.errors import LearnmapError
from engine.outputs import atomic_path

__all__ = ["ArtifactError", "atomic_write", "data_snapshot", "file_sha256", "model_dir"]


class ArtifactError(LearnmapError):
    """A saved model is missing, damaged or does not match what was asked."""


def model_dir() -> Path:
    """``LEARNMAP_MODEL_DIR`` (default ``var/models``)."""
    return Path(os.environ.get("LEARNMAP_MODEL_DIR", "var/models"))


def data_snapshot(tables: dict[str, pd.DataFrame]) -> dict[str, dict[str, object]]:
    """Rows and latest date per table: enough to tell which data a model saw."""
    out: dict[str, dict[str, object]] = {}
    for name, frame in sorted(tables.items()):
        info: dict[str, object] = {"rows": int(len(frame))}
        dates = [c for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])]
        if dates and len(frame):
            latest = max(frame[c].max() for c in dates)
            info["latest"] = None if pd.isna(latest) else pd.Timestamp(latest).date().isoformat()
        out[name] = info
    return out


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes (hex), read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def atomic_write(path: Path, write) -> None:  # noqa: ANN001
    """Write through ``write(tmp)`` atomically, mode 0600: models hold personal data."""
    with atomic_path(path, private=True) as tmp:
        write(tmp)
