"""Figures of an OULAD risk run: the metrics per model and cut-off (``experiments.metrics``'
plus ``share_error_max``), the per-presentation table, ``report.md`` and the reliability
plot."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from experiments import metrics


def risk_metrics(y: np.ndarray, p: np.ndarray, unit: np.ndarray) -> dict[str, float]:
    """experiments.metrics' probability metrics, plus ``share_error_max``: the worst
    presentation's |mean predicted − observed share| (same definition, one unit)."""
    y, p, unit = np.asarray(y).astype(int), np.clip(np.asarray(p, float), 0, 1), np.asarray(unit)
    out = metrics.risk_metrics(y, p, unit)
    out["share_error_max"] = max(
        metrics.share_error(y[unit == u], p[unit == u], unit[unit == u]) for u in np.unique(unit)
    )
    return out


def presentation_table(preds: pd.DataFrame) -> pd.DataFrame:
    """Per model, cut-off and presentation: ROC-AUC, observed and mean predicted share."""
    from sklearn.metrics import roc_auc_score

    def one(g: pd.DataFrame) -> pd.Series:
        auc = roc_auc_score(g["label"], g["score"]) if g["label"].nunique() == 2 else np.nan
        return pd.Series(
            {
                "n": len(g),
                "roc_auc": auc,
                "observed": g["label"].mean(),
                "predicted": g["score"].mean(),
            }  # fmt: skip
        )

    t = preds.groupby(["slice", "unit", "model"]).apply(one, include_groups=False)
    t["share_error"] = (t["predicted"] - t["observed"]).abs()
    return t.reset_index()


def _md(frame: pd.DataFrame) -> str:
    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rows = ["| " + " | ".join(map(str, r)) + " |" for r in frame.itertuples(index=False)]
    return "\n".join([head, "|---" * len(frame.columns) + "|", *rows])


def report_markdown(name: str, metrics: pd.DataFrame, run_dir: Path, lopo: bool) -> str:
    """report.md of an OULAD run: per cut-off slice, each model's metrics (mean over
    seeds, 95 % interval when seeds differ), then the per-presentation table."""
    from experiments.report import table

    how = (
        "leave one training presentation out (no test presentation read)"
        if lopo
        else "train → test"
    )
    lines = [
        f"# Experiment: {name}",
        "",
        f"- task: `risk` on OULAD (Fail or Withdrawn); split: {how}",
        "- slice `dayD`: registrations still registered at day D of their presentation"
        + ("; `-seen-module` / `-new-module`: the module has / has no other presentation"
           " in training" if lopo else ""),
    ]  # fmt: skip
    for sl in dict.fromkeys(metrics["slice"]):
        lines += ["", f"## {sl}", "", table(metrics, sl)]
    pres = run_dir / "presentations.csv"
    if pres.exists():
        lines += ["", "## Per presentation", "", _md(pd.read_csv(pres).round(4))]
    lines += ["", "Plot: reliability.png; every prediction: predictions.csv.", ""]
    return "\n".join(lines)


def reliability_plot(preds: pd.DataFrame, path: Path, bins: int = 10) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    slices = sorted(preds["slice"].unique())
    fig, axes = plt.subplots(1, len(slices), figsize=(5 * len(slices), 4.5), squeeze=False)
    for ax, sl in zip(axes[0], slices, strict=True):
        for model, g in preds[preds["slice"] == sl].groupby("model"):
            b = np.minimum((g["score"] * bins).astype(int), bins - 1)
            r = g.groupby(b).agg(p=("score", "mean"), y=("label", "mean"))
            ax.plot(r["p"], r["y"], marker="o", label=model)
        ax.plot([0, 1], [0, 1], color="grey", linestyle=":")
        ax.set(
            title=f"OULAD {sl}: reliability",
            xlabel="predicted P(fail or withdraw)",
            ylabel="observed share",
        )
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
