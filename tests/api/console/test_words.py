"""The console's words: enumeration labels and column headers come from the label
catalogue (``engine/labels``) and are never defined a second time in the console's
``strings.toml``; the console's own words exist in both languages; no page shows a
message key instead of words."""

from __future__ import annotations

import re
import tomllib
from importlib.resources import files
from pathlib import Path

import pytest

from api.console.i18n import LANGS, Lang
from engine import labels as catalogue

CONSOLE = Path(str(files("api.console")))


def _strings() -> dict:
    return tomllib.loads((CONSOLE / "strings.toml").read_text("utf-8"))


def _keys(node: dict, prefix: str = "") -> set[str]:
    out = set()
    for k, v in node.items():
        out |= _keys(v, f"{prefix}{k}.") if isinstance(v, dict) else {prefix + k}
    return out


@pytest.mark.parametrize("lang", LANGS)
def test_no_label_or_header_is_defined_twice(lang: str) -> None:
    words = _strings()[lang]
    twice = sorted(set(words.get("enum", {})) & set(catalogue.kinds()))
    assert twice == [], f"enumeration kinds the catalogue holds: {twice}"
    headers = [c for c in words.get("column", {}) if catalogue.column(c, lang) != c]
    assert headers == [], f"column headers the catalogue holds: {headers}"


def test_both_languages_hold_the_same_console_words() -> None:
    s = _strings()
    assert _keys(s["zh-CN"]) == _keys(s["en"])


def _used(pattern: str) -> set[str]:
    found = set()
    for path in [*CONSOLE.glob("*.py"), *CONSOLE.glob("templates/*.html")]:
        found |= set(re.findall(pattern, path.read_text("utf-8")))
    return {k for k in found if not k.endswith((".", "_"))}  # built keys: not checkable


def _has(node: object, key: str) -> bool:
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return isinstance(node, str)


@pytest.mark.parametrize("lang", LANGS)
def test_every_word_the_console_asks_for_exists(lang: str) -> None:
    words = _strings()[lang]
    messages = _used(r"""L\.t\(["']([\w.]+)["']""")
    assert len(messages) > 40  # the scan finds the pages' words
    assert sorted(k for k in messages if not _has(words["console"], k)) == []
    headers = _used(r"""L\.col\(["'](\w+)["']""")
    missing = [h for h in headers if catalogue.column(h, lang) == h and h not in words["column"]]
    assert headers and missing == []


def test_words_the_catalogue_gives_the_console() -> None:
    zh, en = Lang("zh-CN"), Lang("en")
    assert zh.unit("hours") == "学时" and zh.unit("credits") == "学分"
    assert zh.unit("person_times") == catalogue.label("policy_kind", "person_times", "zh-CN")
    assert en.unit("person_times") == catalogue.label("policy_kind", "person_times", "en")
    assert zh.label("role", "hr|head") == "、".join(
        catalogue.label("role", r, "zh-CN") for r in ("hr", "head")
    )
    assert zh.col("p_unit_rule") == catalogue.column("p_unit_rule", "zh-CN")
    # console-only words stay the console's
    assert zh.label("key_role", "org_manager") == "机构管理员"
    assert en.col("min_n") == "Min. n"
