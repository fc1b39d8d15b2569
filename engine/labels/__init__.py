"""The label catalogue: what people read for every code, column and message.

Codes stay the machine's names (``head``, ``on_track``, ``staff_id``, ``national-2025``);
people read labels.  Two data files hold them, with the same keys (a test checks it):
``zh-CN.toml`` (the default: the product's users are Chinese training administrators)
and ``en.toml``.  Each has

- ``[enum.<kind>]`` — ``code = "label"`` per enumeration value (``label(kind, code)``);
  kinds: ``role``, ``org_type``, ``status`` (compliance: 达标/进度正常/有风险/逾期/无要求),
  ``participation_status``, ``mode``, ``volume_mode``, ``tier``, ``outcome_kind``,
  ``method``, ``risk_level``, ``policy``, ``policy_kind``, ``unit``, ``target_scope``,
  ``scope``, ``bool``, ``table``, ``node_kind``, ``link_kind``, ``map_state``,
  ``evidence``, ``forecast_vs_status``, ``region`` (regions are stored as Chinese
  names; English gives pinyin), ``api_role``, ``audit_action``, ``audit_outcome``,
  ``xapi_state``;
- ``[column]`` — a header per column name (``column(name)``), and ``[column_pattern]``
  for families of columns: ``hours_{year}``, ``staff_{role}``, ``share_{status}``,
  ``{column}_label`` …;
- ``[text]`` — messages and templates with ``str.format`` fields (``text(key, **fmt)``).

The language is ``lang`` when given, else ``LEARNMAP_LANG``, else ``zh-CN``
(``get_lang``).  ``display_frame`` turns a frame of codes into what a person reads:
display columns beside the code columns, and (for spreadsheets) translated headers;
``pad`` aligns labels in terminal tables (a Chinese character is two columns wide).
"""

from __future__ import annotations

import os
import re
import tomllib
import unicodedata
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

import pandas as pd

from engine.errors import LearnmapError

__all__ = [
    "DEFAULT_LANG",
    "ENUM_OF_COLUMN",
    "LANGS",
    "column",
    "display_frame",
    "display_width",
    "enum_labels",
    "get_lang",
    "kinds",
    "label",
    "label_many",
    "pad",
    "parse_label",
    "text",
    "text_keys",
]

DEFAULT_LANG = "zh-CN"
LANGS = ("zh-CN", "en")
_ALIASES = {"zh": "zh-CN", "zh-cn": "zh-CN", "zh_cn": "zh-CN", "zh-hans": "zh-CN", "cn": "zh-CN"}
_ALIASES |= {"en": "en", "en-us": "en", "en_us": "en", "en-gb": "en", "en_gb": "en"}

#: Column name → the enumeration kind of its values, for ``display_frame``.
ENUM_OF_COLUMN: dict[str, str] = {
    "role": "role",
    "org_type": "org_type",
    "status": "status",
    "cycle_status": "status",
    "mode": "mode",
    "tier": "tier",
    "kind": "outcome_kind",
    "method": "method",
    "policy": "policy",
    "unit": "unit",
    "target_scope": "target_scope",
    "scope": "scope",
    "region": "region",
    "risk_level": "risk_level",
    "evidence": "evidence",
    "forecast_vs_status": "forecast_vs_status",
}
#: Separator of several values in one cell (``head|supervisor``), as people write it.
_LIST_SEP = {"zh-CN": "、", "en": ", "}
#: ``{name}`` placeholders of column patterns → the regex and the kind their code is in.
_SLOTS = {"year": (r"(?P<year>\d{4})", None), "role": ("(?P<role>.+)", "role")}
_SLOTS |= {"status": ("(?P<status>.+)", "status"), "column": ("(?P<column>.+)", "column")}


def get_lang(lang: str | None = None) -> str:
    """``"zh-CN"`` or ``"en"``: ``lang`` if given, else ``LEARNMAP_LANG``, else zh-CN.

    Accepts ``zh``, ``zh-CN`` (any case, ``_`` or ``-``), ``en``, ``en-US`` …; anything
    else is an error naming the value."""
    source = "--lang"
    if lang is None:
        lang = os.environ.get("LEARNMAP_LANG") or DEFAULT_LANG
        source = "LEARNMAP_LANG"
    key = lang.strip().lower()
    if lang in LANGS:
        return lang
    if key in _ALIASES:
        return _ALIASES[key]
    raise LearnmapError(f"{source}={lang!r}: unknown language; use zh-CN (or zh) or en")


@cache
def _catalogue(lang: str) -> dict[str, Any]:
    data = resources.files(__name__).joinpath(f"{lang}.toml").read_text(encoding="utf-8")
    return tomllib.loads(data)


@cache
def _patterns(lang: str) -> list[tuple[re.Pattern[str], str, dict[str, str | None]]]:
    out = []
    pats = _catalogue(lang).get("column_pattern", {})
    # most specific first: patterns with fewer free slots and longer literal text
    for pat, tmpl in sorted(pats.items(), key=lambda kv: ("{column}" in kv[0], -len(kv[0]))):
        regex, slots = "", {}
        for part in re.split(r"(\{\w+\})", pat):
            name = part[1:-1] if part.startswith("{") else None
            if name in _SLOTS:
                regex += _SLOTS[name][0]
                slots[name] = _SLOTS[name][1]
            else:
                regex += re.escape(part)
        out.append((re.compile(f"^{regex}$"), tmpl, slots))
    return out


def kinds(lang: str | None = None) -> list[str]:
    """The enumeration kinds the catalogue labels."""
    return sorted(_catalogue(get_lang(lang))["enum"])


def enum_labels(kind: str, lang: str | None = None) -> dict[str, str]:
    """``{code: label}`` of one kind, in catalogue order (empty for an unknown kind)."""
    return dict(_catalogue(get_lang(lang))["enum"].get(kind, {}))


def label(kind: str, code: object, lang: str | None = None) -> str:
    """The display text of one enumeration value; an unknown code is shown as itself.

    ``True``/``False`` under kind ``bool`` read 是/否."""
    if code is None or (isinstance(code, float) and code != code):
        return ""
    key = str(code).lower() if isinstance(code, bool) else str(code)
    return _catalogue(get_lang(lang))["enum"].get(kind, {}).get(key, str(code))


def label_many(kind: str, codes: object, lang: str | None = None) -> str:
    """Labels of a ``|``-separated value (``head|supervisor`` → 负责人、监事)."""
    lang = get_lang(lang)
    if codes is None or (isinstance(codes, float) and codes != codes):
        return ""
    parts = [p for p in str(codes).split("|") if p]
    return _LIST_SEP[lang].join(label(kind, p, lang) for p in parts)


def parse_label(kind: str, value: str) -> str | None:
    """The code of ``value`` given as a code or as a label in any language (else None):
    ``parse_label("region", "Hainan")`` → ``"海南"``."""
    want = value.strip().casefold()
    for lang in LANGS:
        for code, text_ in _catalogue(lang)["enum"].get(kind, {}).items():
            if want in (code.casefold(), text_.casefold()):
                return code
    return None


def column(name: str, lang: str | None = None) -> str:
    """The header people read for a column name; an unknown name is shown as itself."""
    lang = get_lang(lang)
    cols = _catalogue(lang)["column"]
    if name in cols:
        return cols[name]
    for regex, tmpl, slots in _patterns(lang):
        m = regex.match(name)
        if m is None:
            continue
        values = {}
        for slot, kind in slots.items():
            got = m.group(slot)
            if kind == "column":
                if got not in cols:
                    break
                values[slot] = cols[got]
            elif kind is not None:
                if got not in _catalogue(lang)["enum"].get(kind, {}):
                    break
                values[slot] = label(kind, got, lang)
            else:
                values[slot] = got
        else:
            return tmpl.format(**values)
    return name


def text(key: str, lang: str | None = None, /, **fmt: object) -> str:
    """A message of the catalogue, formatted with ``fmt``; a missing key is a KeyError."""
    msg = _catalogue(get_lang(lang))["text"][key]
    return msg.format(**fmt) if fmt else msg


def display_width(value: object) -> int:
    """Terminal columns ``value`` takes: a Chinese character (or full-width mark) two."""
    s = str(value)
    return len(s) + sum(unicodedata.east_asian_width(c) in "WF" for c in s)


def pad(value: object, width: int, align: str = "<") -> str:
    """``value`` padded with spaces to ``width`` terminal columns (``"<"`` left-aligned,
    ``">"`` right): ``str.ljust`` would leave a table of Chinese labels ragged."""
    fill = " " * max(0, width - display_width(value))
    return f"{value}{fill}" if align == "<" else f"{fill}{value}"


def text_keys(lang: str | None = None) -> set[str]:
    return set(_catalogue(get_lang(lang))["text"])


def _is_bool(values: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(values):
        return True
    if values.dtype != object:
        return False
    seen = set(values.dropna().map(type))
    return bool(seen) and seen <= {bool}


def display_frame(
    df: pd.DataFrame,
    lang: str | None = None,
    keep_codes: bool = True,
    *,
    rename: bool = True,
    kinds: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """``df`` as a person reads it.

    Enumeration columns (``ENUM_OF_COLUMN``, overridden or extended by ``kinds``, e.g.
    ``{"status": "participation_status"}``) get their labels:

    - ``rename=True`` (spreadsheets): headers become ``column(name)``; with
      ``keep_codes`` an enumeration keeps its codes in a column headed e.g.
      ``状态（代码）`` and its labels follow under ``状态``; without, the labels replace
      the codes.  True/False cells read 是/否.
    - ``rename=False`` (CSV that scripts also read): headers stay as they are and each
      enumeration gains ``<name>_label`` right after it.
    """
    lang = get_lang(lang)
    which = {**ENUM_OF_COLUMN, **(kinds or {})}
    cols: list[tuple[str, str, pd.Series]] = []  # (header, source column, values)
    for name in df.columns:
        values = df[name]
        kind = which.get(str(name))
        head = column(str(name), lang) if rename else str(name)
        if kind is None:
            if rename and _is_bool(values):
                values = values.map(lambda v: label("bool", v, lang), na_action="ignore")
            cols.append((head, str(name), values))
            continue
        fn = label_many if kind == "role" else label
        shown = values.astype(object).map(lambda v, k=kind, f=fn: f(k, v, lang), na_action="ignore")
        if not rename:
            cols += [(head, str(name), values), (f"{name}_label", str(name), shown)]
        elif keep_codes:
            cols += [
                (head + text("code_suffix", lang), str(name), values),
                (head, str(name), shown),
            ]
        else:
            cols.append((head, str(name), shown))
    seen: dict[str, int] = {}
    for h, _, _ in cols:
        seen[h] = seen.get(h, 0) + 1
    # two columns shown under one header (``title`` and ``module_title``): name the source
    out = {(h if seen[h] == 1 else f"{h} ({src})"): v for h, src, v in cols}
    return pd.DataFrame(out, index=df.index)
