"""The demo generator's latent skill mastery, for validating ``features.mastery``.

One helper so that the source can be swapped: today it recomputes the generator's
``u_is = hash_normal(seed, staff row, skill row)`` (``engine.demo`` docstring, effect
5: a score carries ``mastery_sd · Σ_s w_ms·u_is / Σ_s w_ms`` points); once the demo
generator exposes ``engine.demo.truth`` (CONTRACTS.md), ``latent_mastery`` should read
``Truth.mastery`` instead.  Only the ranking is used (correlations), so the mapping
of ``u`` to the 0..1 target scale does not matter here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.demo import hash_normal


def latent_mastery(
    tables: dict[str, pd.DataFrame], seed: int, staff_ids: np.ndarray, skill_ids: np.ndarray
) -> np.ndarray:
    """Latent mastery of each (staff_id, skill_id) pair in data generated with ``seed``."""
    s = pd.Index(tables["staff"]["staff_id"]).get_indexer(staff_ids)
    k = pd.Index(tables["skills"]["skill_id"]).get_indexer(skill_ids)
    if (s < 0).any() or (k < 0).any():
        raise KeyError("pairs outside the generated data")
    return hash_normal(seed, s, k)


def scored_pairs(tables: dict[str, pd.DataFrame], as_of: str) -> pd.DataFrame:
    """Per (staff_id, skill_id) with scores as of the date: ``n`` scores on modules
    teaching the skill, ``n_main`` on modules teaching mainly it (its largest weight),
    and the plain weight-averaged score ``plain`` (0..1)."""
    ms = tables["module_skills"]
    main = ms["weight"] >= ms.groupby("module_id")["weight"].transform("max")
    ms = ms.assign(main=main.to_numpy())
    staff = tables["staff"]
    known = staff.loc[staff["hired_on"] <= as_of, "staff_id"]
    a = tables["assessments"]
    a = a[(a["taken_on"] <= as_of) & a["staff_id"].isin(known)]
    j = a.merge(ms, on="module_id")
    j["wx"] = j["weight"] * j["score"] / 100
    g = j.groupby(["staff_id", "skill_id"])
    out = pd.DataFrame({"n": g.size(), "n_main": g["main"].sum()})
    out["plain"] = g["wx"].sum() / g["weight"].sum()
    return out.reset_index()
