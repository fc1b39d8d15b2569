"""Issue 23, finding 6: the effect chart named modules by id and its title claimed an
effect from a before/after self-assessment with no comparison group.  Now it names
them by title, says what it is (no comparison group) in the catalogue's words, and its
legend sits off the data."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pandas as pd
import pytest
from matplotlib.text import Text

import experiments.plots as plots
from engine.labels import text
from experiments import run_experiment
from features import plotting

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def gains(small_dir: Path, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """An effect run on the demo, written to a folder, with the titles it drew."""
    seen: dict[str, object] = {}
    real = plots.effect_chart

    def spy(metrics, titles=None, top=30, lang=None):  # noqa: ANN001, ANN202
        seen["titles"] = titles
        return real(metrics, titles, top, lang)

    out = tmp_path_factory.mktemp("effect")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(plots, "effect_chart", spy)
        m = run_experiment({"task": "effect", "seeds": [0], "data": {"path": str(small_dir)}}, out)
    modules = pd.read_csv(small_dir / "modules.csv", dtype=str)
    return m, dict(zip(modules["module_id"], modules["title"], strict=True)), out, seen


def _drawn(fig, tmp_path: Path) -> list[str]:  # noqa: ANN001
    plotting.save(fig, tmp_path / "e.png", close=False)
    return [t.get_text() for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_modules_by_title_no_claimed_effect(gains, tmp_path: Path, lang: str) -> None:  # noqa: ANN001
    metrics, titles, _, _ = gains
    fig = plots.effect_chart(metrics, titles, lang=lang)
    drawn = _drawn(fig, tmp_path)
    assert text("chart_effect_title", lang) in drawn and text("chart_effect_note", lang) in drawn
    ids = set(titles)
    assert not ids & set(drawn), sorted(ids & set(drawn))[:5]  # no module id on the axis
    shown = set(fig.axes[0].get_yticklabels()[i].get_text() for i in range(3))
    assert shown <= set(titles.values())
    for kind in ("post", "followup"):
        assert text(f"chart_effect_{kind}", lang) in drawn
    if lang == "zh-CN":
        assert not any("effect" in t.lower() or "gain" in t.lower() for t in drawn)


def test_the_legend_covers_no_data(gains, tmp_path: Path) -> None:  # noqa: ANN001
    metrics, titles, _, _ = gains
    fig = plots.effect_chart(metrics, titles)
    plotting.save(fig, tmp_path / "e.png", close=False)
    ax = fig.axes[0]
    legend = fig.legends[0].get_window_extent()
    assert not legend.overlaps(ax.get_window_extent())


def test_the_run_draws_the_titles(gains) -> None:  # noqa: ANN001
    _, titles, out, seen = gains
    assert (out / "effect.png").stat().st_size > 5000
    assert seen["titles"] == titles
