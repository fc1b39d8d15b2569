"""Why the staff-risk model says what it says: exact contributions from the fitted trees.

The rate model (``models.risk.estimator``) is gradient-boosted trees with a Poisson loss,
so a person's predicted log rate is the baseline plus the sum of every tree's leaf.
**Path contributions** split that sum exactly among the features (Saabas' method): in
each tree, each node's expected value is the training-count-weighted mean of the leaves
below it; walking from the root to the person's leaf, every step's change in expected
value is credited to the feature the node splits on.  So, per person,

    log rate = bias + Σ_features contribution        (exactly; a test checks it)

Features are read in **groups** a person recognises (``GROUPS``: own recent pace, time
left, colleagues, …; a group's contribution is the sum of its features').  A group's
effect on the risk is what the forecast would be without its contribution:

    effect_g = p_miss − P(miss | rate × exp(−contribution_g))

(same negative binomial and calibration as the forecast).  Positive: the group raises
the risk (it lowers the expected pace); negative: it lowers it.  The ranking and the
stated direction use the uncalibrated probability (strictly monotone in the rate);
the stated size is in calibrated percentage points (isotonic calibration has flat
steps, so a size may round to 0 while the direction is still known).

Deletion check (``deletion_check``): remove the top group — its features replaced by
those of training rows (``background``), the forecast averaged over them — and score
again through the whole model, trees, interactions and all; the forecast should move the
way the driver said.  Rows without a forecast to explain (met, no requirement, deadline
passed) are not checked.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["GROUPS", "deletion_check", "group_effects", "group_matrix", "path_contributions"]

#: Driver groups: name → the features whose contributions it sums (models.risk.features).
GROUPS: dict[str, tuple[str, ...]] = {
    "standing": ("required", "done", "remaining", "remaining_share"),
    "time_left": ("days_left", "horizon_days"),
    "pace_recent": ("rate_365", "rate_180", "rate_90"),
    "pace_all": ("rate_all",),
    "last_completion": ("days_since_last",),
    "tenure": ("tenure_days",),
    "no_shows": ("no_shows_365",),
    "dropped": ("dropped_365",),
    "pending": ("pending",),
    "colleagues": ("org_rate", "org_size"),
    "role": ("role_rate", "n_roles"),
    "registration": ("ministry_managed",),
    "scores": ("mean_score",),
}


def _expectations(nodes: np.ndarray) -> np.ndarray:
    """Each node's count-weighted mean leaf value (children come after their parent)."""
    exp = nodes["value"].astype(float).copy()
    count = nodes["count"].astype(float)
    for i in range(len(nodes) - 1, -1, -1):
        if not nodes["is_leaf"][i]:
            left, right = nodes["left"][i], nodes["right"][i]
            total = count[left] + count[right]
            exp[i] = (
                (count[left] * exp[left] + count[right] * exp[right]) / total
                if total > 0
                else 0.5 * (exp[left] + exp[right])
            )
    return exp


def _leaf_table(nodes: np.ndarray, d: int) -> tuple[np.ndarray, float]:
    """Per node of one tree: the contributions (``d`` features) of the path from the
    root to it, and the root's expected value.  A leaf's row is what every sample
    landing in it gets (the path, hence the contributions, depend on the leaf alone)."""
    exp = _expectations(nodes)
    table = np.zeros((len(nodes), d))
    for i in range(len(nodes)):  # parents come before their children
        if not nodes["is_leaf"][i]:
            f = int(nodes["feature_idx"][i])
            for child in (nodes["left"][i], nodes["right"][i]):
                table[child] = table[i]
                table[child, f] += exp[child] - exp[i]
    return table, float(exp[0])


def group_matrix(features: list[str]) -> np.ndarray:
    """``(n_features, n_groups)`` 0/1 matrix: which ``GROUPS`` entry each feature is in."""
    M = np.zeros((len(features), len(GROUPS)))
    for g, names in enumerate(GROUPS.values()):
        for name in names:
            if name in features:
                M[features.index(name), g] = 1.0
    return M


def path_contributions(
    model,  # noqa: ANN001
    X: np.ndarray,
    combine: np.ndarray | None = None,
    n_threads: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """``(bias, contributions)`` of a fitted ``HistGradientBoostingRegressor`` (numeric
    features only): ``bias + contributions.sum(1)`` is the raw (log) prediction.  With
    ``combine`` (``group_matrix``) the contributions come summed per group.

    Each tree's leaf per sample comes from the library's own compiled traversal (a copy
    of the tree whose leaves hold their node number), so missing values and thresholds
    go exactly where the model sends them; a million rows take seconds."""
    from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor

    X = np.asarray(X, float)
    n, d = X.shape
    Xp = model._preprocess_X(X, reset=False)
    known, f_idx_map = model._bin_mapper.make_known_categories_bitsets()
    bias = np.full(n, float(np.ravel(model._baseline_prediction)[0]))
    contrib = np.zeros((n, d if combine is None else combine.shape[1]))
    for (tree,) in model._predictors:
        nodes = tree.nodes
        if nodes["is_categorical"].any():  # pragma: no cover - the risk model has none
            raise ValueError("path contributions need numeric splits only")
        table, root = _leaf_table(nodes, d)
        table = table if combine is None else table @ combine
        bias += root
        ids = nodes.copy()
        ids["value"] = np.arange(len(nodes), dtype=float)
        locate = TreePredictor(ids, tree.binned_left_cat_bitsets, tree.raw_left_cat_bitsets)
        leaf = locate.predict(Xp, known, f_idx_map, n_threads).astype(np.int64)
        contrib += table[leaf]
    return bias, contrib


def group_effects(
    contrib: np.ndarray,
    prob: Callable[[np.ndarray, np.ndarray], np.ndarray],
    calibrate: Callable[[np.ndarray], np.ndarray],
    mean: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Per row and group (``GROUPS`` order): the effect on the forecast, uncalibrated and
    calibrated, from the groups' contributions ``contrib`` (``path_contributions`` with
    ``group_matrix``).  ``prob(mean, rows)`` is the model's uncalibrated miss probability of
    ``rows`` (positions; their own thresholds) for a given expected count,
    ``calibrate`` its calibration; ``mean`` the rows' expected count."""
    raw0 = prob(mean, np.arange(len(mean)))
    cal0 = calibrate(raw0)
    raw = np.zeros((len(mean), len(GROUPS)))
    cal = np.zeros_like(raw)
    for g in range(len(GROUPS)):
        c = contrib[:, g]
        moved = np.flatnonzero(np.abs(c) > 1e-12)
        if not len(moved):
            continue
        without = prob(mean[moved] * np.exp(-c[moved]), moved)
        raw[moved, g] = raw0[moved] - without
        cal[moved, g] = cal0[moved] - calibrate(without)
    return raw, cal


def deletion_check(
    predict_raw: Callable[[np.ndarray, np.ndarray], np.ndarray],
    X: np.ndarray,
    features: list[str],
    background: np.ndarray,
    top: np.ndarray,
    direction: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Per row: does removing the top group (``top``: group index) move the uncalibrated
    forecast ``predict_raw(X_rows, rows)`` the way ``direction`` said (+1: the driver
    raised the risk, so removing it lowers it)?  Returns that, and the forecast without
    the driver.

    Removing a group = averaging the forecast over its features taken from each row of
    ``background`` (training rows), the rest of the person kept: the group's information
    is replaced by the training population's, the reference the path contributions are
    measured from.  (Setting the features to their medians instead is not a removal: a
    person at the median would not move at all.)"""
    col = {f: j for j, f in enumerate(features)}
    rows_all = np.arange(len(X))
    base = predict_raw(X, rows_all) if len(X) else np.zeros(0)
    without = base.copy()
    nb = len(background)
    for g, names in enumerate(GROUPS.values()):
        rows = np.flatnonzero(top == g)
        if not len(rows) or not nb:
            continue
        cols = [col[n] for n in names if n in col]
        for part in np.array_split(rows, max(1, len(rows) * nb // 1_000_000)):
            Xg = np.repeat(X[part], nb, axis=0)
            Xg[:, cols] = np.tile(background[:, cols], (len(part), 1))
            p = predict_raw(Xg, np.repeat(part, nb))
            without[part] = p.reshape(len(part), nb).mean(axis=1)
    return np.sign(without - base) == -np.sign(direction), without
