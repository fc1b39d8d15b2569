"""Charts show Chinese on a fresh machine: the font comes from a pip package."""

from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.ft2font import FT2Font

from features import plotting


def test_bundled_font_ships_with_a_pip_dependency_and_covers_the_labels() -> None:
    path = plotting.bundled_font_path()
    assert path is not None and "mplfonts" in path
    font = FT2Font(path)
    for ch in "培训推荐模型可靠性曲线北京中国社会组织负责人":
        assert font.get_char_index(ord(ch)) != 0, ch
    assert plotting.cjk_font() == "Noto Sans CJK SC"  # preferred over any system font
    assert plotting.label("北京") == "北京"  # no pinyin fallback needed


def test_a_chinese_chart_renders_without_missing_glyphs(tmp_path: Path) -> None:
    plotting.setup()
    fig, ax = plt.subplots()
    ax.bar(["负责人", "财务", "监事"], [3, 5, 5])
    ax.set_title("各角色培训要求 人次")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = plotting.save(fig, tmp_path / "zh.png")
    missing = [str(w.message) for w in caught if "missing from" in str(w.message)]
    assert not missing, missing
    assert out.stat().st_size > 5000
