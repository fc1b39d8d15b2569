"""The saved staff-risk model: a joblib artifact with a manifest.

Layout under ``LEARNMAP_MODEL_DIR`` (default ``var/models``)::

    staff-risk/model.joblib      the fitted StaffRisk
    staff-risk/manifest.json     version, trained_at, as_of, policy (name + sha256 of its
                                 settings), feature list, data snapshot (rows and latest
                                 date per table), validation metrics, sha256 of the model

Both files are written to temporary names and renamed into place (the model first,
the manifest last); the manifest carries the model's hash, so a half-replaced pair is
refused on load rather than silently mixed.  ``risk`` refuses a model whose policy,
feature list or format version differ from the ones asked for.  Format 2: the
model classes moved to ``models.risk`` (issue 19), so a format-1 pickle cannot load.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime
from pathlib import Path

import joblib
import pandas as pd

from engine.policy import Policy, policy_hash
from engine.version import package_version
from models.artifacts import ArtifactError, atomic_write, data_snapshot, file_sha256, model_dir
from models.risk.estimator import StaffRisk
from models.risk.features import FEATURES

__all__ = ["FORMAT_VERSION", "NAME", "STAFF_COLUMNS", "load", "save", "score"]

log = logging.getLogger(__name__)
FORMAT_VERSION = 2
NAME = "staff-risk"
STAFF_COLUMNS = ["staff_id", "org_id", "p_miss", "expected_shortfall", "status", "drivers"]


def save(model: StaffRisk, tables: dict[str, pd.DataFrame], root: Path | None = None) -> Path:
    """Write ``model`` and its manifest under ``root`` (default :func:`model_dir`)."""
    folder = (root or model_dir()) / NAME
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write(folder / "model.joblib", lambda p: joblib.dump(model, p, compress=3))
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
    atomic_write(folder / "manifest.json", lambda p: p.write_text(text, encoding="utf-8"))
    return folder


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


def score(
    model: StaffRisk,
    tables: dict[str, pd.DataFrame],
    as_of: date,
    chunk: int = 200_000,
    progress: bool = False,
) -> pd.DataFrame:
    """Staff predictions, scored in chunks (see StaffRisk.predict_frame; the pandas
    engine of ``models.risk.partitioned``)."""
    from models.risk.partitioned import risk_pandas

    return risk_pandas(tables, as_of, model, chunk=chunk, progress=progress)
