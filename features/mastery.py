"""Skill mastery per person, estimated from assessment scores, on the role-target scale.

Scale (the link from scores to targets).  ``role_requirements.level`` is a number in
0..1; mastery is put on the same scale by reading a level as a share of the score
range: **mastery 0.8 means "expected to score 80/100 on the modules that teach the
skill"** (an assessment score *x* in points is evidence ``x / 100``).  A role target of
0.8 therefore asks for consistently good (良好) scores, 0.6 for passing ones.

Estimator (documented choice): a joint ridge fit per person.  The demo generator (and
the plan's assessments) score a module on the weighted mix of the skills it teaches,
so a score *x* on module *m* is evidence ``x / 100 ≈ Σ_k share_mk · m_ik`` with
``share_mk = w_mk / Σ_k' w_mk'`` (``w_mk`` the module→skill weight), not evidence
that every skill it teaches is at *x*.  Per person, mastery minimises

    Σ_scores d · (x/100 − Σ_k share_mk · m_ik)²  +  prior_strength · Σ_k (m_ik − p_k)²,
    d = 0.5 ** (age_days / half_life_days)

(the age counted back from the as-of date, so older evidence fades).  ``p_k`` is the
share-weighted mean of all scores on skill *k* as of the date (the overall mean where a
skill has none).  It is solved for everyone at once by ``SWEEPS`` Gauss–Seidel sweeps
over the skills (each step the exact ridge update of one skill given the person's
others), started from the shrunk mean that credits each skill with the whole score;
people never share terms, so one person's answer is the same alone or in the whole
store.  For a module teaching one skill this is the shrunk mean
``(prior_strength · p_k + Σ d·x/100) / (prior_strength + Σ d)``: a person with no
evidence has the prior and ``evidence`` (Σ share·d) 0; one fresh perfect score gives
``(0.25·p_k + 1) / 1.25`` ≈ 0.94 with typical ``p_k`` ≈ 0.68, and two recent scores of
85 give ≈ 0.83.

Context offsets (documented choice, issue 6 item 9).  Two things raise a score without
being mastery, both plausible in real training and both observable:
**role relevance** — the person's role requires a skill the module teaches (people
try harder on training their job needs) — and **readiness** — the module has
prerequisites and the person completed all of them before the attempt (strictly
before ``taken_on``).  ``context_flags`` computes the two 0/1 indicators per score
from the person's own records and the catalogue; ``context_effects`` learns one offset
per indicator from the whole population as of the date, and the fit above runs on
``x/100 − b_rel·rel − b_pre·pre`` (priors from the same adjusted scores).  The offsets
are the joint least-squares optimum over every assessment (unweighted, with an
intercept): the ridge fit is affine in the scores, so they are the regression of the
raw scores' residual on each indicator's own residual after the same fit
(Frisch–Waugh; one step, where alternating fit/regress needs ~20 rounds).  On the
demo (seeds 0 / 11 / 23) the estimates are ``b_pre`` ≈ 7.9–8.2 points (the generator
adds 8) and ``b_rel`` ≈ 1.5–2.1 (it adds 5): role relevance is fixed for a person and
a skill, so on single-skill modules it cannot be told from mastery and is only
identified through multi-skill modules and the prior — the remainder stays in
mastery.  The one-person path gets the population's offsets and indicator counts
from a cache keyed by data version (``features.person.population_context``).

Prior strength and half-life were chosen by validation against the demo generator's
latent mastery (``benchmarks/validate_mastery.py``: seeds 0 and 11, 2,300
organizations, as of 2026-06-30 and 2027-12-31; seed 23 only to confirm).
Correlation with the latent mastery for people with ≥ 2 scores on modules mainly
teaching the skill ("main") and on any module teaching it ("all"), half-life 3 years:

    setting              with context offsets, prior_strength    no offsets  plain
                         0      0.25   0.5    1      2            (0.25)      mean
    main seed 0, 26-06   0.813  0.835  0.833  0.830  0.824        0.800       0.793
    main seed 0, 27-12   0.842  0.844  0.839  0.832  0.821        0.803       0.796
    main seed 11, 26-06  0.756  0.803  0.799  0.794  0.785        0.755       0.748
    main seed 11, 27-12  0.819  0.817  0.812  0.804  0.793        0.766       0.760
    all  seed 0, 26-06   0.787  0.816  0.815  0.811  0.803        0.781       0.772
    all  seed 0, 27-12   0.809  0.823  0.817  0.809  0.796        0.780       0.768
    all  seed 11, 26-06  0.687  0.757  0.753  0.746  0.735        0.704       0.697
    all  seed 11, 27-12  0.746  0.774  0.768  0.758  0.744        0.720       0.710
    (seed 23 at 0.25: main 0.811 / 0.829, all 0.785 / 0.806; no offsets 0.773 /
    0.784, 0.745 / 0.762.  At strength 0 the offsets are not identified — seed 23
    drops to 0.48 — so the prior is needed.)

0.25 is best in every setting but one (validation, not theory: the generator's ratio
of score noise to skill signal, 6² + 3.6² diligence over 10², would suggest ≈ 0.5).
The generator's mastery does not change over time, so validation favours no decay
(≤ 0.005 better than three years, a one-year half-life costs up to 0.025); a
half-life of three years — the plan's window — lets training done long ago count
less.  A person offset for diligence (the generator's ``6·d_i``) is not modelled.
Scores are summed per module in integer thousandths of a point (``module_score_sums``),
and the offsets' fit runs over the scores in one canonical order
(``population_statistics``), so that priors and offsets computed from a whole-store
snapshot or from the store's cached score facts (``engine.stats``, the one-person
path) are bit-for-bit the same.

``MasteryTable`` keeps dense staff × skill sums so that looking up any person's
mastery of any skill is O(1) even for millions of staff.

Modules: ``features.mastery_priors`` (the settings, skill links, priors),
``features.mastery_context`` (context indicators and offsets, the population's
statistics); here ``MasteryTable`` and the fit (``skill_mastery``).  The names this
module held before the split are re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.mastery_context import (
    ScoreRows,
    context_effects,
    context_flags,
    context_sums,
    population_statistics,
    score_rows,
)
from features.mastery_priors import (
    HALF_LIFE_DAYS,
    MILLI,
    PRIOR_STRENGTH,
    SWEEPS,
    module_score_sums,
    skill_links,
    skill_priors,
)
from features.snapshot import Snapshot

__all__ = [
    "HALF_LIFE_DAYS",
    "MILLI",
    "PRIOR_STRENGTH",
    "SWEEPS",
    "MasteryTable",
    "ScoreRows",
    "context_effects",
    "context_flags",
    "context_sums",
    "module_score_sums",
    "population_statistics",
    "score_rows",
    "skill_links",
    "skill_mastery",
    "skill_priors",
]


@dataclass
class MasteryTable:
    skills: pd.Index  # skill ids; column k
    prior: np.ndarray  # per skill
    mastery: np.ndarray  # flat staff × skills (the prior where there is no evidence)
    den: np.ndarray  # flat staff × skills: evidence Σ e
    prior_strength: float
    effects: np.ndarray | None = None  # context offsets subtracted (score / 100 units)

    def lookup(self, s: np.ndarray, k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mastery and evidence of staff codes ``s`` on skill codes ``k``."""
        key = s.astype(np.int64) * len(self.skills) + k
        return self.mastery[key], self.den[key]

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
    prior: np.ndarray | None = None,
    sweeps: int = SWEEPS,
    effects: np.ndarray | None = None,
) -> MasteryTable:
    """Mastery of every staff member in ``snap`` of every skill.

    ``effects`` (the context offsets) default to ``context_effects`` of the snapshot,
    and ``prior`` (per skill code) to ``skill_priors`` of the snapshot's own
    assessments less those offsets; pass the population's (both) when ``snap`` holds
    only some staff (one person's profile), so the answer equals the whole-population
    one."""
    skills = pd.Index(snap.skills["skill_id"])
    flags = context_flags(snap)
    if effects is None:
        effects = context_effects(snap, half_life_days, prior_strength)
    effects = np.asarray(effects, dtype=float)
    if prior is None:
        prior = skill_priors(snap, module_score_sums(snap), effects, context_sums(snap, flags))
    prior = np.asarray(prior, dtype=float)
    mastery, den, _ = _fit(snap, half_life_days, prior_strength, prior, sweeps, effects, flags)
    return MasteryTable(skills, prior, mastery, den, prior_strength, effects)


def _fit(
    snap: Snapshot,
    half_life_days: float,
    prior_strength: float,
    prior: np.ndarray,
    sweeps: int,
    effects: np.ndarray,
    flags: np.ndarray,
    y: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The joint ridge fit on context-adjusted scores: flat mastery, evidence, and the
    per-score residuals."""
    n_k = len(snap.skills)
    links = skill_links(snap)[["m", "k", "share"]]
    a = snap.assess
    age = (snap.as_of.to_datetime64() - a["taken_on"].to_numpy()) / np.timedelta64(1, "D")
    decay = np.power(0.5, age / half_life_days)
    if y is None:
        y = a["score"].to_numpy(float) / 100.0 - flags @ effects
    rows = pd.DataFrame({"m": a["m"].to_numpy(), "j": np.arange(len(a))}).merge(links, on="m")
    j, k, share = rows["j"].to_numpy(), rows["k"].to_numpy(), rows["share"].to_numpy()
    key = a["s"].to_numpy().astype(np.int64)[j] * n_k + k
    size = snap.n_staff * n_k
    e = share * decay[j]
    den = np.bincount(key, weights=e, minlength=size)
    # start from the shrunk mean of the scores crediting each skill with the whole score
    num = np.bincount(key, weights=e * y[j], minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):  # strength 0, no evidence
        mastery = (prior_strength * np.tile(prior, snap.n_staff) + num) / (prior_strength + den)
    del num
    resid = y - np.bincount(j, weights=share * mastery[key], minlength=len(a))
    # Gauss–Seidel over skills: each (person, skill) in turn is the ridge solution given
    # the person's other skills; people are independent, so one person's answer is the
    # same whether solved alone or with the whole store
    order = np.argsort(k, kind="stable")
    bounds = np.searchsorted(k[order], np.arange(n_k + 1))
    groups = []
    for kk in range(n_k):
        idx = order[bounds[kk] : bounds[kk + 1]]
        if len(idx):
            uk, inv = np.unique(key[idx], return_inverse=True)
            dd = np.bincount(inv, weights=e[idx] * share[idx])
            groups.append((kk, idx, uk, inv, prior_strength + dd))
    for _ in range(sweeps):
        for kk, idx, uk, inv, denom in groups:
            jj, sh = j[idx], share[idx]
            old = mastery[uk]
            nn = np.bincount(inv, weights=e[idx] * (resid[jj] + sh * old[inv]))
            new = (prior_strength * prior[kk] + nn) / denom
            mastery[uk] = new
            np.subtract.at(resid, jj, sh * (new - old)[inv])
    return mastery, den, resid
