"""Data of the OULAD risk experiment: a config's data directories found (working
directory, the config's folder and its parents, ``$LEARNMAP_DATA_PATH``), OULAD's files
read and narrowed to the presentations asked for, and the backtest training rows
(snapshots every ``train_every`` days around the cut-offs; see ``experiments.oulad``)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from engine.importers.oulad import Oulad, read_oulad, to_canonical
from models.risk.course import oulad_frame


def _concat(parts: list[Oulad]) -> Oulad:
    def cat(name: str) -> pd.DataFrame | None:
        frames = [getattr(p, name) for p in parts if getattr(p, name) is not None]
        return pd.concat(frames, ignore_index=True).drop_duplicates() if frames else None

    fields = ("courses", "assessments", "student_info", "registration", "student_assessment")
    kw = {f: cat(f) for f in fields}
    return Oulad(**kw, vle=cat("vle"), student_vle=cat("student_vle"))  # type: ignore[arg-type]


def _only(data: Oulad, presentations: Sequence[str] | None) -> Oulad:
    if not presentations:
        return data
    keep = set(presentations)

    def f(frame: pd.DataFrame | None) -> pd.DataFrame | None:
        if frame is None or "code_presentation" not in frame:
            return frame
        return frame[frame["code_presentation"].isin(keep)].reset_index(drop=True)

    assess = f(data.assessments)
    sa = data.student_assessment
    sa = sa[sa["id_assessment"].isin(assess["id_assessment"])].reset_index(drop=True)
    return Oulad(
        f(data.courses), assess, f(data.student_info), f(data.registration), sa,
        f(data.vle), f(data.student_vle),
    )  # fmt: skip


def split_entry(entry: str | Path) -> tuple[Path, list[str] | None]:
    """``"DIR#2013B,2014B"`` → (DIR, ["2013B", "2014B"]); a plain DIR keeps everything."""
    text = str(entry)
    if "#" not in text:
        return Path(text), None
    path, _, codes = text.partition("#")
    return Path(path), [c.strip() for c in codes.split(",") if c.strip()]


def load_oulad(  # noqa: ANN201
    dirs: Sequence[str | Path], presentations: Sequence[str] | None = None, clicks: bool = True
):
    """Canonical tables of the OULAD files in ``dirs`` (entries may end in ``#CODES``
    to keep only those presentations; ``presentations`` filters all of them);
    ``clicks=False`` does not read ``studentVle``."""
    parts = []
    skip = () if clicks else ("studentVle",)
    for entry in dirs:
        path, only = split_entry(entry)
        parts.append(_only(read_oulad(path, skip=skip), only))
    return to_canonical(_only(_concat(parts), presentations))


def train_days(
    cutoffs: Sequence[int],
    every: int = 15,
    longest: int | None = None,
    window: Sequence[int] | None = None,
) -> list[int]:
    """Backtest days: every ``every`` days from 30 days before the first cut-off to 60
    after the last (not past the longest presentation), or over ``window = [lo, hi]``
    (config ``[split] train_window``).  Choice: rows near the cut-offs asked for, so days
    at the end of a course (exams) do not dilute them."""
    lo, hi = max(every, min(cutoffs) - 30), max(cutoffs) + 60
    if window is not None:
        lo, hi = int(window[0]), int(window[1])
    if longest is not None:
        hi = min(hi, longest - 1)
    return list(range(lo, hi + 1, every))


def backtest_frame(
    tables: dict[str, pd.DataFrame], every: int = 15, days: Sequence[int] | None = None
) -> pd.DataFrame:
    """Training rows: snapshots at ``days`` (default every ``every`` days up to the
    longest presentation)."""
    longest = int(tables["organizations"]["length_days"].max())
    days = list(range(every, longest, every)) if days is None else list(days)
    return pd.concat([oulad_frame(tables, int(d)) for d in days], ignore_index=True)


#: Extra folders (os.pathsep-separated) searched for a config's relative data directories
#: after the working directory and the config's own folder and its parents — e.g. the
#: folder holding ``shared/`` when the repository is not cloned next to it.
DATA_PATH_ENV = "LEARNMAP_DATA_PATH"


def _resolve(entry: str, config: Path) -> str:
    p, only = split_entry(entry)
    tail = "#" + ",".join(only) if only else ""
    if p.is_absolute() or p.exists():
        return f"{p}{tail}"
    extra = [Path(d) for d in os.environ.get(DATA_PATH_ENV, "").split(os.pathsep) if d]
    bases = [config.parent, *config.resolve().parents, *extra]
    for base in bases:
        if (base / p).exists():
            return f"{base / p}{tail}"
    # "../shared/x" under an extra folder is also tried as "shared/x"
    parts = [q for q in p.parts if q not in ("..", ".")]
    for base in extra:
        if parts and (base.joinpath(*parts)).exists():
            return f"{base.joinpath(*parts)}{tail}"
    raise FileNotFoundError(
        f"{config}: data directory {str(p)!r} not found (looked in the working directory, "
        f"the config's folder and its parents, and ${DATA_PATH_ENV}"
        + (f" = {os.environ.get(DATA_PATH_ENV)!r}" if os.environ.get(DATA_PATH_ENV) else ", unset")
        + ")"
    )
