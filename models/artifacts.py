"""Saved models: joblib artifacts with a manifest, and the ``train`` / ``risk`` commands.

Layout under ``LEARNMAP_MODEL_DIR`` (default ``var/models``)::

    staff-risk/model.joblib      the fitted StaffRisk
    staff-risk/manifest.json     version, trained_at, as_of, policy (name + sha256 of its
                                 settings), feature list, data snapshot (rows and latest
                                 date per table), validation metrics, sha256 of the model

Both files are written to temporary names and renamed into place (the model first,
the manifest last); the manifest carries the model's hash, so a half-replaced pair is
refused on load rather than silently mixed.  ``risk`` refuses a model whose policy,
feature list or format version differ from the ones asked for.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from datetime import UTC, date, datetime
from pathlib import Path

import joblib
import pandas as pd

from engine.errors import LearnmapError
from engine.outputs import atomic_path, write_table
from engine.policy import Policy
from models.risk import FEATURES, StaffRisk

log = logging.getLogger(__name__)
FORMAT_VERSION = 1
NAME = "staff-risk"
STAFF_COLUMNS = ["staff_id", "org_id", "p_miss", "expected_shortfall", "status", "drivers"]


class ArtifactError(LearnmapError):
    """A saved model is missing, damaged or does not match what was asked."""


def model_dir() -> Path:
    return Path(os.environ.get("LEARNMAP_MODEL_DIR", "var/models"))


def policy_hash(policy: Policy) -> str:
    text = json.dumps(policy.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


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


def _atomic_write(path: Path, write) -> None:  # noqa: ANN001
    """Write through ``write(tmp)`` atomically, mode 0600: models hold personal data."""
    with atomic_path(path, private=True) as tmp:
        write(tmp)


def save(model: StaffRisk, tables: dict[str, pd.DataFrame], root: Path | None = None) -> Path:
    """Write ``model`` and its manifest under ``root`` (default :func:`model_dir`)."""
    folder = (root or model_dir()) / NAME
    folder.mkdir(parents=True, exist_ok=True)
    _atomic_write(folder / "model.joblib", lambda p: joblib.dump(model, p, compress=3))
    manifest = {
        "format_version": FORMAT_VERSION,
        "model": "StaffRisk",
        "learnmap_version": package_version(),
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "as_of": model.as_of_.date().isoformat(),
        "policy": {
            "name": model.policy_.name,
            "kind": model.policy_.kind,
            "sha256": policy_hash(model.policy_),
        },
        "features": list(model.features_),
        "params": {
            k: getattr(model, k)
            for k in ("step_days", "min_history_days", "max_iter", "max_snapshots", "max_rows")
        },
        "data": data_snapshot(tables),
        "validation": model.backtest_metrics_,
        "model_sha256": file_sha256(folder / "model.joblib"),
    }
    text = json.dumps(manifest, indent=1, ensure_ascii=False, default=str)
    _atomic_write(folder / "manifest.json", lambda p: p.write_text(text, encoding="utf-8"))
    return folder


def package_version() -> str:
    """The installed learnmap version (``unknown`` when not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("learnmap")
    except PackageNotFoundError:  # pragma: no cover
        return "unknown"


def load(policy: Policy, root: Path | None = None) -> tuple[StaffRisk, dict]:
    """The saved model and manifest; refuses a mismatch with a message saying what to do."""
    folder = (root or model_dir()) / NAME
    mpath, man_path = folder / "model.joblib", folder / "manifest.json"
    if not mpath.exists() or not man_path.exists():
        raise ArtifactError(
            f"no trained risk model in {folder}: run `learnmap train --as-of D` first"
        )
    manifest = json.loads(man_path.read_text(encoding="utf-8"))
    fix = "retrain with `learnmap train --as-of D --policy P`"
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ArtifactError(
            f"{man_path}: model format {manifest.get('format_version')} is not {FORMAT_VERSION}; {fix}"
        )
    if manifest.get("model_sha256") != file_sha256(mpath):
        raise ArtifactError(
            f"{mpath}: does not match its manifest (damaged or half-written); {fix}"
        )
    want = policy_hash(policy)
    got = manifest["policy"]
    if got["sha256"] != want:
        raise ArtifactError(
            f"the saved model was trained for policy {got['name']!r} ({got['sha256']}), "
            f"not {policy.name!r} ({want}); {fix}"
        )
    if manifest["features"] != list(FEATURES):
        missing = sorted(set(FEATURES) ^ set(manifest["features"]))
        raise ArtifactError(
            f"the saved model's features differ from this version's ({missing}); {fix}"
        )
    model = joblib.load(mpath)
    return model, manifest


def write_frame(frame: pd.DataFrame, out: Path) -> None:
    """CSV or Parquet by suffix, atomic and following the umask."""
    write_table(frame, out)


def unit_share(policy: Policy) -> float:
    """The unit rule's share (credits rule of source 002: 1/3; the default elsewhere)."""
    credits = getattr(policy, "credits", None)
    return float(getattr(credits, "unit_unqualified_share", 1 / 3) if credits else 1 / 3)


def load_store() -> dict[str, pd.DataFrame]:
    from engine.store import Store

    tables = Store().load()
    if tables["staff"].empty:
        raise LearnmapError("the store is empty: run `learnmap ingest DIR` first")
    return tables


def score(
    model: StaffRisk,
    tables: dict[str, pd.DataFrame],
    as_of: date,
    chunk: int = 200_000,
    progress: bool = False,
) -> pd.DataFrame:
    """Staff predictions, scored in chunks (see StaffRisk.predict_frame)."""
    from features.snapshot import snapshot, to_timestamp

    t = to_timestamp(as_of)
    return model.predict_frame(snapshot(tables, t), chunk=chunk, progress=progress)
