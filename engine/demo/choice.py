"""The choice model of demo data III: which module a person picks next (shared by the
generator and the oracle in ``engine.demo.truth``, so the truth is the generator's own
arithmetic).  It reads latent structure no table states — topics of modules, interests
of people, the announced schedule — and none of the Hybrid's feature formulas.

A person's next choice falls in pool ``online`` (online, live modules) or ``offline``
(offline, blended) with probability proportional to their expected number of draws from
that pool in the month (rate × season × target seeking, plus units' call-ups, see
``engine.demo.simulate``).  Within a pool, in month ``t`` of calendar year ``y``, the
choice is one multiplicative logit over the pool's modules ``m``::

    P(m) ∝ exp(θ_i(y) · τ_m + a_m) · A[m, t] · [not yet enrolled in m]
           · prereq_skip^[some prerequisite of m not completed]
           · exp(seq_boost · [a predecessor of m completed 1..seq_months months ago])

- ``τ_m`` (topics, length T): the module's latent topic mixture (``engine.demo.renewal``:
  1.0 on one topic or 0.7 / 0.3 on two).  Its title and skills are noisy views of it.
- ``θ_i(y)`` (interests, length T): ``μ_i + δ_i(y)``, where the person's mean
  ``μ_i = role_focus · share of topic z's linked skills their primary role requires +
  org_emphasis · share of them their organization type emphasises`` and the drift
  ``δ_i(y)`` is AR(1) across calendar years: ``δ(y₀) ~ N(0, interest_sd²)``,
  ``δ(y) = ρ δ(y−1) + √(1−ρ²) N(0, interest_sd²)`` with ρ = ``interest_drift``.
- ``a_m`` (appeal): ``log popularity_m + quality_uptake · q_m`` — popularity log-normal
  (sd 0.3, foundation tier ×1.5), ``q_m`` the latent quality behind satisfaction.
- ``A[m, t]``: the module is offered — a self-paced module runs in month ``t``; a
  session-bound one has a class starting in month ``t + 1`` (enrolment opens a month
  ahead).  New modules are choosable from their launch, retired ones never again.
- No one takes a module twice; ``seq_boost`` is 0 in demo data III (a knob, off).

A predecessor of ``m`` is a module ``m`` lists as prerequisite or the previous part of its
series.  The generator refreshes completions at the start of each month, so the state
behind a choice in month ``t`` is the history up to the last day of month ``t−1`` plus every
module the person already enrolled in (any status).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.demo.effects import Effects

POOLS = ("online", "offline")  # pool 1 = the plan's offline volume (offline, blended)


@dataclass
class ChoiceModel:
    """Arrays of the choice model; modules in internal order (sorted by group)."""

    module_ids: np.ndarray  # str, internal order
    group: np.ndarray  # module → group g = pool·T + main topic
    topic: np.ndarray  # module → main topic (argmax τ)
    skill: np.ndarray  # module → primary skill k (0..K−1)
    pool: np.ndarray  # module → 0 online / 1 offline
    hours: np.ndarray
    mode: np.ndarray
    popularity: np.ndarray
    quality: np.ndarray  # latent quality q_m ~ N(0, 1)
    tau: np.ndarray  # modules × T topic mixture
    avail: np.ndarray  # modules × months: A[m, t]
    prereq: list[np.ndarray]  # module → its prerequisites (internal indices)
    successors: list[np.ndarray]  # module → modules it boosts when completed
    dependents: list[np.ndarray]  # module → modules listing it as prerequisite
    skill_ids: np.ndarray  # k → skill_id
    foundation: np.ndarray  # k → foundation-tier skill?
    topic_keys: np.ndarray  # z → topic key
    fx: Effects

    @property
    def n_skills(self) -> int:
        return len(self.skill_ids)

    @property
    def n_topics(self) -> int:
        return self.tau.shape[1]

    @property
    def group_start(self) -> np.ndarray:
        return np.searchsorted(self.group, np.arange(2 * self.n_topics), side="left")

    @property
    def group_end(self) -> np.ndarray:
        return np.searchsorted(self.group, np.arange(2 * self.n_topics), side="right")

    @property
    def n_prereq(self) -> np.ndarray:
        return np.array([len(p) for p in self.prereq], dtype=np.uint8)

    @property
    def appeal(self) -> np.ndarray:
        return np.log(self.popularity) + self.fx.quality_uptake * self.quality

    def utility(self, theta: np.ndarray, m: np.ndarray | None = None) -> np.ndarray:
        """exp(θ·τ_m + a_m): rows of ``theta`` × all modules (``m`` None, float32), or one
        value per (row, ``m``) pair."""
        if m is None:
            v = theta.astype(np.float32) @ self.tau.T.astype(np.float32)
            v += self.appeal.astype(np.float32)
            return np.exp(v)
        return np.exp((theta * self.tau[m]).sum(axis=1) + self.appeal[m]).astype(np.float32)

    def weights(
        self,
        u: np.ndarray,
        m: np.ndarray,
        t: int,
        taken: np.ndarray,
        boosted: np.ndarray,
        unmet: np.ndarray,
    ) -> np.ndarray:
        """P's weights for module indices ``m`` (broadcasting with ``u``) in month ``t``."""
        fx = self.fx
        a = self.avail[m, t] if 0 <= t < self.avail.shape[1] else np.zeros(np.shape(m), bool)
        w = u * a * ~taken * np.where(unmet, fx.prereq_skip, 1.0)
        if fx.seq_boost:
            w = w * np.exp(fx.seq_boost * boosted)
        return w.astype(np.float32)


def interests(
    rng: np.random.Generator,
    mu: np.ndarray,
    years: int,
    fx: Effects,
) -> np.ndarray:
    """persons × years × T: θ_i(y) = μ_i + δ_i(y), δ AR(1) over years (module docstring);
    rounded to 3 decimals (what ``_truth/interests.csv`` holds)."""
    n, T = mu.shape
    out = np.empty((n, years, T), dtype=np.float32)
    rho = fx.interest_drift
    d = rng.normal(0.0, fx.interest_sd, size=(n, T))
    for y in range(years):
        if y:
            d = rho * d + np.sqrt(max(0.0, 1 - rho**2)) * rng.normal(0.0, fx.interest_sd, (n, T))
        out[:, y] = np.round(mu + d, 3)
    return out


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
    out = pd.DataFrame(
        {
            "module_id": ids,
            "skill_id": model.skill_ids[model.skill],
            "topic": model.topic_keys[model.topic],
            "pool": np.array(POOLS)[model.pool],
            "mode": model.mode,
            "hours": model.hours,
            "popularity": model.popularity,
            "quality": model.quality,
            "prerequisites": ["|".join(ids[p]) for p in model.prereq],
            "successors": ["|".join(ids[s]) for s in model.successors],
        }
    )
    for z in range(model.n_topics):
        out[f"tau_{z + 1}"] = model.tau[:, z]
    return out
