"""Context offsets of the mastery estimate (role relevance, readiness; the choice is
documented in ``features.mastery``): the two indicators per score, their per-module
counts, the population's scores in one canonical order (``ScoreRows``,
``population_statistics``) and the offsets fitted jointly with mastery
(Frisch–Waugh on the ridge fit's residuals)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.mastery_priors import (
    HALF_LIFE_DAYS,
    MILLI,
    PRIOR_STRENGTH,
    SWEEPS,
    _links,
    _priors,
)
from features.snapshot import Snapshot


def context_flags(snap: Snapshot) -> np.ndarray:
    """Per assessment, two 0/1 context indicators (columns): ``rel`` — one of the
    person's roles requires a skill the module teaches; ``pre`` — the module has
    prerequisites and every one was completed (by this person) before the attempt
    (strictly before ``taken_on``).  Both come from the person's own records and the
    catalogue, so they are the same for one person alone or in the whole store."""
    a = snap.assess
    n = len(a)
    out = np.zeros((n, 2))
    if n == 0:
        return out
    j = np.arange(n)
    s, m = a["s"].to_numpy(), a["m"].to_numpy()
    # (a) role relevance: (role, module) pairs where the role requires a taught skill
    mods = pd.Index(snap.modules["module_id"])
    rr = snap.role_requirements[["role", "skill_id"]]
    ms = snap.module_skills[["module_id", "skill_id"]]
    rm = rr.merge(ms, on="skill_id")
    rm = pd.DataFrame(
        {"role": rm["role"].to_numpy(), "m": mods.get_indexer(rm["module_id"])}
    ).drop_duplicates()
    roles = snap.staff["role"].fillna("").astype(str).str.split("|").explode()
    sr = pd.DataFrame({"s": roles.index.to_numpy(), "role": roles.to_numpy()})
    hits = pd.DataFrame({"j": j, "s": s, "m": m}).merge(sr, on="s").merge(rm, on=["role", "m"])
    out[np.unique(hits["j"].to_numpy()), 0] = 1.0
    # (b) readiness: every prerequisite of the module completed before the attempt
    pre = snap.modules["prerequisites"] if "prerequisites" in snap.modules else None
    if pre is not None:
        pre = pre.fillna("").astype(str).str.split("|").explode()
        mp = pd.DataFrame({"m": pre.index.to_numpy(), "p": pre.to_numpy()})
        mp = mp[mp["p"] != ""]
        mp = pd.DataFrame(
            {"m": mp["m"].to_numpy(), "p": mods.get_indexer(mp["p"])}
        ).drop_duplicates()
        done = snap.done()
        first = (
            pd.DataFrame(
                {"s": done["s"].to_numpy(), "p": done["m"].to_numpy(), "c": done["completed_on"]}
            )
            .groupby(["s", "p"], as_index=False)["c"]
            .min()
        )
        rows = pd.DataFrame({"j": j, "s": s, "m": m, "t": a["taken_on"].to_numpy()}).merge(
            mp, on="m"
        )
        rows = rows.merge(first, on=["s", "p"], how="left")
        ok = (rows["c"] < rows["t"]).to_numpy()  # NaT (never completed) is False
        allok = pd.Series(ok).groupby(rows["j"].to_numpy()).all()
        out[allok.index.to_numpy()[allok.to_numpy()], 1] = 1.0
    return out


def context_sums(snap: Snapshot, flags: np.ndarray | None = None) -> pd.DataFrame:
    """Per module with scores: ``module_id``, ``n_rel`` and ``n_pre`` (scores with each
    context indicator set), over every assessment in the snapshot."""
    flags = context_flags(snap) if flags is None else flags
    m = snap.assess["m"].to_numpy()
    n_m = len(snap.modules)
    n = np.bincount(m, minlength=n_m)
    keep = n > 0
    return pd.DataFrame(
        {
            "module_id": snap.modules["module_id"].to_numpy()[keep],
            "n_rel": np.bincount(m, weights=flags[:, 0], minlength=n_m)[keep].astype(np.int64),
            "n_pre": np.bincount(m, weights=flags[:, 1], minlength=n_m)[keep].astype(np.int64),
        }
    )


@dataclass
class ScoreRows:
    """Every score of a population as of a date with its context indicators — what the
    context offsets and the skill priors are estimated from.  Built from a snapshot
    (``score_rows``) or from the store's cached score facts (``features.person``); both
    give the same rows."""

    staff_id: np.ndarray  # per score (any sortable ids: the order is what counts)
    module_id: np.ndarray | pd.Categorical
    score: np.ndarray  # points
    taken_on: np.ndarray  # datetime64[ns]
    flags: np.ndarray  # n × 2: rel, pre (``context_flags``)


def score_rows(snap: Snapshot, flags: np.ndarray | None = None) -> ScoreRows:
    """The snapshot's assessments as ``ScoreRows``."""
    a = snap.assess
    return ScoreRows(
        staff_id=snap.staff["staff_id"].to_numpy()[a["s"].to_numpy()],
        module_id=snap.modules["module_id"].to_numpy()[a["m"].to_numpy()],
        score=a["score"].to_numpy(float),
        taken_on=a["taken_on"].to_numpy().astype("datetime64[ns]"),
        flags=context_flags(snap) if flags is None else flags,
    )


def population_statistics(
    rows: ScoreRows,
    modules: pd.DataFrame,
    skills: pd.DataFrame,
    module_skills: pd.DataFrame,
    as_of: pd.Timestamp,
    half_life_days: float = HALF_LIFE_DAYS,
    prior_strength: float = PRIOR_STRENGTH,
) -> tuple[np.ndarray, pd.DataFrame]:
    """The context offsets (``context_effects``) and, per module with scores,
    ``module_id``, ``n``, ``total`` (thousandths of a point, as ``module_score_sums``),
    ``n_rel`` and ``n_pre`` (as ``context_sums``) of a population's scores.

    The scores are put in one canonical order first (staff id, date, module id, score;
    rows equal on those are equal), so the floating-point result depends only on the
    set of scores, not on the order a back end returns them in: computed from a
    snapshot or from the cached score facts, it is bit-for-bit the same."""
    n_m, n_k = len(modules), len(skills)
    mods = pd.Index(modules["module_id"])
    if isinstance(rows.module_id, pd.Categorical):  # the score facts' (few categories)
        codes = rows.module_id.codes
        m = np.where(codes >= 0, mods.get_indexer(rows.module_id.categories)[codes], -1)
    else:
        m = mods.get_indexer(rows.module_id)
    keep = m >= 0
    m, score, flags = m[keep], rows.score[keep].astype(float), rows.flags[keep]
    taken = rows.taken_on[keep].astype("datetime64[ns]")
    g = pd.factorize(rows.staff_id[keep], sort=True)[0]
    rank = np.empty(n_m, dtype=np.int64)
    rank[np.argsort(modules["module_id"].to_numpy().astype(str), kind="stable")] = np.arange(n_m)
    keys = (score, rank[m], taken.view(np.int64), g)
    if not _in_order(keys):  # the score facts come in this order already
        order = np.lexsort(keys)
        g, m, score, taken, flags = g[order], m[order], score[order], taken[order], flags[order]
    milli = np.floor(score * MILLI + 0.5).astype(np.int64)
    cnt = np.bincount(m, minlength=n_m).astype(np.int64)
    # whole numbers summed in float64 are exact below 2**53 (≈ 9·10¹⁰ scores of 100)
    total = np.bincount(m, weights=milli, minlength=n_m).astype(np.int64)
    n_rel = np.bincount(m, weights=flags[:, 0], minlength=n_m).astype(np.int64)
    n_pre = np.bincount(m, weights=flags[:, 1], minlength=n_m).astype(np.int64)
    has = cnt > 0
    sums = pd.DataFrame(
        {
            "module_id": modules["module_id"].to_numpy()[has],
            "n": cnt[has],
            "total": total[has],
            "n_rel": n_rel[has],
            "n_pre": n_pre[has],
        }
    )
    if len(score) < 3:
        return np.zeros(2), sums
    links = _links(modules, skills, module_skills).sort_values(["m", "k"], kind="stable")
    priors = np.vstack(
        [
            _priors(links, n_k, cnt, total / (100.0 * MILLI)),
            _priors(links, n_k, cnt, n_rel.astype(float)),
            _priors(links, n_k, cnt, n_pre.astype(float)),
        ]
    )
    age = (as_of.to_datetime64() - taken) / np.timedelta64(1, "D")
    y = np.column_stack([score / 100.0, flags])
    resid = _residuals(g, m, age, y, priors, links, n_m, n_k, half_life_days, prior_strength)
    design = np.column_stack([np.ones(len(score)), resid[:, 1], resid[:, 2]])
    coef, *_ = np.linalg.lstsq(design, resid[:, 0], rcond=None)
    return coef[1:], sums


def _in_order(keys: tuple[np.ndarray, ...]) -> bool:
    """Rows already sorted as ``np.lexsort(keys)`` sorts them (last key first)."""
    ok = np.ones(max(len(keys[0]) - 1, 0), dtype=bool)
    for key in keys:  # from the least significant key up
        d = np.diff(key)
        ok = (d > 0) | ((d == 0) & ok)
    return bool(ok.all())


def context_effects(
    snap: Snapshot,
    half_life_days: float = HALF_LIFE_DAYS,
    prior_strength: float = PRIOR_STRENGTH,
    flags: np.ndarray | None = None,
) -> np.ndarray:
    """Population-wide score offsets (score/100 units) of the two context indicators
    (``context_flags``), jointly with mastery: the fit is affine in the scores (priors
    included), so the offsets minimising the residual sum of squares over every
    assessment are the least-squares regression of the raw scores' residual on the
    indicators' own residuals (each indicator fitted like a score, Frisch–Waugh), with
    an intercept (``population_statistics``)."""
    return population_statistics(
        score_rows(snap, flags),
        snap.modules,
        snap.skills,
        snap.module_skills,
        snap.as_of,
        half_life_days,
        prior_strength,
    )[0]


def _residuals(
    g: np.ndarray,
    m: np.ndarray,
    age: np.ndarray,
    y: np.ndarray,
    priors: np.ndarray,
    links: pd.DataFrame,
    n_m: int,
    n_k: int,
    half_life_days: float,
    prior_strength: float,
) -> np.ndarray:
    """Per-score residuals of the joint ridge fit (the arithmetic of ``_fit``) of each
    column of ``y`` with its row of ``priors``, person ``g``, module ``m``.  Only
    (person, skill) pairs with evidence are kept, so the cost follows the number of
    scores, not staff × skills."""
    lm, lk, ls = (links[c].to_numpy() for c in ("m", "k", "share"))
    per = np.bincount(lm, minlength=n_m)
    start = np.cumsum(per) - per
    reps = per[m]
    j = np.repeat(np.arange(len(m)), reps)  # each score once per skill its module teaches
    pos = np.repeat(start[m] - (np.cumsum(reps) - reps), reps) + np.arange(len(j))
    k, share = lk[pos], ls[pos]
    e = share * np.power(0.5, age / half_life_days)[j]
    keys, key = np.unique(g[j].astype(np.int64) * n_k + k, return_inverse=True)
    k_of = keys % n_k
    den = np.bincount(key, weights=e, minlength=len(keys))
    resid = np.empty_like(y)
    mastery = np.empty((len(keys), y.shape[1]))
    for c in range(y.shape[1]):
        num = np.bincount(key, weights=e * y[j, c], minlength=len(keys))
        mastery[:, c] = (prior_strength * priors[c, k_of] + num) / (prior_strength + den)
        resid[:, c] = y[:, c] - np.bincount(j, weights=share * mastery[key, c], minlength=len(m))
    order = np.argsort(k, kind="stable")
    bounds = np.searchsorted(k[order], np.arange(n_k + 1))
    groups = []
    for kk in range(n_k):
        idx = order[bounds[kk] : bounds[kk + 1]]
        if len(idx):
            uk, inv = np.unique(key[idx], return_inverse=True)
            dd = np.bincount(inv, weights=e[idx] * share[idx])
            groups.append((kk, j[idx], share[idx], e[idx], uk, inv, prior_strength + dd))
    for _ in range(SWEEPS):
        for kk, jj, sh, ei, uk, inv, denom in groups:
            for c in range(y.shape[1]):
                old = mastery[uk, c]
                nn = np.bincount(inv, weights=ei * (resid[jj, c] + sh * old[inv]))
                new = (prior_strength * priors[c, kk] + nn) / denom
                mastery[uk, c] = new
                # a score meets each skill once (module_skills is keyed by module and
                # skill), so ``jj`` has no repeats and plain indexing is exact
                resid[jj, c] -= sh * (new - old)[inv]
    return resid
