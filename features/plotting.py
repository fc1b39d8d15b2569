"""Matplotlib helpers shared by the report, the learning map and experiment plots.

Chinese labels need a CJK font, and matplotlib ships none.  We bundle one through a
pinned pip dependency: ``mplfonts`` (PyPI) ships Noto Sans CJK SC
(``mplfonts/fonts/NotoSansCJKsc-Regular.otf``, SIL Open Font License), so every PNG
shows Chinese on a fresh machine with no system fonts.  We only read the font file
from the installed package (``mplfonts``' own helpers, which edit matplotlib's
configuration, are not used).  A system CJK font is used if the bundled one is
missing; with neither, charts fall back to ids or pinyin for province names instead of
drawing empty boxes.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from functools import lru_cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from engine.outputs import atomic_path  # noqa: E402

log = logging.getLogger(__name__)
logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)

_CJK_NAMES = (
    "Noto Sans CJK SC",
    "Noto Sans CJK",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Heiti SC",
    "AR PL UMing CN",
    "Droid Sans Fallback",
)
PINYIN = {
    "北京": "Beijing",
    "天津": "Tianjin",
    "河北": "Hebei",
    "上海": "Shanghai",
    "江苏": "Jiangsu",
    "浙江": "Zhejiang",
    "广东": "Guangdong",
    "山东": "Shandong",
    "福建": "Fujian",
    "湖北": "Hubei",
    "湖南": "Hunan",
    "河南": "Henan",
    "安徽": "Anhui",
    "江西": "Jiangxi",
    "四川": "Sichuan",
    "重庆": "Chongqing",
    "陕西": "Shaanxi",
    "山西": "Shanxi",
    "辽宁": "Liaoning",
    "吉林": "Jilin",
    "黑龙江": "Heilongjiang",
    "广西": "Guangxi",
    "云南": "Yunnan",
    "贵州": "Guizhou",
    "海南": "Hainan",
    "内蒙古": "Inner Mongolia",
    "甘肃": "Gansu",
    "宁夏": "Ningxia",
    "青海": "Qinghai",
    "新疆": "Xinjiang",
    "西藏": "Tibet",
    "香港": "Hong Kong",
    "澳门": "Macao",
    "台湾": "Taiwan",
}


BUNDLED_FONT = ("mplfonts", "fonts", "NotoSansCJKsc-Regular.otf")


def bundled_font_path() -> str | None:
    """Path of the CJK font shipped by the ``mplfonts`` package, or None."""
    spec = importlib.util.find_spec(BUNDLED_FONT[0])
    if spec is None or not spec.submodule_search_locations:
        return None
    path = os.path.join(spec.submodule_search_locations[0], *BUNDLED_FONT[1:])
    return path if os.path.isfile(path) else None


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """Name of a font that can draw Chinese (the bundled one first), or None."""
    bundled = bundled_font_path()
    if bundled is not None:
        try:
            font_manager.fontManager.addfont(bundled)
            return font_manager.FontProperties(fname=bundled).get_name()
        except (OSError, RuntimeError, ValueError):  # pragma: no cover - damaged file
            log.warning("could not load the bundled CJK font %s", bundled)
    installed = {f.name for f in font_manager.fontManager.ttflist}
    for name in _CJK_NAMES:
        if name in installed:
            return name
    return None


def setup() -> None:
    font = cjk_font()
    if font:
        plt.rcParams["font.sans-serif"] = [font, "DejaVu Sans"]
        plt.rcParams["axes.unicode_minus"] = False


def label(text: str, fallback: str | None = None) -> str:
    """``text`` if it can be drawn, else pinyin (provinces), ``fallback`` or ``text``."""
    if text.isascii() or cjk_font():
        return text
    return PINYIN.get(text, fallback if fallback is not None else text)


def save(fig: plt.Figure, path: str | Path, close: bool = True) -> Path:
    """Write a PNG atomically (a reader never sees half a file), with the mode the
    user's umask gives (``engine.outputs``), and close the figure (``close=False``
    keeps it open, e.g. for a test to inspect what was drawn)."""
    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=120, bbox_inches="tight", format="png")
    finally:
        if close:
            plt.close(fig)
    return Path(path)
