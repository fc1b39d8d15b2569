"""Top ``k`` per person from a score matrix, with the reason of each recommendation.

Order within a person: modules that count toward a requirement the person is behind
on (``first``, when the model was fitted with a policy) before the rest, then score
descending, then module id ascending (column order: ``Interactions.items`` is
sorted).  Modules scored ``-inf`` are never listed, so a person may get fewer than
``k`` rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.recommend.reason_text import words

__all__ = ["RECOMMEND_COLUMNS", "TopK", "frame", "top_k", "with_prerequisite", "with_quota"]

RECOMMEND_COLUMNS = ["staff_id", "rank", "module_id", "score", "reason"]

TopK = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def top_k(scores: np.ndarray, k: int, first: np.ndarray | None = None) -> TopK:
    """``(person, item, score, rank)`` of the ``k`` best finite scores per row, flat."""
    n, n_items = scores.shape
    kk = min(k, n_items)
    keys = [np.broadcast_to(np.arange(n_items), scores.shape), -scores]
    if first is not None:
        keys.append(~first)
    order = np.lexsort(tuple(keys), axis=1)
    top = order[:, :kk]
    top_scores = np.take_along_axis(scores, top, axis=1)
    person = np.repeat(np.arange(n), kk)
    item = top.ravel()
    val = top_scores.ravel()
    ok = np.isfinite(val)
    rank = (np.tile(np.arange(1, kk + 1), n))[ok]
    return person[ok], item[ok], val[ok], rank


def with_prerequisite(
    reasons: np.ndarray, person: np.ndarray, item: np.ndarray, via: np.ndarray, titles: np.ndarray
) -> None:
    """A module offered in place of the one it unlocks (``via`` ≥ 0) says so, in place."""
    if not len(person):
        return
    for j in np.flatnonzero(via[person, item] >= 0):
        reasons[j] = words("prerequisite", title=titles[via[person[j], item[j]]])


def with_quota(
    reasons: np.ndarray,
    person: np.ndarray,
    item: np.ndarray,
    first: np.ndarray,
    rows: np.ndarray,
    quota: object,
) -> None:
    """A module ranked first because it counts toward the person's requirement says so
    (``models.recommend.quota.QuotaState.reason``), in place."""
    if not len(person):
        return
    for j in np.flatnonzero(first[person, item]):
        why = quota.reason(int(rows[person[j]]))  # type: ignore[attr-defined]
        reasons[j] = f"{reasons[j]}{words('join')}{why}"


def frame(
    staff_ids: np.ndarray,
    items: np.ndarray,
    picked: TopK,
    reasons: np.ndarray,
) -> pd.DataFrame:
    """The ``RECOMMEND_COLUMNS`` frame of ``top_k``'s result."""
    person, item, val, rank = picked
    return pd.DataFrame(
        {
            "staff_id": staff_ids[person],
            "rank": rank.astype(np.int64),
            "module_id": items[item],
            "score": val,
            "reason": reasons,
        }
    )


def empty() -> pd.DataFrame:
    """No recommendations, with the ``RECOMMEND_COLUMNS``."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in RECOMMEND_COLUMNS})
