"""Skill mastery per person, estimated from assessment scores, on the role-target scale.

Scale (the link from scores to targets).  ``role_requirements.level`` is a number in
0..1; mastery is put on the same scale by reading a level as a share of the score
range: **mastery 0.8 means "expected to score 80/100 on the modules that teach the
skill"** (an assessment score *x* in points is evidence ``x / 100``).  A role target of
0.8 therefore asks for consistently good (良好) scores, 0.6 for passing ones.

Estimator (documented choice).  A module teaching several skills splits its evidence
between them by weight: every assessment of module *m* with score *x* is evidence
about each skill *k* the module teaches, with weight

    e = share_mk · 0.5 ** (age_days / half_life_days),   share_mk = w_mk / Σ_k' w_mk'

(``w_mk`` the module→skill weight, the age counted back from the as-of date), so
older evidence fades.  Mastery is the evidence-weighted mean score shrunk toward the
skill's population mean ``p_k`` with ``prior_strength`` pseudo-observations:

    mastery_ik = (prior_strength · p_k + Σ e·x/100) / (prior_strength + Σ e)

``p_k`` is the share-weighted mean of all scores on skill *k* as of the date (the
overall mean where a skill has none).  A person with no evidence has the prior and
``evidence`` 0; one fresh perfect score on a module teaching only that skill gives
``(0.5·p_k + 1) / 1.5`` ≈ 0.89 with typical ``p_k`` ≈ 0.68, above a 0.8 target, and
two recent scores of 85 give ≈ 0.82.

Prior strength and half-life were chosen by validation against the demo generator's
latent mastery (``benchmarks/validate_mastery.py``: seeds 0 and 11, 2,300
organizations, as of 2026-06-30 and 2027-12-31).  Correlation with the latent mastery
for people with ≥ 2 scores on modules mainly teaching the skill (half-life 3 years):

    prior_strength     0      0.25   0.5    1      2      plain weighted mean
    seed 0, 2026-06    0.803  0.801  0.798  0.792  0.778  0.795
    seed 0, 2027-12    0.800  0.798  0.795  0.788  0.772  0.800
    seed 11, 2026-06   0.781  0.780  0.778  0.774  0.765  0.781
    seed 11, 2027-12   0.761  0.758  0.755  0.748  0.735  0.759

and for ≥ 2 scores on any module teaching it 0.720 / 0.730 / 0.688 / 0.679 at 0.5,
against 0.716 / 0.728 / 0.684 / 0.672 for the plain mean.  The curve is flat below 1;
0.5 matches the generator's ratio of score noise to skill signal (6² / 10² ≈ 0.4) and
keeps a single noisy score from swinging mastery fully.  The generator's mastery does
not change over time, so validation favours no decay (a one-year half-life costs up to
0.03); a half-life of three years — the plan's window — lets training done long ago
count less at a cost of ≤ 0.01.  The old defaults (strength 2, one-year half-life,
raw weights) squeezed mastery to sd 0.025 and ranked people worse than the plain mean.
Scores are summed per module in integer thousandths of a point
(``module_score_sums``) so that a prior computed from the whole store, by SQL or in
memory, is bit-for-bit the same.

``MasteryTable`` keeps dense staff × skill sums so that looking up any person's
mastery of any skill is O(1) even for millions of staff.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.snapshot import Snapshot

HALF_LIFE_DAYS = 3 * 365.0
PRIOR_STRENGTH = 0.5
#: scores are summed per module in these units (thousandths of a point) for the prior
MILLI = 1000


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


def skill_links(snap: Snapshot) -> pd.DataFrame:
    """Module code ``m`` → skill code ``k`` with the module's ``share`` of its weight."""
    ms = snap.module_skills
    m = pd.Index(snap.modules["module_id"]).get_indexer(ms["module_id"])
    k = pd.Index(snap.skills["skill_id"]).get_indexer(ms["skill_id"])
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


def skill_priors(snap: Snapshot, sums: pd.DataFrame) -> np.ndarray:
    """Population mean mastery ``p_k`` per skill code from per-module score sums."""
    links = skill_links(snap)
    m_code = pd.Index(snap.modules["module_id"]).get_indexer(sums["module_id"])
    n_m, n_k = len(snap.modules), len(snap.skills)
    cnt = np.zeros(n_m, dtype=np.int64)
    tot = np.zeros(n_m, dtype=np.int64)
    ok = m_code >= 0
    cnt[m_code[ok]] = sums["n"].to_numpy(np.int64)[ok]
    tot[m_code[ok]] = sums["total"].to_numpy(np.int64)[ok]
    m, k, share = links["m"].to_numpy(), links["k"].to_numpy(), links["share"].to_numpy()
    wn = np.bincount(k, weights=share * cnt[m], minlength=n_k)
    wx = np.bincount(k, weights=share * tot[m] / (100.0 * MILLI), minlength=n_k)
    overall = float(tot.sum() / (100.0 * MILLI) / cnt.sum()) if cnt.sum() > 0 else 0.5
    return np.where(wn > 0, wx / np.where(wn > 0, wn, 1.0), overall)


def skill_mastery(
    snap: Snapshot,
    half_life_days: float = HALF_LIFE_DAYS,
    prior_strength: float = PRIOR_STRENGTH,
    prior: np.ndarray | None = None,
) -> MasteryTable:
    """Mastery of every staff member in ``snap`` of every skill.

    ``prior`` (per skill code) defaults to ``skill_priors`` of the snapshot's own
    assessments; pass the population's when ``snap`` holds only some staff (one
    person's profile), so the answer equals the whole-population one."""
    skills = pd.Index(snap.skills["skill_id"])
    if prior is None:
        prior = skill_priors(snap, module_score_sums(snap))
    links = skill_links(snap)[["m", "k", "share"]]
    a = snap.assess
    joined = a[["s", "m", "taken_on", "score"]].merge(links, on="m")
    age = (snap.as_of.to_datetime64() - joined["taken_on"].to_numpy()) / np.timedelta64(1, "D")
    e = joined["share"].to_numpy() * np.power(0.5, age / half_life_days)
    x = joined["score"].to_numpy(float) / 100.0
    n_k = len(skills)
    key = joined["s"].to_numpy().astype(np.int64) * n_k + joined["k"].to_numpy()
    size = snap.n_staff * n_k
    num = np.bincount(key, weights=e * x, minlength=size)
    den = np.bincount(key, weights=e, minlength=size)
    return MasteryTable(skills, np.asarray(prior, dtype=float), num, den, prior_strength)
