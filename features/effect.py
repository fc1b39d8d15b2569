"""Training effect (source 004 §6.3, 002 appendix 4): per module, the mean gain of
self-assessed ability from before training to after it (``post`` − ``pre``) and to
the one-year follow-up (``followup`` − ``pre``), with percentile-bootstrap 95 %
intervals.  Used by the ``effect`` experiment and the console's *Training effect*
view."""

from __future__ import annotations

import numpy as np
import pandas as pd


def bootstrap_mean_ci(
    values: np.ndarray, rng: np.random.Generator, n_boot: int = 1000
) -> tuple[float, float, float]:
    """Mean and percentile-bootstrap 95 % interval of ``values``."""
    values = np.asarray(values, float)
    if len(values) == 0:
        return (float("nan"),) * 3
    idx = rng.integers(0, len(values), size=(n_boot, len(values)))
    means = values[idx].mean(axis=1)
    lo, hi = np.percentile(means, [2.5, 97.5])
    return float(values.mean()), float(lo), float(hi)


def gains(outcomes: pd.DataFrame, seed: int, n_boot: int = 1000) -> pd.DataFrame:
    """Per module: n, mean post − pre and follow-up − pre with bootstrap 95 % intervals.

    ``outcomes``: staff_id, module_id, kind, value.  A person's gain needs both values;
    repeated measurements of one kind are averaged first."""
    o = outcomes[outcomes["kind"].isin(["pre", "post", "followup"])]
    wide = o.pivot_table(index=["module_id", "staff_id"], columns="kind", values="value")
    rng = np.random.default_rng(seed)
    rows = []
    for module, g in wide.groupby(level=0, sort=True):
        row: dict[str, object] = {"module_id": module}
        for kind in ("post", "followup"):
            d = (g[kind] - g["pre"]).dropna() if {kind, "pre"} <= set(g.columns) else []
            mean, lo, hi = bootstrap_mean_ci(np.asarray(d, float), rng, n_boot)
            row |= {f"n_{kind}": len(d), f"gain_{kind}": mean, f"gain_{kind}_lo": lo}
            row[f"gain_{kind}_hi"] = hi
        rows.append(row)
    return pd.DataFrame(rows)
