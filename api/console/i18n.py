"""The console's words and number formats, Chinese (``zh-CN``, default) or English.

Enumeration codes and column headers come from the project's label catalogue
(``engine.labels``: the same words as the CLI's tables and spreadsheets); what it does
not hold (console-only kinds and headers, the console's own messages under
``[<lang>.console]``) comes from ``strings.toml`` next to this file, which repeats
nothing the catalogue defines.  The
language is the ``lang`` query parameter, else the ``lm_lang`` cookie the switch sets,
else ``LEARNMAP_LANG``, else ``zh-CN``.

Numbers are written as a Chinese administrator writes them: thousands separated by
commas (12,345), dates ``2026年11月21日``, shares with ``%``; hours are 学时 and
credits 学分 (``unit``).
"""

from __future__ import annotations

import math
import os
import tomllib
from datetime import date, datetime
from functools import cache
from importlib.resources import files
from typing import Any

from engine import labels as catalogue

LANGS = ("zh-CN", "en")
DEFAULT = "zh-CN"


@cache
def _strings() -> dict[str, Any]:
    return tomllib.loads((files("api.console") / "strings.toml").read_text("utf-8"))


@cache
def _kinds() -> frozenset[str]:
    return frozenset(catalogue.kinds())


def get_lang(value: str | None = None) -> str:
    """``zh-CN`` or ``en`` from a request's choice, ``LEARNMAP_LANG``, or the default."""
    for v in (value, os.environ.get("LEARNMAP_LANG")):
        if not v:
            continue
        v = v.strip()
        if v.lower().startswith("en"):
            return "en"
        if v.lower().startswith("zh"):
            return "zh-CN"
    return DEFAULT


def _lookup(lang: str, *path: str) -> str | None:
    node: Any = _strings().get(lang, {})
    for p in path:
        if not isinstance(node, dict) or p not in node:
            return None
        node = node[p]
    return node if isinstance(node, str) else None


class Lang:
    """The words of one language, handed to templates as ``L``."""

    def __init__(self, code: str) -> None:
        self.code = get_lang(code)
        self.zh = self.code == "zh-CN"

    def t(self, key: str, **fmt: object) -> str:
        """A console message (``console.<key>``); the key itself if it is missing."""
        text = _lookup(self.code, "console", *key.split(".")) or _lookup(
            "en", "console", *key.split(".")
        )
        if text is None:
            return key
        return text.format(**fmt) if fmt else text

    def label(self, kind: str, code: object) -> str:
        """An enumeration code in words (``role``/``head`` → 负责人); several codes
        separated by ``|`` are each translated and joined with 、 (or ", ")."""
        if code is None or (isinstance(code, float) and math.isnan(code)):
            return ""
        parts = str(code).split("|")
        sep = "、" if self.zh else ", "
        return sep.join(self._one(kind, p) for p in parts)

    def _one(self, kind: str, code: str) -> str:
        got = catalogue.label(kind, code, self.code) if kind in _kinds() else code
        return got if got != code else (_lookup(self.code, "enum", kind, code) or code)

    def col(self, name: str) -> str:
        got = catalogue.column(name, self.code)
        return got if got != name else (_lookup(self.code, "column", name) or name)

    def num(self, x: object, digits: int = 0) -> str:
        if x is None:
            return "—"
        try:
            v = float(x)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return str(x)
        if not math.isfinite(v):
            return "—"
        return f"{v:,.{digits}f}"

    def pct(self, x: object, digits: int = 1) -> str:
        if x is None:
            return "—"
        v = float(x)  # type: ignore[arg-type]
        return "—" if not math.isfinite(v) else f"{v * 100:.{digits}f}%"

    def day(self, d: object) -> str:
        if d is None or d != d or str(d) in ("", "NaT", "None"):
            return "—"
        if isinstance(d, datetime):
            d = d.date()
        if not isinstance(d, date):
            d = date.fromisoformat(str(d)[:10])
        return f"{d.year}年{d.month}月{d.day}日" if self.zh else d.isoformat()

    def unit(self, kind: str) -> str:
        """The unit of a policy kind (``person_times`` / ``hours`` / ``credits``): 人次 /
        学时 / 学分, the catalogue's ``policy_kind`` labels."""
        return catalogue.label("policy_kind", kind, self.code)
