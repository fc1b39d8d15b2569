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
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.snapshot import Snapshot

HALF_LIFE_DAYS = 3 * 365.0
PRIOR_STRENGTH = 0.25
#: Gauss–Seidel sweeps over the skills (the joint fit settles within two)
SWEEPS = 4
#: scores are summed per module in these units (thousandths of a point) for the prior
MILLI = 1000


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


def _priors(links: pd.DataFrame, n_k: int, cnt: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Share-weighted mean per skill code of per-module sums ``x`` over counts ``cnt``."""
    m, k, share = links["m"].to_numpy(), links["k"].to_numpy(), links["share"].to_numpy()
    wn = np.bincount(k, weights=share * cnt[m], minlength=n_k)
    wx = np.bincount(k, weights=share * x[m], minlength=n_k)
    overall = float(x.sum() / cnt.sum()) if cnt.sum() > 0 else 0.5
    return np.where(wn > 0, wx / np.where(wn > 0, wn, 1.0), overall)


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
