"""PNG plots of a run: metric by model with 95 % error bars over seeds; for risk the
reliability curve and the precision-recall curve.  Labels are bilingual; the CJK font
comes from ``features.plotting``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import precision_recall_curve

from experiments.config import ExperimentConfig
from experiments.metrics import reliability
from experiments.report import summary
from features import plotting

TITLES = {"recommend": "推荐模型对比 recommenders", "risk": "风险模型对比 risk models"}


def metric_plot(path: Path, cfg: ExperimentConfig, metrics: pd.DataFrame) -> Path:
    import matplotlib.pyplot as plt

    s = summary(metrics)
    names = [n for n in dict.fromkeys(s["metric"]) if n != "base_rate"]
    cols = min(4, len(names))
    rows = int(np.ceil(len(names) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.4 * cols, 2.9 * rows), squeeze=False)
    for ax, name in zip(axes.ravel(), names, strict=False):
        g = s[s["metric"] == name]
        y = g["mean"].to_numpy()
        err = np.vstack([y - g["lo"].to_numpy(), g["hi"].to_numpy() - y])
        ax.bar(range(len(g)), y, yerr=np.nan_to_num(err), capsize=3, color="#4C72B0")
        ax.set_xticks(range(len(g)), g["model"], rotation=40, ha="right", fontsize=8)
        ax.set_title(name, fontsize=10)
    for ax in axes.ravel()[len(names) :]:
        ax.axis("off")
    fig.suptitle(f"{TITLES.get(cfg.task, cfg.task)} — {cfg.name} (均值与95%区间 mean, 95% CI)")
    fig.tight_layout()
    return plotting.save(fig, path)


def risk_plots(run_dir: Path, predictions: pd.DataFrame) -> list[Path]:
    """Staff reliability and precision-recall curves; with organization rows (slice
    ``org``), the reliability of ``p_unit_rule`` too (``reliability-org.png``)."""
    import matplotlib.pyplot as plt

    org = predictions[predictions["slice"] == "org"]
    predictions = predictions[predictions["slice"] != "org"]
    first = predictions[predictions["seed"] == predictions["seed"].min()]
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], color="grey", lw=1, ls="--", label="完美校准 perfect")
    for model, g in first.groupby("model", sort=False):
        r = reliability(g["label"].to_numpy(), g["score"].to_numpy())
        ax.plot(r["predicted"], r["observed"], marker="o", label=model)
    ax.set_xlabel("预测概率 predicted p")
    ax.set_ylabel("实际比例 observed share")
    ax.set_title("可靠性曲线 reliability (10 bins)")
    ax.legend(fontsize=8)
    out = [plotting.save(fig, run_dir / "reliability.png")]
    fig, ax = plt.subplots(figsize=(5, 5))
    base = first.groupby("model", sort=False)["label"].mean().iloc[0]
    ax.axhline(base, color="grey", lw=1, ls="--", label=f"基准率 base rate {base:.2f}")
    for model, g in first.groupby("model", sort=False):
        prec, rec, _ = precision_recall_curve(g["label"].to_numpy(), g["score"].to_numpy())
        ax.plot(rec, prec, label=model)
    ax.set_xlabel("召回率 recall")
    ax.set_ylabel("精确率 precision")
    ax.set_title("精确率-召回率曲线 precision-recall")
    ax.legend(fontsize=8)
    out.append(plotting.save(fig, run_dir / "pr_curve.png"))
    if len(org):
        out.append(_org_reliability(run_dir, org[org["seed"] == org["seed"].min()]))
    return out


def _org_reliability(run_dir: Path, org: pd.DataFrame) -> Path:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], color="grey", lw=1, ls="--", label="完美校准 perfect")
    for model, g in org.groupby("model", sort=False):
        r = reliability(g["label"].to_numpy(), g["score"].to_numpy())
        ax.plot(r["predicted"], r["observed"], marker="o", label=f"{model} ({len(g)} orgs)")
    ax.set_xlabel("预测概率 predicted p_unit_rule")
    ax.set_ylabel("实际比例 observed share of units")
    ax.set_title("单位规则可靠性 organizations: unit rule (10 bins)")
    ax.legend(fontsize=8)
    return plotting.save(fig, run_dir / "reliability-org.png")


def effect_chart(
    metrics: pd.DataFrame,
    titles: Mapping[str, str] | None = None,
    top: int = 30,
    lang: str | None = None,
):  # noqa: ANN201 - a matplotlib Figure
    """Per module (its title when ``titles`` maps ids to titles), the self-assessed change
    from before training right after it and about a year later, with bootstrap 95 %
    intervals — the ``top`` modules with the most people.  Words from the label
    catalogue (``chart_effect_*``): the title and a note say there is no comparison
    group, so the chart does not claim an effect of training; the legend sits below the
    axes, off the data."""
    import matplotlib.pyplot as plt

    from engine.labels import text

    m = metrics[(metrics["seed"] == metrics["seed"].iloc[0]) & (metrics["slice"] != "all")]
    wide = m.pivot_table(index="slice", columns="metric", values="value")
    wide = wide.sort_values("n_post", ascending=False).head(top)
    names = [(titles or {}).get(str(i), str(i)) for i in wide.index]
    fig, ax = plt.subplots(figsize=(8, 1.8 + 0.32 * len(wide)))
    y = np.arange(len(wide))
    for off, kind in ((-0.15, "post"), (0.15, "followup")):
        x = wide[f"gain_{kind}"].to_numpy()
        err = np.vstack([x - wide[f"gain_{kind}_lo"], wide[f"gain_{kind}_hi"] - x])
        ax.errorbar(
            x, y + off, xerr=np.nan_to_num(err), fmt="o", capsize=2,
            label=text(f"chart_effect_{kind}", lang),
        )  # fmt: skip
    ax.axvline(0, color="0.6", lw=0.8)
    ax.set_yticks(y, names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(text("chart_effect_xlabel", lang))
    ax.set_title(text("chart_effect_title", lang))
    # legend and note below the axes, in inches from the figure's foot (any height)
    foot = 0.75 / fig.get_figheight()
    fig.legend(loc="lower center", bbox_to_anchor=(0.5, foot / 2.2), ncol=2, frameon=False)
    fig.text(0.01, 0.01, text("chart_effect_note", lang), fontsize=8, color="0.35")
    fig.tight_layout(rect=(0, foot, 1, 1))
    return fig


def effect_plot(
    path: Path, metrics: pd.DataFrame, top: int = 30, titles: Mapping[str, str] | None = None
) -> Path:
    return plotting.save(effect_chart(metrics, titles, top), path)


def write_plots(
    run_dir: Path,
    cfg: ExperimentConfig,
    metrics: pd.DataFrame,
    predictions: pd.DataFrame | None,
    titles: Mapping[str, str] | None = None,
) -> list[Path]:
    """The run's PNGs; ``titles`` (module id → title) name the effect chart's modules."""
    plotting.setup()
    if cfg.task == "effect":
        return [effect_plot(run_dir / "effect.png", metrics, titles=titles)]
    out = [metric_plot(run_dir / "metrics.png", cfg, metrics)]
    if predictions is not None and len(predictions):
        out += risk_plots(run_dir, predictions)
    return out
