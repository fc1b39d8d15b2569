"""The choice model: which module a person picks next (shared by the generator and the
oracle in ``engine.demo.truth``, so the truth is the generator's own arithmetic).

A person's next choice falls in pool ``online`` (online, live modules) or ``offline``
(offline, blended) with probability proportional to their expected number of draws from
that pool in the month (plus units' call-ups, see ``engine.demo.simulate``).  Within a
pool the choice is one multiplicative logit over the modules ``m`` of the pool::

    P(m) ∝ exp(V[i, k(m)]) · W[i, m]

where ``k(m)`` is the module's primary skill and

``V[i, k]``  (skill level)
    = θ_i · φ_k                                   interests: rank-``INTEREST_RANK`` latent
                                                  topic preferences of the person (θ, sd
                                                  ``interest_sd``) times the skill's topic
                                                  loadings φ (shared within a domain)
    + log(1 + role_focus · [role requires k])     the role's needs
    + need · [role requires k] · max(0, level_rk − mastery_ik)
                                                  the individual gap: role target level minus
                                                  own latent mastery, both on the 0..1 scale
    + org_emphasis · [the org type emphasises k]  organization-type topic emphasis
    + foundation_first · [k is foundation] · max(0, 1 − tenure months / 12)
``W[i, m]``  (module level)
    = c_m(year) · [not yet enrolled in m]         no one takes a module twice
    · exp(seq_boost · [a predecessor of m was completed 1..seq_months months ago])
    · prereq_skip^[some prerequisite of m not completed]
    with c_m(year) = popularity_m · exp(quality_uptake · q_m · min(1, year index / 2)).

A predecessor of ``m`` is a module ``m`` lists as prerequisite or the previous part of its
series.  "Months ago" counts calendar months: a completion in month ``t`` boosts choices made
in months ``t+1 … t+seq_months``.  The generator refreshes completions at the start of each
month, so the state behind a choice in month ``t`` is the history up to the last day of
month ``t−1`` plus every module the person already enrolled in (any status).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.demo.effects import Effects

INTEREST_RANK = 3
POOLS = ("online", "offline")  # pool 1 = the plan's offline volume (offline, blended)


@dataclass
class ChoiceModel:
    """Arrays of the choice model; modules in internal order (sorted by group)."""

    module_ids: np.ndarray  # str, internal order
    group: np.ndarray  # module → group g = pool·K + k
    skill: np.ndarray  # module → primary skill k (0..K−1)
    pool: np.ndarray  # module → 0 online / 1 offline
    hours: np.ndarray
    mode: np.ndarray
    popularity: np.ndarray
    quality: np.ndarray  # latent quality q_m ~ N(0, 1)
    prereq: list[np.ndarray]  # module → its prerequisites (internal indices)
    successors: list[np.ndarray]  # module → modules it boosts when completed
    dependents: list[np.ndarray]  # module → modules listing it as prerequisite
    skill_ids: np.ndarray  # k → skill_id
    foundation: np.ndarray  # k → foundation-tier skill?
    phi: np.ndarray  # K × INTEREST_RANK topic loadings
    level: np.ndarray  # roles × K: role target level (0 = not required)
    emphasis: np.ndarray  # org types × K: 1 where the type emphasises the skill
    fx: Effects

    @property
    def n_skills(self) -> int:
        return len(self.skill_ids)

    @property
    def group_start(self) -> np.ndarray:
        g = np.arange(2 * self.n_skills)
        return np.searchsorted(self.group, g, side="left")

    @property
    def group_end(self) -> np.ndarray:
        g = np.arange(2 * self.n_skills)
        return np.searchsorted(self.group, g, side="right")

    @property
    def n_prereq(self) -> np.ndarray:
        return np.array([len(p) for p in self.prereq], dtype=np.uint8)

    def c_year(self, year_index: int) -> np.ndarray:
        ramp = min(1.0, year_index / 2.0)
        return self.popularity * np.exp(self.fx.quality_uptake * self.quality * ramp)

    def v_static(
        self, theta: np.ndarray, role: np.ndarray, org_type: np.ndarray, mastery: np.ndarray
    ) -> np.ndarray:
        """persons × K skill-level utility without the tenure term (float32).  The gap term
        needs no mask: a skill the role does not require has level 0, and mastery > 0."""
        fx = self.fx
        f32 = np.float32
        level = self.level.astype(f32)
        v = theta.astype(f32) @ self.phi.T.astype(f32)
        v += np.log1p(fx.role_focus * (level > 0)).astype(f32)[role]
        v += (fx.org_emphasis * self.emphasis).astype(f32)[org_type]
        gap = level[role]
        gap -= mastery
        np.maximum(gap, 0.0, out=gap)
        gap *= f32(fx.need)
        v += gap
        return v

    def v_tenure(self, tenure_months: np.ndarray) -> np.ndarray:
        """persons × K: the foundation-first term."""
        fade = np.clip(1.0 - tenure_months / 12.0, 0.0, 1.0)
        return (self.fx.foundation_first * fade[:, None] * self.foundation[None, :]).astype(
            np.float32
        )

    def weights(
        self,
        c: np.ndarray,
        m: np.ndarray,
        taken: np.ndarray,
        boosted: np.ndarray,
        unmet: np.ndarray,
    ) -> np.ndarray:
        """W for module indices ``m`` (broadcasting) given the person's state."""
        fx = self.fx
        return (
            c[m] * ~taken * np.exp(fx.seq_boost * boosted) * np.where(unmet, fx.prereq_skip, 1.0)
        ).astype(np.float32)


def csr(lists: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(indptr, indices) of a list of index arrays."""
    ptr = np.zeros(len(lists) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(x) for x in lists])
    idx = np.concatenate([np.asarray(x, dtype=np.int64) for x in lists] + [np.zeros(0, np.int64)])
    return ptr, idx


def expand(ptr: np.ndarray, idx: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each entry of ``rows``: (position in rows, neighbour) pairs of a CSR."""
    n = ptr[rows + 1] - ptr[rows]
    pos = np.repeat(np.arange(len(rows)), n)
    off = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    return pos, idx[ptr[rows][pos] + off]


def pick_rows(rng: np.random.Generator, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One categorical draw per row of nonnegative weights, and which rows have a positive
    sum (the draw of the others is meaningless).  Consumes one uniform per row.  Row sums
    in the weights' own precision (float32: a row has at most a few dozen entries)."""
    n = len(w)
    cum = np.cumsum(w, axis=1)
    target = rng.random(n).astype(cum.dtype) * cum[:, -1]
    col = np.argmax(cum > target[:, None], axis=1)
    # no entry above the target: an all-zero row, or rounding at the row's end
    ok = cum[np.arange(n), col] > target
    return col, ok


def draw_rows(rng: np.random.Generator, w: np.ndarray) -> np.ndarray:
    """One categorical draw per row of nonnegative weights (rows sum > 0)."""
    cum = np.cumsum(w, axis=1, dtype=np.float64)
    u = rng.random(len(w)) * cum[:, -1]
    return np.minimum((cum <= u[:, None]).sum(axis=1), w.shape[1] - 1)


def module_frame(model: ChoiceModel) -> pd.DataFrame:
    """The model's module arrays as a frame (``_truth/modules.csv``)."""
    ids = model.module_ids
    return pd.DataFrame(
        {
            "module_id": ids,
            "skill_id": model.skill_ids[model.skill],
            "pool": np.array(POOLS)[model.pool],
            "mode": model.mode,
            "hours": model.hours,
            "popularity": model.popularity,
            "quality": model.quality,
            "prerequisites": ["|".join(ids[p]) for p in model.prereq],
            "successors": ["|".join(ids[s]) for s in model.successors],
        }
    )
