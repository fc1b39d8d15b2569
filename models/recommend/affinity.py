"""``content-affinity``: the share of a person's past modules that share a skill.

score(person, module) = Σₚ ω(statusₚ) · [skills(moduleₚ) ∩ skills(module) ≠ ∅] /
Σₚ ω(statusₚ), over the person's participations known at fit time (completed and
enrolled weigh 1, dropped ``dropped_weight``, no-show 0).  A one-line content peer: on
the Canvas Network data (skills = disciplines) it is "the share of your past courses
in this course's discipline".  It needs no one to have taken the module before.  Ties
(and people with no history: every score 0) go by module id.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from features.asof import Tables
from models.recommend.base import Recommender
from models.recommend.data import Interactions
from models.recommend.filters import Batch
from models.recommend.reason_text import listing, words

__all__ = ["ContentAffinity"]


class ContentAffinity(Recommender):
    """Share of the person's past participations sharing a skill with the module.

    Parameters
    ----------
    dropped_weight : float
        Weight of a dropped participation (completed and enrolled weigh 1, no-show 0).

    Attributes
    ----------
    weights_ : CSR (people × modules) participation weights known at fit time.
    overlap_ : CSR bool (modules × modules): the two modules share a skill.
    """

    reason = "affinity"

    def __init__(self, dropped_weight: float = 0.5) -> None:
        self.dropped_weight = dropped_weight

    def _fit(self, data: Interactions, tables: Tables) -> None:
        if not 0 <= self.dropped_weight <= 1:
            raise ValueError(f"dropped_weight must be in [0, 1], got {self.dropped_weight!r}")
        omega = {"completed": 1.0, "enrolled": 1.0, "dropped": float(self.dropped_weight)}
        p = tables["participations"]
        w = p["status"].astype(str).map(omega).fillna(0.0).to_numpy(float)
        r = data.users.get_indexer(p["staff_id"].astype(str).to_numpy(dtype=object))
        c = data.items.get_indexer(p["module_id"].astype(str).to_numpy(dtype=object))
        ok = (r >= 0) & (c >= 0) & (w > 0)
        self.weights_ = sp.csr_matrix(
            (w[ok], (r[ok], c[ok])), shape=(len(data.users), len(data.items))
        )
        self.overlap_ = _overlap(data.items, tables.get("module_skills"))
        self.skill_names_ = _skill_names(data.items, tables)

    def _affinity(self, batch: Batch) -> np.ndarray:
        known = batch.rows >= 0
        out = np.zeros((len(batch.rows), len(self.data_.items)))
        if known.any():
            w = self.weights_[batch.rows[known]]
            total = np.asarray(w.sum(axis=1)).ravel()
            shared = np.asarray((w @ self.overlap_).todense())
            out[known] = shared / np.maximum(total, 1e-12)[:, None]
        return out

    def _scores(self, batch: Batch) -> np.ndarray:
        return self._affinity(batch)

    def _reasons(self, batch: Batch, person: np.ndarray, item: np.ndarray) -> np.ndarray:
        share = self._affinity(batch)[person, item]
        out = np.empty(len(person), dtype=object)
        for n, (s, j) in enumerate(zip(share, item, strict=True)):
            if s > 0:
                skills = listing(self.skill_names_[j])
                out[n] = words("affinity", share=f"{s:.0%}", skills=skills)
            else:
                out[n] = words("affinity_none")
        return out


def _overlap(items: pd.Index, module_skills: pd.DataFrame | None) -> sp.csr_matrix:
    n = len(items)
    if module_skills is None or module_skills.empty:
        return sp.identity(n, dtype=np.float64, format="csr")
    ms = module_skills
    m = items.get_indexer(ms["module_id"].astype(str).to_numpy(dtype=object))
    skills, s = np.unique(ms["skill_id"].astype(str).to_numpy(), return_inverse=True)
    ok = m >= 0
    x = sp.csr_matrix((np.ones(ok.sum()), (m[ok], s[ok])), shape=(n, len(skills)))
    share = (x @ x.T).tocsr()
    share.data[:] = 1.0
    return (
        (share + sp.identity(n, format="csr")).minimum(1.0).tocsr()
    )  # a module shares with itself


def _skill_names(items: pd.Index, tables: Tables) -> np.ndarray:
    """Per module: the sorted names of its skills (a list each; the id where a skill has
    no name), for the reasons."""
    ms, skills = tables.get("module_skills"), tables.get("skills")
    out = np.empty(len(items), dtype=object)
    for i in range(len(items)):
        out[i] = []
    if ms is None or ms.empty:
        return out
    names = {}
    if skills is not None and len(skills):
        names = dict(zip(skills["skill_id"].astype(str), skills["name"].astype(str), strict=True))
    ms = ms.assign(name=ms["skill_id"].astype(str).map(lambda k: names.get(k, k)))
    joined = ms.groupby(ms["module_id"].astype(str))["name"].agg(lambda v: sorted(set(v)))
    for i, m in enumerate(items):
        out[i] = joined.get(m, [])
    return out
