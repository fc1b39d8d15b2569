"""Every experiment metric, each defined once here (names as in DESIGN.md).

Ranking (``recommend``), averaged over the people scored (everyone with at least one
test item; a person given no recommendation scores 0):

- ``ndcg@k``: Σᵢ≤ₖ relᵢ / log₂(i + 1), divided by the ideal for min(|T|, k) hits;
- ``recall@k``: hits in the top k / |T|;
- ``precision@k``: hits in the top k / k (k fixed even if fewer were recommended);
- ``map@k``: Σᵢ≤ₖ precision@i · relᵢ / min(|T|, k);
- ``mrr``: 1 / rank of the first hit in the top k (0 if none);
- ``coverage``: distinct modules recommended to anyone / modules in the catalogue;
- ``admissible``: share of recommended (person, module) pairs whose prerequisites
  the person had completed and that they had not completed (as of training).

Probabilities (``risk``), ``label`` 1 = the bad outcome:

- ``roc_auc``; ``pr_auc`` = average precision (step-wise area; compare with
  ``base_rate``, the share of positives, which is what a random score gets);
- ``brier``: mean (p − y)²;
- ``ece``: 10 equal-width bins on [0, 1] (the last closed), Σ_b n_b/N·|mean p_b − mean y_b|;
- ``lift@10%``: positive share among the ⌈10 %⌉ highest scores / base rate; ties at
  the boundary are broken by input order, so pass rows in a fixed order;
- ``share_error``: mean over units of |mean predicted p − observed positive share|
  (each unit counts once, whatever its size).

Effect: ``gains`` per module, post − pre and follow-up − pre, with percentile
bootstrap 95 % intervals over people.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score

from features.effect import bootstrap_mean_ci, gains  # noqa: F401  (the effect task's metrics)

RANKING_METRICS = ("ndcg", "recall", "precision", "map", "mrr", "coverage", "admissible")
RISK_METRICS = ("roc_auc", "pr_auc", "base_rate", "brier", "ece", "lift@10%", "share_error")


class RankingTruth:
    """The test pairs of one split, indexed once; ``score`` gives ``ranking_metrics``.

    The harness scores many models (and grid values) against the same test pairs, so
    the pairs are turned into integer keys once and each scoring is a few vectorised
    passes (sorted-key lookups and ``bincount``), not Python sets and group-bys."""

    def __init__(self, test: pd.DataFrame, k: int) -> None:
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        self.k = k
        staff = test["staff_id"].to_numpy(dtype=object)
        mods = test["module_id"].to_numpy(dtype=object)
        self.users = pd.Index(np.unique(staff.astype(str)), dtype=object)
        self.items = pd.Index(np.unique(mods.astype(str)), dtype=object)
        if len(self.users) == 0:
            raise ValueError("no person has a test item: nothing to score")
        u = self.users.get_indexer(staff.astype(str))
        i = self.items.get_indexer(mods.astype(str))
        self.keys = np.unique(u.astype(np.int64) * len(self.items) + i)
        self.n_true = np.bincount(self.keys // len(self.items), minlength=len(self.users))
        ideal_disc = np.cumsum(1.0 / np.log2(np.arange(2, k + 2)))
        self.idcg = ideal_disc[np.minimum(self.n_true, k) - 1]

    def score(
        self,
        recs: pd.DataFrame,
        n_catalogue: int,
        admissible_pairs: np.ndarray | pd.Series | None = None,
    ) -> dict[str, float]:
        """Ranking metrics of ``recs`` (staff_id, rank, module_id); see the module
        docstring.  ``admissible_pairs``: one bool per row of ``recs``.  Coverage and
        admissible count every row ranked ≤ k (pass only the people of a slice)."""
        k = self.k
        per, _ = self._per_user(recs)
        sel = recs["rank"].to_numpy() <= k
        out = {
            f"ndcg@{k}": float(np.mean(per["ndcg"])),
            f"recall@{k}": float(np.mean(per["n_hit"] / self.n_true)),
            f"precision@{k}": float(np.mean(per["n_hit"] / k)),
            f"map@{k}": float(np.mean(per["ap"])),
            "mrr": float(np.mean(1.0 / per["first"])),
            "coverage": recs.loc[sel, "module_id"].nunique() / n_catalogue,
        }
        if admissible_pairs is not None:
            vals = np.asarray(admissible_pairs, dtype=bool)[sel]
            out["admissible"] = float(vals.mean()) if len(vals) else float("nan")
        return out

    def person_ndcg(self, recs: pd.DataFrame) -> pd.Series:
        """``ndcg@k`` of each scored person (index: staff_id), for paired comparisons."""
        per, _ = self._per_user(recs)
        return pd.Series(per["ndcg"], index=self.users, name=f"ndcg@{self.k}")

    def _per_user(self, recs: pd.DataFrame) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Per scored person (``self.users`` order): ndcg, hits, average precision and
        rank of the first hit; and the mask of ``recs`` rows that count for them (rank
        ≤ k, a scored person)."""
        k, n_users = self.k, len(self.users)
        rank_all = recs["rank"].to_numpy()
        r_all = self.users.get_indexer(recs["staff_id"].to_numpy(dtype=object).astype(str))
        sel = (rank_all <= k) & (r_all >= 0)
        r = r_all[sel]
        c = self.items.get_indexer(recs["module_id"].to_numpy(dtype=object)[sel].astype(str))
        rank = rank_all[sel]
        key = r.astype(np.int64) * len(self.items) + c
        pos = np.minimum(np.searchsorted(self.keys, key), max(len(self.keys) - 1, 0))
        hit = (c >= 0) & (self.keys[pos] == key)
        # per person in rank order: hits so far (precision@i at each hit)
        order = np.lexsort((rank, r))
        r, rank, hit = r[order], rank[order], hit[order]
        cum = np.cumsum(hit)
        start = np.r_[True, r[1:] != r[:-1]] if len(r) else np.zeros(0, bool)
        before = np.maximum.accumulate(np.where(start, np.r_[0, cum[:-1]], 0)) if len(r) else cum
        so_far = cum - before
        disc = 1.0 / np.log2(rank + 1.0)
        dcg = np.bincount(r, weights=disc * hit, minlength=n_users)
        n_hit = np.bincount(r, weights=hit.astype(float), minlength=n_users)
        ap = np.bincount(
            r, weights=np.where(hit, so_far / rank, 0.0), minlength=n_users
        ) / np.minimum(self.n_true, k)
        first = np.full(n_users, np.inf)
        np.minimum.at(first, r[hit], rank[hit].astype(float))
        per = {"ndcg": dcg / self.idcg, "n_hit": n_hit, "ap": ap, "first": first}
        return per, sel


def ranking_metrics(
    recs: pd.DataFrame,
    test: pd.DataFrame,
    k: int,
    n_catalogue: int,
    admissible_pairs: pd.Series | None = None,
) -> dict[str, float]:
    """Ranking metrics of ``recs`` (staff_id, rank, module_id) against ``test``
    (staff_id, module_id).  ``admissible_pairs``: one bool per row of ``recs``.
    (To score many models against one test set, build a ``RankingTruth`` once.)"""
    return RankingTruth(test, k).score(recs, n_catalogue, admissible_pairs)


def _check_probs(y: np.ndarray, p: np.ndarray) -> None:
    if len(y) != len(p) or len(y) == 0:
        raise ValueError(f"need equally many labels and scores, got {len(y)} and {len(p)}")
    if not np.isin(y, (0, 1)).all():
        raise ValueError(f"labels must be 0 or 1, got {sorted(set(np.unique(y)) - {0, 1})[:3]}")
    if np.isnan(p).any() or (p < 0).any() or (p > 1).any():
        raise ValueError("scores must be probabilities in [0, 1]")


def brier(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean((np.asarray(p, float) - np.asarray(y, float)) ** 2))


def ece(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    y, p = np.asarray(y, float), np.asarray(p, float)
    b = np.minimum((p * bins).astype(int), bins - 1)
    n = np.bincount(b, minlength=bins)
    sp = np.bincount(b, weights=p, minlength=bins)
    sy = np.bincount(b, weights=y, minlength=bins)
    used = n > 0
    return float(np.sum(np.abs(sp[used] - sy[used])) / len(y))


def lift_at(y: np.ndarray, p: np.ndarray, share: float = 0.10) -> float:
    y, p = np.asarray(y, float), np.asarray(p, float)
    base = y.mean()
    if base == 0:
        return float("nan")
    n_top = max(1, math.ceil(share * len(y)))
    order = np.argsort(-p, kind="stable")
    return float(y[order[:n_top]].mean() / base)


def share_error(y: np.ndarray, p: np.ndarray, unit: np.ndarray) -> float:
    frame = pd.DataFrame({"y": np.asarray(y, float), "p": np.asarray(p, float), "u": unit})
    g = frame.groupby("u")[["y", "p"]].mean()
    return float((g["p"] - g["y"]).abs().mean())


def risk_metrics(y: np.ndarray, p: np.ndarray, unit: np.ndarray) -> dict[str, float]:
    """All probability metrics of scores ``p`` for labels ``y`` (units for share_error)."""
    y, p = np.asarray(y).astype(int), np.asarray(p, dtype=float)
    _check_probs(y, p)
    both = 0 < y.sum() < len(y)
    return {
        "roc_auc": float(roc_auc_score(y, p)) if both else float("nan"),
        "pr_auc": float(average_precision_score(y, p)) if both else float("nan"),
        "base_rate": float(y.mean()),
        "brier": brier(y, p),
        "ece": ece(y, p),
        "lift@10%": lift_at(y, p),
        "share_error": share_error(y, p, np.asarray(unit)),
    }


def reliability(y: np.ndarray, p: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Per non-empty bin: mean predicted, observed share, count (for the reliability plot)."""
    y, p = np.asarray(y, float), np.asarray(p, float)
    b = np.minimum((p * bins).astype(int), bins - 1)
    frame = pd.DataFrame({"bin": b, "p": p, "y": y})
    return frame.groupby("bin").agg(
        predicted=("p", "mean"), observed=("y", "mean"), n=("y", "size")
    )
