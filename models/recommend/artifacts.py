"""Saved recommenders: a fitted model with a manifest, so a service loads instead of fitting.

Layout under ``LEARNMAP_MODEL_DIR`` (default ``var/models``), one folder per model name::

    recommender-hybrid/model.joblib      the fitted recommender
    recommender-hybrid/manifest.json     format version, model name and parameters,
                                         as-of date, fitted_at, the data it saw (rows
                                         and latest date per table), sha256 of the model

Written like the risk artifact (``models.risk.artifacts``): model first, manifest last, each
to a temporary name renamed into place, and the manifest carries the model's hash, so
a half-replaced pair is refused rather than mixed.  ``load`` refuses an artifact of
another model, format or as-of date, and — when given the current tables — one fitted
on different data: a stale recommender would quietly ignore new completions.  The data
check is a hash of every table's contents (``fingerprint``: pandas' row hashes, a few
seconds at 100,000 staff against minutes of fitting), so an in-place correction of an
old record is noticed too; the manifest also shows rows and latest date per table.

Artifacts are pickles: load only ones this installation wrote (the model directory is
the operator's, as for the risk model).
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import UTC, date, datetime
from pathlib import Path

import joblib
import pandas as pd

from engine.outputs import atomic_path
from engine.version import package_version
from features.asof import Tables
from models.artifacts import ArtifactError, data_snapshot, file_sha256, model_dir
from models.recommend.base import Recommender

__all__ = ["FORMAT_VERSION", "fingerprint", "folder_of", "load", "save"]

log = logging.getLogger(__name__)
FORMAT_VERSION = 2  # 2: the classes moved to models.recommend (issue 19)


def fingerprint(tables: Tables) -> dict[str, str]:
    """Per table: sha256 of its column names, dtypes and row hashes (order matters)."""
    out = {}
    for name in sorted(tables):
        frame = tables[name]
        if not isinstance(frame, pd.DataFrame):
            continue
        h = hashlib.sha256(repr([(c, str(t)) for c, t in frame.dtypes.items()]).encode())
        if len(frame):
            h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
        out[name] = h.hexdigest()[:32]
    return out


def folder_of(name: str, root: Path | None = None) -> Path:
    return (root or model_dir()) / f"recommender-{name}"


def _iso(as_of: date | str | pd.Timestamp | None) -> str | None:
    return None if as_of is None else pd.Timestamp(as_of).date().isoformat()


def save(
    model: Recommender,
    name: str,
    tables: Tables,
    as_of: date | str | pd.Timestamp | None,
    root: Path | None = None,
) -> Path:
    """Write the fitted ``model`` (registry ``name``, fitted on ``tables`` as of
    ``as_of``) and its manifest; returns the folder."""
    if not hasattr(model, "data_"):
        raise ArtifactError(f"{type(model).__name__} is not fitted: nothing to save")
    folder = folder_of(name, root)
    folder.mkdir(parents=True, exist_ok=True)
    with atomic_path(folder / "model.joblib", private=True) as tmp:  # personal data
        joblib.dump(model, tmp)
    manifest = {
        "format_version": FORMAT_VERSION,
        "kind": "recommender",
        "model": name,
        "class": type(model).__name__,
        "params": model.get_params(),
        "as_of": _iso(as_of),
        "learnmap_version": package_version(),
        "fitted_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "data": data_snapshot(tables),
        "fingerprint": fingerprint(tables),
        "model_sha256": file_sha256(folder / "model.joblib"),
    }
    text = json.dumps(manifest, indent=1, ensure_ascii=False, default=str)
    with atomic_path(folder / "manifest.json") as tmp:
        Path(tmp).write_text(text, encoding="utf-8")
    log.info("recommender %s saved to %s", name, folder)
    return folder


def load(
    name: str,
    as_of: date | str | pd.Timestamp | None,
    tables: Tables | None = None,
    root: Path | None = None,
) -> tuple[Recommender, dict]:
    """The saved recommender ``name`` fitted as of ``as_of`` and its manifest; with
    ``tables``, only if it was fitted on the same data (module docstring).  Raises
    ``ArtifactError`` saying why otherwise."""
    folder = folder_of(name, root)
    mpath, man_path = folder / "model.joblib", folder / "manifest.json"
    if not mpath.exists() or not man_path.exists():
        raise ArtifactError(f"no saved recommender {name!r} in {folder}")
    manifest = json.loads(man_path.read_text(encoding="utf-8"))
    if manifest.get("format_version") != FORMAT_VERSION or manifest.get("kind") != "recommender":
        raise ArtifactError(
            f"{man_path}: format {manifest.get('format_version')!r} of kind "
            f"{manifest.get('kind')!r} is not recommender format {FORMAT_VERSION}; refit"
        )
    if manifest.get("model") != name:
        raise ArtifactError(f"{man_path}: holds {manifest.get('model')!r}, not {name!r}")
    if manifest.get("as_of") != _iso(as_of):
        raise ArtifactError(f"{man_path}: fitted as of {manifest.get('as_of')}, not {_iso(as_of)}")
    if tables is not None:
        now, then = fingerprint(tables), manifest.get("fingerprint") or {}
        if now != then:
            changed = sorted(t for t in set(now) | set(then) if now.get(t) != then.get(t))
            raise ArtifactError(
                f"{man_path}: fitted on other data (changed: {', '.join(changed)}); refit"
            )
    if manifest.get("model_sha256") != file_sha256(mpath):
        raise ArtifactError(f"{mpath}: does not match its manifest (damaged or half-written)")
    model = joblib.load(mpath)
    if not isinstance(model, Recommender) or not hasattr(model, "data_"):
        raise ArtifactError(f"{mpath}: not a fitted recommender")
    return model, manifest
