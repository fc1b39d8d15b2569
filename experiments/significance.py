"""Paired comparison of two recommenders over the same people.

``paired_bootstrap(a, b, seed)``: the mean over people of ``a − b`` (per-person
``ndcg@k`` of two models on one split) and its 95 % percentile-bootstrap interval,
resampling *people* (both models' values of a person stay together — the pairing that
makes a small difference detectable and the interval honest about who was scored).
An interval above 0 says ``a`` beats ``b`` on this population at the 5 % level.

``best_peer_table``: for each model and slice, the comparison with the best *other*
model of that slice (highest mean; ``oracle`` — a ceiling, not a peer — excluded).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

CEILINGS = ("oracle",)
N_BOOT = 2000


def paired_bootstrap(
    a: pd.Series, b: pd.Series, seed: int, n_boot: int = N_BOOT
) -> tuple[float, float, float]:
    """Mean of ``a − b`` over the people of ``a`` and its 95 % bootstrap interval."""
    diff = (a - b.reindex(a.index)).to_numpy(dtype=float)
    if len(diff) == 0 or np.isnan(diff).any():
        raise ValueError("paired_bootstrap needs both values for every person")
    rng = np.random.default_rng(seed)
    means = np.empty(n_boot)
    for lo in range(0, n_boot, 200):  # bounded memory on 10⁵ people
        hi = min(lo + 200, n_boot)
        idx = rng.integers(0, len(diff), size=(hi - lo, len(diff)))
        means[lo:hi] = diff[idx].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(diff.mean()), float(low), float(high)


def best_peer_table(
    people: Mapping[str, pd.Series], slices: Mapping[str, Sequence[str]], seed: int
) -> pd.DataFrame:
    """slice, model, peer, mean, peer_mean, diff, lo, hi, n: each model against the
    best other model of the slice (module docstring)."""
    rows = []
    for name, who in slices.items():
        if not len(who):
            continue
        vals = {m: s.reindex(list(who)) for m, s in people.items()}
        means = {m: float(v.mean()) for m, v in vals.items()}
        peers = [m for m in vals if m not in CEILINGS]
        for model in vals:
            others = [m for m in peers if m != model]
            if not others:
                continue
            peer = max(others, key=lambda m: (means[m], m))
            d, lo, hi = paired_bootstrap(vals[model], vals[peer], seed)
            rows.append(
                {
                    "slice": name,
                    "model": model,
                    "peer": peer,
                    "mean": means[model],
                    "peer_mean": means[peer],
                    "diff": d,
                    "lo": lo,
                    "hi": hi,
                    "n": len(who),
                }
            )
    cols = ["slice", "model", "peer", "mean", "peer_mean", "diff", "lo", "hi", "n"]
    return pd.DataFrame(rows, columns=cols)
