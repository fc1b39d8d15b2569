"""``report.md``: model × metric, mean and 95 % interval over seeds.

The interval is the t-interval of the mean over seeds (mean ± t₀.₉₇₅,ₙ₋₁ · sd/√n); with
one seed, or a deterministic model, it has zero width and only the mean is shown.
Recommend runs add a table per slice (``all``, ``warm``, ``cold``, ``new``: truth
restricted to modules nobody had taken before the cut) and the paired
comparison of each model with the best other model of the slice: the mean difference
in per-person ``ndcg@k`` and its 95 % paired-bootstrap interval over people
(``experiments.significance``; bootstrap seeded with the run's first seed).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from engine.outputs import write_text
from experiments.config import ExperimentConfig
from experiments.significance import best_peer_table


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


def group_table(metrics: pd.DataFrame, groups: list[str]) -> str:
    """One row per group slice: n, observed share, and each model's ECE (seed mean)."""
    per = metrics[(metrics["seed"] == "mean") & metrics["slice"].isin(groups)]
    models = list(dict.fromkeys(per["model"]))
    lines = ["| group | n | observed | " + " | ".join(models) + " |"]
    lines.append("|---" * (len(models) + 3) + "|")
    for g in groups:
        here = per[per["slice"] == g].set_index(["model", "metric"])["value"]
        first = models[0]
        n, base = here.get((first, "n"), float("nan")), here.get((first, "base_rate"), float("nan"))
        cells = [f"{here.get((m, 'ece'), float('nan')):.4f}" for m in models]
        lines.append(f"| {g} | {n:,.0f} | {base:.3f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_report(
    path: Path,
    cfg: ExperimentConfig,
    results: list,
    metrics: pd.DataFrame,
    sizes: dict[str, int],
    notes: dict | None = None,
    slices: dict[str, list[str]] | None = None,
) -> Path:
    """``sizes``: rows per input table (``experiments.data.describe``); ``slices``
    (recommend): the scored people of each slice, for the paired comparisons."""
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
        if (metrics["slice"] == "org").any():
            lines += [
                "### Organizations (slice `org`)",
                "",
                "`p_unit_rule` against whether the unit reached the share; "
                "`missing_error`: (Σ expected − Σ observed) / Σ observed staff missing; "
                "`dispersion`: observed / Poisson-binomial variance of the count missing "
                "(≈ 1 if staff miss independently; see experiments/org_eval.py).",
                "",
                table(metrics, "org"),
                "",
            ]
        groups = [n for n in dict.fromkeys(metrics["slice"]) if ":" in str(n)]
        if groups:
            lines += [
                "### Calibration per group (ECE, mean over seeds; n people, observed share)",
                "",
                group_table(metrics, groups),
                "",
            ]
        for name in dict.fromkeys(metrics["slice"]):
            if name not in ("all", "org") and ":" not in str(name):
                n = f" ({len(slices[name]):,} people)" if slices and name in slices else ""
                lines += [f"### Slice `{name}`{n}", "", table(metrics, name), ""]
    if slices is not None:
        lines += _paired(cfg, results, slices)
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
    write_text(path, "\n".join(lines) + "\n")
    return path


def _paired(cfg: ExperimentConfig, results: list, slices: dict[str, list[str]]) -> list[str]:
    people = {r.label: r.people for r in results if r.people is not None}
    if len(people) < 2:
        return []
    t = best_peer_table(people, slices, cfg.seeds[0])
    lines = [
        f"## Paired comparison with the best peer (ndcg@{cfg.k})",
        "",
        "Each model against the best *other* model of the slice (oracle excluded): mean "
        "per-person difference and its 95 % paired-bootstrap interval over people "
        "(2,000 resamples). An interval above 0: the model is better at the 5 % level.",
        "",
        "| slice | model | best peer | model | peer | difference [95 % interval] | people |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in t.itertuples(index=False):
        lines.append(
            f"| {r.slice} | {r.model} | {r.peer} | {r.mean:.4f} | {r.peer_mean:.4f} | "
            f"{r.diff:+.4f} [{r.lo:+.4f}, {r.hi:+.4f}] | {r.n:,} |"
        )
    return [*lines, ""]


def people_table(results: list, slices: dict[str, list[str]]) -> pd.DataFrame:
    """``people.csv``: model, staff_id, slice (warm/cold), ndcg@k per scored person."""
    warm = set(slices.get("warm", []))
    parts = []
    for r in results:
        if r.people is None:
            continue
        parts.append(
            pd.DataFrame(
                {
                    "model": r.label,
                    "staff_id": r.people.index,
                    "slice": ["warm" if p in warm else "cold" for p in r.people.index],
                    str(r.people.name): r.people.to_numpy(),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)
