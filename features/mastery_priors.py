"""The mastery estimate's settings (half-life, prior strength, sweeps; chosen as
``features.mastery``'s docstring documents), the module → skill links with each
module's share of its weight, and the population prior ``p_k`` per skill from
per-module score sums in thousandths of a point."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.snapshot import Snapshot

HALF_LIFE_DAYS = 3 * 365.0
PRIOR_STRENGTH = 0.25
#: Gauss–Seidel sweeps over the skills (the joint fit settles within two)
SWEEPS = 4
#: scores are summed per module in these units (thousandths of a point) for the prior
MILLI = 1000


def skill_links(snap: Snapshot) -> pd.DataFrame:
    """Module code ``m`` → skill code ``k`` with the module's ``share`` of its weight."""
    return _links(snap.modules, snap.skills, snap.module_skills)


def _links(modules: pd.DataFrame, skills: pd.DataFrame, ms: pd.DataFrame) -> pd.DataFrame:
    m = pd.Index(modules["module_id"]).get_indexer(ms["module_id"])
    k = pd.Index(skills["skill_id"]).get_indexer(ms["skill_id"])
    links = pd.DataFrame({"m": m, "k": k, "w": ms["weight"].to_numpy(float)})
    links = links[(links["m"] >= 0) & (links["k"] >= 0)]
    total = links.groupby("m")["w"].transform("sum").to_numpy()
    return links.assign(share=np.where(total > 0, links["w"].to_numpy() / total, 0.0))


def module_score_sums(snap: Snapshot) -> pd.DataFrame:
    """Per module: ``module_id``, ``n`` scores and their ``total`` in thousandths of a
    point, over every assessment in the snapshot (what ``skill_priors`` needs)."""
    a = snap.assess
    m = a["m"].to_numpy()
    milli = np.floor(a["score"].to_numpy(float) * MILLI + 0.5).astype(np.int64)
    n_m = len(snap.modules)
    n = np.bincount(m, minlength=n_m).astype(np.int64)
    total = np.zeros(n_m, dtype=np.int64)
    np.add.at(total, m, milli)  # exact integer sums, whatever the order
    keep = n > 0
    return pd.DataFrame(
        {
            "module_id": snap.modules["module_id"].to_numpy()[keep],
            "n": n[keep],
            "total": total[keep],
        }
    )


def skill_priors(
    snap: Snapshot,
    sums: pd.DataFrame,
    effects: np.ndarray | None = None,
    ctx: pd.DataFrame | None = None,
) -> np.ndarray:
    """Population mean mastery ``p_k`` per skill code from per-module score sums (less
    the context ``effects`` times ``ctx``'s per-module indicator counts, if given)."""
    links = skill_links(snap)
    m_code = pd.Index(snap.modules["module_id"]).get_indexer(sums["module_id"])
    n_m, n_k = len(snap.modules), len(snap.skills)
    cnt = np.zeros(n_m, dtype=np.int64)
    tot = np.zeros(n_m, dtype=np.int64)
    ok = m_code >= 0
    cnt[m_code[ok]] = sums["n"].to_numpy(np.int64)[ok]
    tot[m_code[ok]] = sums["total"].to_numpy(np.int64)[ok]
    x = tot / (100.0 * MILLI)
    if effects is not None and ctx is not None:
        c_code = pd.Index(snap.modules["module_id"]).get_indexer(ctx["module_id"])
        c_ok = c_code >= 0
        nr = np.zeros(n_m, dtype=np.int64)
        npre = np.zeros(n_m, dtype=np.int64)
        nr[c_code[c_ok]] = ctx["n_rel"].to_numpy(np.int64)[c_ok]
        npre[c_code[c_ok]] = ctx["n_pre"].to_numpy(np.int64)[c_ok]
        x = x - effects[0] * nr - effects[1] * npre
    return _priors(links, n_k, cnt, x)


def _priors(links: pd.DataFrame, n_k: int, cnt: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Share-weighted mean per skill code of per-module sums ``x`` over counts ``cnt``."""
    m, k, share = links["m"].to_numpy(), links["k"].to_numpy(), links["share"].to_numpy()
    wn = np.bincount(k, weights=share * cnt[m], minlength=n_k)
    wx = np.bincount(k, weights=share * x[m], minlength=n_k)
    overall = float(x.sum() / cnt.sum()) if cnt.sum() > 0 else 0.5
    return np.where(wn > 0, wx / np.where(wn > 0, wn, 1.0), overall)
