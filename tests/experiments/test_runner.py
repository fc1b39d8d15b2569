"""End to end: the experiment contract, reproducibility, resume, peers, oracle, errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import experiments.recommend_task as recommend_task
import experiments.runner as runner
from engine.cli import main as cli_main
from engine.errors import LearnmapError
from experiments import run_experiment
from experiments.config import ConfigError, parse_config
from models.registry import create
from tests.experiments.fakes import FutureTruth

CONTRACT_RANKING = {
    "ndcg@10",
    "recall@10",
    "precision@10",
    "map@10",
    "mrr",
    "coverage",
    "admissible",
}
CONTRACT_RISK = {"roc_auc", "pr_auc", "base_rate", "brier", "ece", "lift@10%", "share_error"}


def recommend_config(path: Path, models: list[dict] | None = None, seeds=(0, 1)) -> dict:  # noqa: ANN001
    return {
        "task": "recommend",
        "seeds": list(seeds),
        "data": {"path": str(path)},
        "split": {"cut": "2026-03-01", "horizon_days": 120},
        "models": models
        or [
            {"name": "popularity"},
            {"name": "ease", "grid": {"l2": [10.0, 100.0]}},
            {"name": "implicit-bpr", "iterations": 20, "grid": {"factors": [8, 16]}},
            {"name": "oracle"},
        ],
    }


@pytest.fixture
def with_truth(monkeypatch: pytest.MonkeyPatch, small_tables: dict) -> None:
    real = runner.load_data

    def load(data: dict):  # noqa: ANN202
        tables, _ = real(data)
        return tables, FutureTruth(small_tables)

    monkeypatch.setattr(runner, "load_data", load)


def test_recommend_run_writes_the_contract(
    tmp_path: Path, small_dir: Path, with_truth: None
) -> None:
    out = tmp_path / "run"
    metrics = run_experiment(recommend_config(small_dir), out=out)
    for name in ("config.json", "environment.json", "metrics.json", "report.md", "metrics.png"):
        assert (out / name).stat().st_size > 0, name
    records = json.loads((out / "metrics.json").read_text())
    assert set(records[0]) == {"model", "metric", "value", "seed", "slice"}
    assert {r["metric"] for r in records} == CONTRACT_RANKING
    assert {r["seed"] for r in records} == {0, 1, "mean"}
    mean = metrics[metrics.seed == "mean"].pivot_table(
        index="model", columns="metric", values="value"
    )
    # the oracle knows the future: it is the ceiling, far above the baselines
    assert mean.loc["oracle", "ndcg@10"] > 0.5  # < 1: prerequisites taken in the horizon block some
    assert mean.loc["oracle", "ndcg@10"] > mean.drop("oracle")["ndcg@10"].max() + 0.3
    assert (mean["admissible"] == 1.0).all()  # the default filter keeps lists admissible
    resolved = json.loads((out / "config.json").read_text())
    ease = next(m for m in resolved["models"] if m["name"] == "ease")
    assert ease["params"]["l2"] in (10.0, 100.0)  # the tuned value is recorded
    env = json.loads((out / "environment.json").read_text())
    assert env["seeds"] == [0, 1] and env["packages"]["numpy"]
    report = (out / "report.md").read_text()
    assert "| oracle |" in report and "validation cut" in report


def test_rerun_reproduces_metrics_json_exactly(tmp_path: Path, small_dir: Path) -> None:
    cfg = recommend_config(
        small_dir,
        [
            {"name": "implicit-als", "iterations": 5, "factors": 8},
            {"name": "implicit-bpr", "iterations": 10},
        ],
    )
    run_experiment(cfg, out=tmp_path / "a")
    run_experiment(cfg, out=tmp_path / "b", fresh=True)
    a = (tmp_path / "a" / "metrics.json").read_bytes()
    assert a == (tmp_path / "b" / "metrics.json").read_bytes()
    # and the seeds really vary the stochastic peers
    recs = json.loads(a)
    bpr = {
        r["seed"]: r["value"]
        for r in recs
        if r["model"] == "implicit-bpr" and r["metric"] == "coverage" and r["slice"] == "all"
    }
    assert bpr[0] != bpr[1]


def test_interrupted_run_resumes_without_recomputing(
    tmp_path: Path, small_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = recommend_config(
        small_dir, [{"name": "popularity"}, {"name": "ease"}, {"name": "implicit-cosine"}]
    )
    real = recommend_task.run_recommend_model
    calls: list[str] = []

    def crash_on_ease(ctx, m, bar):  # noqa: ANN001, ANN202
        calls.append(m.label)
        if m.label == "ease":
            raise KeyboardInterrupt
        return real(ctx, m, bar)

    monkeypatch.setattr(runner, "run_recommend_model", crash_on_ease)
    with pytest.raises(KeyboardInterrupt):
        run_experiment(cfg, out=tmp_path / "run")
    assert calls == ["popularity", "ease"] and not (tmp_path / "run" / "metrics.json").exists()

    calls.clear()
    monkeypatch.setattr(
        runner,
        "run_recommend_model",
        lambda ctx, m, bar: (calls.append(m.label), real(ctx, m, bar))[1],
    )
    resumed = run_experiment(cfg, out=tmp_path / "run")
    assert calls == ["ease", "implicit-cosine"]  # popularity was not recomputed
    fresh = run_experiment(cfg, out=tmp_path / "fresh")
    pd.testing.assert_frame_equal(resumed, fresh)

    calls.clear()  # a changed model entry invalidates only that model
    cfg["models"][1]["l2"] = 7.0
    cfg["tune"] = False
    run_experiment(cfg, out=tmp_path / "run")
    assert calls == ["popularity", "ease", "implicit-cosine"]  # tune flag changes every key


def test_leave_last_split_runs(tmp_path: Path, small_dir: Path, with_truth: None) -> None:
    cfg = recommend_config(small_dir, [{"name": "popularity"}, {"name": "oracle"}], seeds=(0,))
    cfg["split"] = {"kind": "leave_last", "truth": "enrolled"}
    m = run_experiment(cfg)
    ndcg = m[(m.metric == "ndcg@10") & (m.seed == 0) & (m.slice == "all")].set_index("model")[
        "value"
    ]
    assert ndcg["oracle"] > ndcg["popularity"]


def test_risk_run_writes_predictions_and_beats_chance(
    tmp_path: Path, small_dir: Path, with_truth: None
) -> None:
    cfg = {
        "task": "risk",
        "seeds": [0, 1],
        "folds": 3,
        "data": {"path": str(small_dir)},
        "split": {"as_of": "2026-06-30", "policy": "national-2025"},
        "models": [{"name": "rule"}, {"name": "logreg"}, {"name": "oracle"}],
    }
    metrics = run_experiment(cfg, out=tmp_path / "risk")
    assert set(metrics.loc[metrics["slice"] == "all", "metric"]) == CONTRACT_RISK
    pred = pd.read_csv(tmp_path / "risk" / "predictions.csv")
    assert list(pred.columns[:6]) == ["model", "slice", "unit", "learner", "score", "label"]
    assert pred["score"].between(0, 1).all() and set(pred["label"]) == {0, 1}
    everyone = metrics[metrics.slice == "all"]
    auc = everyone[(everyone.metric == "roc_auc") & (everyone.seed == "mean")].set_index("model")[
        "value"
    ]
    assert auc["logreg"] > 0.6 and auc["rule"] > 0.55
    assert auc["oracle"] > max(auc["rule"], auc["logreg"])  # knows the real future
    # the AUC in metrics.json is the AUC of the rows in predictions.csv
    from sklearn.metrics import roc_auc_score

    g = pred[(pred.model == "logreg") & (pred.seed == 0) & (pred.slice == "all")]
    rec = metrics[
        (metrics.model == "logreg")
        & (metrics.metric == "roc_auc")
        & (metrics.seed == 0)
        & (metrics.slice == "all")
    ]
    assert roc_auc_score(g["label"], g["score"]) == pytest.approx(rec["value"].item())
    for png in ("metrics.png", "reliability.png", "pr_curve.png"):
        assert (tmp_path / "risk" / png).stat().st_size > 5000


def test_effect_run_reports_gains_with_intervals(small_dir: Path) -> None:
    m = run_experiment({"task": "effect", "seeds": [0], "data": {"path": str(small_dir)}})
    pooled = m[(m.slice == "all") & (m.seed == 0)].set_index("metric")["value"]
    # the generator's post − pre gain is 10 (+5 offline); follow-up keeps 70 %
    assert 10 <= pooled["gain_post"] <= 15
    assert pooled["gain_post_lo"] < pooled["gain_post"] < pooled["gain_post_hi"]
    assert pooled["gain_followup"] == pytest.approx(0.7 * pooled["gain_post"], rel=0.15)
    assert m["slice"].nunique() > 10


def test_missing_peer_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "implicit", None)
    monkeypatch.delitem(sys.modules, "experiments.peers", raising=False)
    with pytest.raises(LearnmapError, match=r"pip install -e '\.\[peers\]'"):
        create("implicit-als")


def test_oracle_without_truth_is_a_clear_error(tmp_path: Path, small_dir: Path) -> None:
    cfg = recommend_config(small_dir, [{"name": "oracle"}])
    with pytest.raises(LearnmapError, match="--truth"):
        run_experiment(cfg, out=tmp_path / "x")


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"task": "predict"}, "task"),
        ({"seeds": []}, "seeds"),
        ({"k": 0}, "k"),
        ({"colour": "red"}, "colour"),
        ({"split": {"cut": "2026-01-01"}}, "split.horizon_days"),
        ({"models": [{"name": "ease", "grid": {"l2": 5}}]}, "models[0].grid"),
        ({"models": [{"name": "ease"}, {"name": "ease"}]}, "models[1].label"),
    ],
)
def test_config_errors_name_the_key(change: dict, key: str, small_dir: Path) -> None:
    cfg = {**recommend_config(small_dir), **change}
    with pytest.raises(ConfigError) as info:
        parse_config(cfg, "exp.toml")
    assert str(info.value).startswith(f"exp.toml: [{key}] value ")


def test_cli_runs_a_config_and_rejects_a_bad_one(tmp_path: Path, small_dir: Path, capsys) -> None:  # noqa: ANN001
    good = tmp_path / "good.toml"
    good.write_text(
        f'task = "recommend"\nseeds = [0]\n[data]\npath = "{small_dir}"\n'
        '[split]\ncut = 2026-03-01\nhorizon_days = 120\n[[models]]\nname = "popularity"\n',
        encoding="utf-8",
    )
    assert cli_main(["experiment", "run", str(good), "--out", str(tmp_path / "r"), "-q"]) == 0
    assert "popularity" in capsys.readouterr().out
    assert json.loads((tmp_path / "r" / "metrics.json").read_text())
    bad = tmp_path / "bad.toml"
    bad.write_text(good.read_text().replace('"popularity"', '"no-such-model"'), encoding="utf-8")
    assert cli_main(["experiment", "run", str(bad), "--out", str(tmp_path / "b"), "-q"]) == 2
    err = capsys.readouterr().err
    assert "bad.toml" in err and "no-such-model" in err
    assert not (tmp_path / "b").exists()  # nothing written


def test_a_staffrisk_model_plugs_in_with_one_registration(small_dir: Path) -> None:
    from models.registry import register

    register("shortfall", "tests.experiments.fakes:ShortfallRisk", task="risk")
    cfg = {
        "task": "risk",
        "seeds": [0],
        "data": {"path": str(small_dir)},
        "split": {"as_of": "2026-06-30"},
        "models": [{"name": "shortfall"}],
    }
    m = run_experiment(cfg)
    auc = m[(m.metric == "roc_auc") & (m.seed == 0) & (m.slice == "all")]["value"].item()
    assert 0.6 < auc <= 1.0


def test_a_split_that_cannot_be_made_is_a_clear_error_and_writes_nothing(
    tmp_path: Path, small_dir: Path
) -> None:
    cfg = recommend_config(small_dir, [{"name": "popularity"}])
    cfg["split"] = {"cut": "2031-01-01", "horizon_days": 30}
    with pytest.raises(LearnmapError, match=r"\[split\] no completions"):
        run_experiment(cfg, out=tmp_path / "never")
    assert not (tmp_path / "never").exists()


@settings(max_examples=80, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["task", "seeds", "data", "split", "k", "models", "folds", "extra"]),
        st.one_of(
            st.none(),
            st.integers(-2, 12),
            st.text(max_size=6),
            st.lists(st.integers(-1, 3), max_size=3),
            st.dictionaries(
                st.sampled_from(["path", "demo", "cut", "name"]), st.text(max_size=4), max_size=2
            ),
            st.lists(
                st.dictionaries(st.sampled_from(["name", "grid", "label"]), st.text(max_size=4)),
                max_size=2,
            ),
        ),
    )
)
def test_any_config_either_parses_or_names_its_problem(raw: dict) -> None:
    try:
        parse_config(raw, "fuzz.toml")
    except ConfigError as exc:
        assert str(exc).startswith("fuzz.toml: [")


def test_experiment_run_draws_no_bar_into_a_redirected_log(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    """Issue 23: stderr is not a terminal here, so `experiment run` asks for no bar."""
    import pandas as pd

    import experiments.runner
    from engine.cli import main

    seen = {}

    def fake(config, out, progress, fresh):  # noqa: ANN001, ANN202
        seen["progress"] = progress
        return pd.DataFrame(
            [{"model": "m", "metric": "ndcg@10", "value": 0.5, "seed": "mean", "slice": "all"}]
        )

    monkeypatch.setattr(experiments.runner, "run_experiment", fake)
    cfg = tmp_path / "c.toml"
    cfg.write_text("task = 'recommend'\n")
    assert main(["experiment", "run", str(cfg), "--out", str(tmp_path / "r")]) == 0
    assert seen["progress"] is False
