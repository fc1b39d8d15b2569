"""Skill mastery per person, estimated from assessment scores.

Estimator (documented choice).  Every assessment of module *m* with score *x* (on a
0–1 scale) is evidence about each skill *k* the module teaches, with weight

    e = w_mk · 0.5 ** (age_days / half_life_days)

(``w_mk`` the module→skill weight, the age counted back from the as-of date), so older
evidence fades.  Mastery is the evidence-weighted mean shrunk toward the skill's
population mean ``p_k`` with ``prior_strength`` pseudo-observations:

    mastery_ik = (prior_strength · p_k + Σ e·x) / (prior_strength + Σ e)

A person with no evidence on a skill has the prior and ``evidence`` 0; one with a
single recent full-weight score moves a third of the way to it (with the default
``prior_strength`` = 2).  ``p_k`` is the weighted mean of all scores on skill *k* as
of the date (the overall mean where a skill has none).

``MasteryTable`` keeps dense staff × skill sums so that looking up any person's
mastery of any skill is O(1) even for millions of staff.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.snapshot import Snapshot

HALF_LIFE_DAYS = 365.0
PRIOR_STRENGTH = 2.0


@dataclass
class MasteryTable:
    skills: pd.Index  # skill ids; column k
    prior: np.ndarray  # per skill
    num: np.ndarray  # flat staff × skills: Σ e·x
    den: np.ndarray  # flat staff × skills: Σ e
    prior_strength: float

    def lookup(self, s: np.ndarray, k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mastery and evidence of staff codes ``s`` on skill codes ``k``."""
        key = s.astype(np.int64) * len(self.skills) + k
        den = self.den[key]
        mastery = (self.prior_strength * self.prior[k] + self.num[key]) / (
            self.prior_strength + den
        )
        return mastery, den

    def long(self, staff_ids: np.ndarray) -> pd.DataFrame:
        """Every (staff, skill) with evidence: staff_id, skill_id, mastery, evidence."""
        idx = np.flatnonzero(self.den > 0)
        s, k = idx // len(self.skills), idx % len(self.skills)
        mastery, den = self.lookup(s, k)
        return pd.DataFrame(
            {
                "staff_id": staff_ids[s],
                "skill_id": self.skills.to_numpy()[k],
                "mastery": np.round(mastery, 4),
                "evidence": np.round(den, 4),
            }
        )


def skill_mastery(
    snap: Snapshot,
    half_life_days: float = HALF_LIFE_DAYS,
    prior_strength: float = PRIOR_STRENGTH,
) -> MasteryTable:
    skills = pd.Index(snap.skills["skill_id"])
    ms = snap.module_skills
    m_code = pd.Index(snap.modules["module_id"]).get_indexer(ms["module_id"])
    k_code = skills.get_indexer(ms["skill_id"])
    links = pd.DataFrame({"m": m_code, "k": k_code, "w": ms["weight"].to_numpy(float)})
    a = snap.assess
    joined = a[["s", "m", "taken_on", "score"]].merge(links, on="m")
    age = (snap.as_of.to_datetime64() - joined["taken_on"].to_numpy()) / np.timedelta64(1, "D")
    e = joined["w"].to_numpy() * np.power(0.5, age / half_life_days)
    x = joined["score"].to_numpy() / 100.0
    k = joined["k"].to_numpy()
    n_k = len(skills)
    wsum = np.bincount(k, weights=joined["w"].to_numpy(), minlength=n_k)
    wx = np.bincount(k, weights=joined["w"].to_numpy() * x, minlength=n_k)
    overall = float(wx.sum() / wsum.sum()) if wsum.sum() > 0 else 0.5
    prior = np.where(wsum > 0, wx / np.maximum(wsum, 1e-12), overall)
    key = joined["s"].to_numpy().astype(np.int64) * n_k + k
    size = snap.n_staff * n_k
    num = np.bincount(key, weights=e * x, minlength=size)
    den = np.bincount(key, weights=e, minlength=size)
    return MasteryTable(skills, prior, num, den, prior_strength)
