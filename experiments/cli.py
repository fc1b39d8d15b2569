"""``learnmap experiment run CONFIG.toml --out RUN_DIR`` (registered through the
``learnmap.commands`` entry point)."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from engine.errors import LearnmapError


def _cmd_run(args: argparse.Namespace) -> int:
    from engine import progress as bars
    from experiments.runner import run_experiment

    t0 = time.perf_counter()
    # bars only on a terminal (and not -q): a redirected log gets no bar (README)
    progress = bars.active(False if args.quiet else None)
    try:
        metrics = run_experiment(args.config, out=args.out, progress=progress, fresh=args.fresh)
    except LearnmapError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    mean = metrics[metrics["seed"] == "mean"]
    if (mean["slice"] == "all").any():
        mean = mean[mean["slice"] == "all"]
        table = mean.pivot_table(index="model", columns="metric", values="value", sort=False)
    else:  # e.g. OULAD: one slice per cut-off day
        table = mean.pivot_table(
            index=["slice", "model"], columns="metric", values="value", sort=False
        )
    print(table.round(4).to_string())
    print(f"wrote {args.out} in {time.perf_counter() - t0:.1f}s (report.md, metrics.json)")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "experiment",
        help="reproducible experiments (splits, metrics, peers, reports)",
        description="Run experiments declared in TOML configs (see experiments/configs/).",
    )
    esub = p.add_subparsers(dest="experiment_command", metavar="ACTION", required=True)
    q = esub.add_parser(
        "run",
        help="run one config and write RUN_DIR",
        description="Run CONFIG.toml and write RUN_DIR/{config.json, environment.json, "
        "metrics.json, report.md, *.png} (risk: predictions.csv). Re-running reuses the "
        "models already finished in RUN_DIR unless --fresh.",
    )
    q.add_argument("config", type=Path, help="experiment config (TOML)")
    q.add_argument("--out", type=Path, required=True, help="run directory to write")
    q.add_argument("--fresh", action="store_true", help="recompute every model")
    q.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    q.set_defaults(func=_cmd_run)
    logging.getLogger("experiments").setLevel(logging.INFO)
