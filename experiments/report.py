"""``report.md``: model × metric, mean and 95 % interval over seeds.

The interval is the t-interval of the mean over seeds (mean ± t₀.₉₇₅,ₙ₋₁ · sd/√n); with
one seed, or a deterministic model, it has zero width and only the mean is shown.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from experiments.config import ExperimentConfig


def seed_interval(values: np.ndarray) -> tuple[float, float, float]:
    values = np.asarray(values, float)
    values = values[~np.isnan(values)]
    if len(values) == 0:
        return (float("nan"),) * 3
    m = float(values.mean())
    if len(values) < 2:
        return m, m, m
    half = float(stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values)))
    return m, m - half, m + half


def summary(metrics: pd.DataFrame, slice_: str = "all") -> pd.DataFrame:
    """model, metric, mean, lo, hi over the per-seed rows."""
    per_seed = metrics[(metrics["seed"] != "mean") & (metrics["slice"] == slice_)]
    rows = []
    for (model, metric), g in per_seed.groupby(["model", "metric"], sort=False):
        m, lo, hi = seed_interval(g["value"].to_numpy())
        rows.append({"model": model, "metric": metric, "mean": m, "lo": lo, "hi": hi})
    return pd.DataFrame(rows, columns=["model", "metric", "mean", "lo", "hi"])


def _cell(m: float, lo: float, hi: float) -> str:
    if np.isnan(m):
        return "–"
    if np.isclose(lo, hi):
        return f"{m:.4f}"
    return f"{m:.4f} [{lo:.4f}, {hi:.4f}]"


def table(metrics: pd.DataFrame, slice_: str = "all") -> str:
    s = summary(metrics, slice_)
    models = list(dict.fromkeys(s["model"]))
    names = list(dict.fromkeys(s["metric"]))
    lines = ["| model | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for model in models:
        cells = []
        for name in names:
            hit = s[(s["model"] == model) & (s["metric"] == name)]
            cells.append(_cell(*hit[["mean", "lo", "hi"]].iloc[0]) if len(hit) else "–")
        lines.append(f"| {model} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_report(
    path: Path,
    cfg: ExperimentConfig,
    results: list,
    metrics: pd.DataFrame,
    sizes: dict[str, int],
    notes: dict | None = None,
) -> Path:
    """``sizes``: rows per input table (``experiments.data.describe``)."""
    from experiments.runner import _atomic_write

    lines = [
        f"# Experiment: {cfg.name}",
        "",
        f"- task: `{cfg.task}`; seeds: {list(cfg.seeds)}"
        + (f"; k = {cfg.k}" if cfg.task == "recommend" else ""),
        f"- data: `{cfg.resolved()['data']}` — "
        + ", ".join(
            f"{n} {c:,}" for n, c in sizes.items() if n in ("staff", "modules", "participations")
        ),
        f"- split: `{cfg.resolved()['split']}`",
        *(f"- {k}: {v}" for k, v in (notes or {}).items()),
        "",
        "Mean over seeds and its 95 % t-interval (a single value: identical for every seed).",
        "",
    ]
    if cfg.task == "effect":
        lines += ["## All modules pooled", "", table(metrics, "all"), ""]
        lines += ["Per-module gains are in `metrics.json` (slice = module id).", ""]
    else:
        lines += ["## Results", "", table(metrics, "all"), ""]
    lines += ["## Models", "", "| model | name | parameters | seconds |", "|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r.label} | `{r.name}` | `{r.params}` | {r.seconds} |")
    tuned = [r for r in results if r.tuning]
    if tuned:
        lines += ["", "## Tuning on the validation cut (before the test cut)", ""]
        for r in tuned:
            lines.append(
                f"- **{r.label}**: "
                + "; ".join(f"`{t['params']}` → {list(t.values())[1]:.4f}" for t in r.tuning)
            )
    _atomic_write(path, "\n".join(lines) + "\n")
    return path
