"""Report charts people read: labels not codes, a count on every bar, legends that
cover no bar (checked on the drawn figure, after rendering it to PNG)."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib
import pandas as pd
import pytest
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from engine import labels
from features import plotting
from features.report_charts import status_chart, volume_chart

matplotlib.use("Agg")
AS_OF = pd.Timestamp("2026-11-21")
CODE_KINDS = ("role", "org_type", "status", "mode", "volume_mode", "policy", "unit", "tier")


def _codes() -> re.Pattern[str]:
    codes = {c for k in CODE_KINDS for c in labels.enum_labels(k, "en")}
    return re.compile(
        r"(?<![A-Za-z_])(" + "|".join(map(re.escape, sorted(codes))) + r")(?![A-Za-z_])"
    )


def _volume() -> pd.DataFrame:
    rows = []
    for year, ytd, off, on in ((2025, False, 1950, 7100), (2026, True, 1630, 5400)):
        for m, n, t in (("offline", off, 2000), ("online", on, 6500)):
            due = t * (325 / 365) if ytd else t
            rows.append((year, m, n, t, n / t, ytd, round(due, 1)))
    cols = ["year", "mode", "person_times", "target", "share_of_target", "year_to_date"]
    return pd.DataFrame(rows, columns=[*cols, "target_to_date"])


def _coverage(key: str, values: list[str]) -> pd.DataFrame:
    n = len(values)
    return pd.DataFrame(
        {
            key: values,
            "staff": [120 + 7 * i for i in range(n)],
            "share_met": [0.2] * n,
            "share_on_track": [0.3] * n,
            "share_at_risk": [0.45] * n,
            "share_overdue": [0.05] * n,
        }
    )


def _charts(lang: str):  # noqa: ANN202
    from engine.schema import ORG_TYPES, ROLES

    regions = list(labels.enum_labels("region", "zh-CN"))[:31]
    yield "volume", volume_chart(_volume(), AS_OF, lang)
    yield (
        "role",
        status_chart(_coverage("role", list(ROLES[:-1])), "role", "national-2025", AS_OF, lang),
    )
    yield (
        "org_type",
        status_chart(
            _coverage("org_type", list(ORG_TYPES)), "org_type", "national-2025", AS_OF, lang
        ),
    )
    yield "region", status_chart(_coverage("region", regions), "region", "credits", AS_OF, lang)


def _drawn(fig, tmp_path: Path, name: str) -> list[Text]:  # noqa: ANN001
    png = plotting.save(fig, tmp_path / f"{name}.png", close=False)
    assert png.read_bytes()[:4] == b"\x89PNG"
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_charts_show_labels_not_codes(tmp_path: Path, lang: str) -> None:
    codes = _codes()
    for name, fig in _charts(lang):
        texts = [t.get_text() for t in _drawn(fig, tmp_path, name)]
        if lang == "zh-CN":
            found = [t for t in texts if codes.search(t)]
            title = fig.axes[0].get_title()
            assert re.search(r"[\u4e00-\u9fff]", title), title
        else:  # English labels hold words like "foundation"; codes like on_track, -2025
            found = [t for t in texts if re.search(r"[a-z]+_[a-z]+|[a-z]+-\d{4}", t)]
        assert not found, (name, found)
        matplotlib.pyplot.close(fig)


def _boxes(fig):  # noqa: ANN001, ANN202
    ax = fig.axes[0]
    bars = [p.get_window_extent() for p in ax.patches if isinstance(p, Rectangle)]
    bars = [b for b in bars if b.width > 0 and b.height > 0]
    return ax, bars, ax.get_legend().get_window_extent()


def test_legends_cover_no_bar_and_every_bar_shows_its_count(tmp_path: Path) -> None:
    for name, fig in _charts("zh-CN"):
        texts = [t.get_text() for t in _drawn(fig, tmp_path, name)]
        ax, bars, legend = _boxes(fig)
        assert bars
        assert not [b for b in bars if b.overlaps(legend)], name
        assert not ax.get_window_extent().overlaps(legend), name  # outside the data area
        if name == "volume":
            for n in (1950, 7100, 1630, 5400):
                assert f"{n:,}" in texts
            assert "2026年截至11月21日" in texts  # a partial year says so
        else:
            rows = {"role": 9, "org_type": 3, "region": 31}[name]
            counts = [f"{120 + 7 * i:,}" for i in range(rows)]
            assert set(counts) <= set(texts), name  # staff per bar
            assert "45%" in texts  # shares inside the segments
        matplotlib.pyplot.close(fig)


def test_status_chart_orders_roles_as_the_plan_lists_them(tmp_path: Path) -> None:
    frame = _coverage("role", ["supervisor", "head", "finance"])
    fig = status_chart(frame, "role", "national-2025", AS_OF)
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert ticks == ["负责人", "监事", "财务管理"]
    matplotlib.pyplot.close(fig)
