"""``run_experiment``: config → split → models → metrics, and the run directory.

RUN_DIR holds (DESIGN.md "Experiment outputs"):

- ``config.json`` the resolved config (defaults filled in, tuned parameters per model),
  and ``config.toml``, the file as given;
- ``environment.json`` Python, platform, package versions, git commit, seeds;
- ``metrics.json`` a list of ``{model, metric, value, seed, slice}`` records, per seed
  and ``seed = "mean"`` (the mean over seeds); NaN is written as ``null``;
- ``report.md`` model × metric, mean and 95 % interval over seeds;
- ``predictions.csv`` (risk) ``model, slice, unit, learner, score, label, seed``;
- ``people.csv`` (recommend) ``model, staff_id, slice, ndcg@k``: each scored person's
  ``ndcg@k`` (mean over seeds), ``slice`` = ``warm`` or ``cold`` — what the paired
  comparisons of ``report.md`` resample;
- PNG plots (``experiments.plots``);
- ``parts/`` one finished model per file.  A re-run with the same config and data
  reuses them (an interrupted run resumes without recomputing finished models);
  ``fresh=True`` (``--fresh``) recomputes everything.

``metrics.json`` depends only on the config and the data: re-running reproduces it
byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

import experiments  # noqa: F401 - registers the harness's models
from engine.errors import LearnmapError
from engine.outputs import write_text
from experiments.config import ExperimentConfig, load_config, parse_config
from experiments.data import describe, load_data
from experiments.environment import environment
from experiments.recommend_task import RecommendContext, run_recommend_model
from experiments.results import ModelResult
from experiments.tasks import RiskContext, check_models, iter_models, run_effect, run_risk_model
from features.shared import shared_preparation

log = logging.getLogger(__name__)
PARTS_VERSION = 2


def _coerce(config: ExperimentConfig | dict | str | Path) -> ExperimentConfig:
    if isinstance(config, ExperimentConfig):
        return config
    if isinstance(config, dict):
        return parse_config(config)
    return load_config(config)


def _clean(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return _clean(value.item())
    return value


def _part_key(cfg: ExperimentConfig, label: str) -> str:
    resolved = cfg.resolved()
    model = next((m for m in resolved["models"] if m["label"] == label), None)
    body = {k: v for k, v in resolved.items() if k not in ("models", "name")}
    blob = json.dumps([PARTS_VERSION, body, model], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _load_part(run_dir: Path, cfg: ExperimentConfig, label: str) -> ModelResult | None:
    path = run_dir / "parts" / f"{label}.json"
    if not path.exists():
        return None
    saved = json.loads(path.read_text(encoding="utf-8"))
    if saved.get("key") != _part_key(cfg, label):
        return None
    people = None
    if saved.get("people"):
        got = pd.read_csv(run_dir / "parts" / saved["people"], dtype={"staff_id": str})
        people = got.set_index("staff_id")[got.columns[-1]]
    preds = None
    if saved.get("predictions"):
        preds = pd.read_csv(
            run_dir / "parts" / saved["predictions"], dtype={"unit": str, "learner": str}
        )
    return ModelResult(
        label,
        saved["name"],
        saved["params"],
        saved["records"],
        preds,
        saved["tuning"],
        saved["seconds"],
        people,
    )


def _save_part(run_dir: Path, cfg: ExperimentConfig, res: ModelResult) -> None:
    parts = run_dir / "parts"
    pred_name = None
    if res.predictions is not None:
        pred_name = f"{res.label}.predictions.csv"
        write_text(parts / pred_name, res.predictions.to_csv(index=False))
    people_name = None
    if res.people is not None:
        people_name = f"{res.label}.people.csv"
        write_text(parts / people_name, res.people.rename_axis("staff_id").to_csv())
    body = {
        "key": _part_key(cfg, res.label),
        "name": res.name,
        "params": res.params,
        "records": [{k: _clean(v) for k, v in r.items()} for r in res.records],
        "tuning": res.tuning,
        "seconds": res.seconds,
        "predictions": pred_name,
        "people": people_name,
    }
    write_text(parts / f"{res.label}.json", json.dumps(body, ensure_ascii=False, default=_clean))


def _with_means(records: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(records, columns=["model", "metric", "value", "seed", "slice"])
    frame["value"] = frame["value"].astype(float)
    means = frame.groupby(["model", "metric", "slice"], sort=False)["value"].mean().reset_index()
    means["seed"] = "mean"
    out = pd.concat([frame.astype({"seed": object}), means], ignore_index=True)
    return out[["model", "metric", "value", "seed", "slice"]]


def run_experiment(
    config: ExperimentConfig | dict | str | Path,
    out: str | Path | None = None,
    progress: bool = False,
    fresh: bool = False,
) -> pd.DataFrame:
    """Run an experiment; return its metrics (``model, metric, value, seed, slice``).

    With ``out`` the run directory is written (module docstring) and finished models
    are reused on a re-run."""
    cfg = _coerce(config)
    run_dir = Path(out) if out is not None else None
    if cfg.data.get("format") == "oulad":
        return _run_oulad(cfg, run_dir, progress, fresh)
    check_models(cfg)
    # every model and grid value fits on the same fold tables: build their as-of view
    # and completion matrix once (features.shared.shared_preparation)
    with shared_preparation():
        return _run(cfg, run_dir, progress, fresh)


def _run(cfg: ExperimentConfig, run_dir: Path | None, progress: bool, fresh: bool) -> pd.DataFrame:
    tables, truth = load_data(cfg.data)
    if truth is None and any(m.name == "oracle" for m in cfg.models):
        raise LearnmapError(
            f"{cfg.source}: model 'oracle' needs the demo generator's truth (data written "
            "with `learnmap demo-data --truth`); this data has none"
        )
    try:
        if cfg.task == "recommend":
            ctx: Any = RecommendContext(cfg, tables, truth)
            runner = run_recommend_model
        elif cfg.task == "risk":
            ctx = RiskContext(cfg, tables, truth)
            runner = run_risk_model
        else:
            ctx, runner = None, None
    except ValueError as exc:  # the split cannot be made on this data
        raise LearnmapError(f"{cfg.source}: [split] {exc}") from exc
    sizes = describe(tables)
    if runner is not None:  # the folds hold what the models need: free the full tables
        del tables
    # everything is checked: only now is anything written
    if run_dir is not None:
        run_dir.mkdir(parents=True, exist_ok=True)
        if cfg.source != "<dict>" and Path(cfg.source).is_file():
            write_text(run_dir / "config.toml", Path(cfg.source).read_text(encoding="utf-8"))
    results: list[ModelResult] = []
    for m in iter_models(cfg):
        cached = None if (run_dir is None or fresh) else _load_part(run_dir, cfg, m.label)
        if cached is not None:
            log.info("%s: already finished in %s, reused", m.label, run_dir)
            results.append(cached)
            continue
        t0 = time.perf_counter()
        with tqdm(desc=m.label, disable=not progress, unit="fit", delay=0.2) as bar:
            res = run_effect(cfg, tables, bar) if runner is None else runner(ctx, m, bar)
        res.seconds = round(time.perf_counter() - t0, 1)
        if run_dir is not None:
            _save_part(run_dir, cfg, res)
        results.append(res)
    metrics = _with_means([r for res in results for r in res.records])
    if run_dir is not None:
        notes = ctx.describe() if ctx is not None else {}
        slices = None
        if isinstance(ctx, RecommendContext):
            slices = {n: ctx.fold.slice_people(n) for n in ("all", "warm", "cold")}
        titles = _titles(tables) if runner is None else None  # the effect chart's modules
        _write_outputs(run_dir, cfg, results, metrics, sizes, notes, slices, titles)
    return metrics


def _titles(tables: dict[str, pd.DataFrame]) -> dict[str, str]:
    mods = tables["modules"]
    return dict(zip(mods["module_id"].astype(str), mods["title"].astype(str), strict=True))


def _run_oulad(
    cfg: ExperimentConfig, run_dir: Path | None, progress: bool, fresh: bool
) -> pd.DataFrame:
    """OULAD runs live in ``experiments/oulad.py`` (the risk work, issue 10); the run
    directory gets the same files as any experiment (config, environment, metrics with
    the per-seed means, report) plus OULAD's presentations.csv.  ``[split] kind =
    "lopo"`` leaves one training presentation out at a time instead of train → test."""
    try:
        import experiments.oulad as oulad
    except ImportError as exc:
        raise LearnmapError(
            f"{cfg.source}: format = 'oulad' needs experiments/oulad.py (not in this build)"
        ) from exc
    if run_dir is None or cfg.source == "<dict>":
        raise LearnmapError("OULAD experiments run from a config file with an output directory")
    lopo = cfg.split.get("kind") == "lopo"
    try:
        records = oulad.run_config(cfg.source, run_dir, progress=progress, leave_one_out=lopo)
    except (ValueError, FileNotFoundError) as exc:  # a config or data problem, said plainly
        raise LearnmapError(str(exc)) from exc
    metrics = _with_means([r for r in records if r.get("seed") != "mean"])
    write_text(run_dir / "config.toml", Path(cfg.source).read_text(encoding="utf-8"))
    write_text(
        run_dir / "config.json",
        json.dumps(cfg.resolved(), ensure_ascii=False, indent=1, default=str),
    )
    write_text(
        run_dir / "environment.json",
        json.dumps(environment(cfg.seeds), ensure_ascii=False, indent=1),
    )
    rows = [{k: _clean(v) for k, v in r.items()} for r in metrics.to_dict("records")]
    write_text(run_dir / "metrics.json", json.dumps(rows, ensure_ascii=False, indent=1) + "\n")
    write_text(run_dir / "report.md", oulad.report_markdown(cfg.name, metrics, run_dir, lopo))
    return metrics


def _write_outputs(
    run_dir: Path,
    cfg: ExperimentConfig,
    results: list[ModelResult],
    metrics: pd.DataFrame,
    sizes: dict[str, int],
    notes: dict[str, Any],
    slices: dict[str, list[str]] | None = None,
    titles: dict[str, str] | None = None,
) -> None:
    from experiments.plots import write_plots
    from experiments.report import people_table, write_report

    resolved = cfg.resolved()
    for m in resolved["models"]:
        res = next((r for r in results if r.label == m["label"]), None)
        if res is not None:
            m["params"] = res.params
    write_text(
        run_dir / "config.json", json.dumps(resolved, ensure_ascii=False, indent=1, default=str)
    )
    env = environment(cfg.seeds)
    env["data"] = sizes
    write_text(run_dir / "environment.json", json.dumps(env, ensure_ascii=False, indent=1))
    records = [{k: _clean(v) for k, v in r.items()} for r in metrics.to_dict("records")]
    write_text(run_dir / "metrics.json", json.dumps(records, ensure_ascii=False, indent=1) + "\n")
    preds = [r.predictions for r in results if r.predictions is not None]
    predictions = pd.concat(preds, ignore_index=True) if preds else None
    if predictions is not None:
        write_text(run_dir / "predictions.csv", predictions.to_csv(index=False))
    if slices is not None and any(r.people is not None for r in results):
        write_text(run_dir / "people.csv", people_table(results, slices).to_csv(index=False))
    write_report(run_dir / "report.md", cfg, results, metrics, sizes, notes, slices)
    write_plots(run_dir, cfg, metrics, predictions, titles)
