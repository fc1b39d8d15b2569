"""Vectorized parsing of string columns into typed columns.

Each parser takes a Series of trimmed strings and returns ``(values, bad)`` where
``bad`` is a boolean mask of cells that broke the rule; empty cells are left to the
caller (``values`` holds a missing value there and ``bad`` is False).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from engine.schema import ENUM_COLUMNS
from engine.synonyms import label_key, synonyms

LIST_SEP = re.compile(r"\s*[|、，,;；]\s*")
#: Between enumeration values a slash also separates (``会长/新闻发言人``); not in id lists.
ENUM_SEP = re.compile(r"\s*[|、，,;；/／]\s*")

#: Dates as office software writes them: Y-M-D with - / . or 年月日 as separators, or
#: YYYYMMDD; optionally followed by a time of day (dropped).
_DATE = re.compile(
    r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})(?:\s*日)?"
    r"|^(?P<y8>\d{4})(?P<m8>\d{2})(?P<d8>\d{2})"
)
_TIME = re.compile(r"^(?:[ T]\s*\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*[AaPp][Mm])?)?$")
#: Years accepted (anything else is a typo, and beyond what datetime64[ns] holds).
YEAR_MIN, YEAR_MAX = 1900, 2200
_SERIAL = re.compile(r"^\d{5}(?:\.\d+)?$")
#: Excel serial day numbers accepted as dates (1900 date system): 1950-01-01 … 2099-12-31.
SERIAL_MIN, SERIAL_MAX = 18264, 73050
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")


def _parse_one_date(text: str) -> pd.Timestamp | None:
    m = _DATE.match(text)
    if m is not None:
        if not _TIME.match(text[m.end() :]):
            return None
        y, mo, d = (m["y"], m["m"], m["d"]) if m["y"] else (m["y8"], m["m8"], m["d8"])
        if not YEAR_MIN <= int(y) <= YEAR_MAX:
            return None
        try:
            return pd.Timestamp(int(y), int(mo), int(d))
        except ValueError:  # 2025-02-30
            return None
    if _SERIAL.match(text):
        serial = float(text)
        if SERIAL_MIN <= serial <= SERIAL_MAX:
            return _EXCEL_EPOCH + pd.Timedelta(days=int(serial))
    return None


def parse_date(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Dates in the forms of ``engine.schema`` (kind ``date``); parsed once per distinct value."""
    codes, uniques = pd.factorize(s)
    parsed = [_parse_one_date(str(u)) for u in uniques]
    table = pd.array(
        [pd.NaT if p is None else p for p in parsed] + [pd.NaT], dtype="datetime64[ns]"
    )
    values = pd.Series(table[codes], index=s.index)  # code -1 (missing) → the NaT at the end
    bad = (s != "") & values.isna()
    return values.astype("datetime64[ns]"), bad


def parse_number(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    values = pd.to_numeric(s.where(s != ""), errors="coerce").astype("float64")
    bad = (s != "") & (values.isna() | ~np.isfinite(values.fillna(0)))
    return values, bad


def parse_int(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    values, bad = parse_number(s)
    frac = values.notna() & (values != values.round())
    return values.round().astype("Int64"), bad | frac


def _keyed(s: pd.Series, lookup: dict[str, object]) -> pd.Series:
    """``lookup[label_key(cell)]`` for each cell (None where unknown), per distinct value."""
    codes, uniques = pd.factorize(s)
    mapped = [lookup.get(label_key(str(u))) for u in uniques]
    out = pd.Series(np.array([*mapped, None], dtype=object)[codes], index=s.index)
    return out


def parse_bool(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    mapped = _keyed(s, synonyms().bools)  # type: ignore[arg-type]
    values = mapped.fillna(False).astype(bool)
    return values, (s != "") & mapped.isna()


def _enum_lookup(allowed: tuple[str, ...]) -> dict[str, str]:
    """Label key → enumeration key, for the enumerated column whose keys are ``allowed``."""
    for column, keys in ENUM_COLUMNS.items():
        if keys == allowed:
            return synonyms().enums[column]
    return {label_key(k): k for k in allowed}


def parse_enum(s: pd.Series, allowed: tuple[str, ...]) -> tuple[pd.Series, pd.Series]:
    mapped = _keyed(s, _enum_lookup(allowed))  # type: ignore[arg-type]
    return mapped, (s != "") & mapped.isna()


def parse_enum_list(s: pd.Series, allowed: tuple[str, ...]) -> tuple[pd.Series, pd.Series]:
    """One or more enumeration values; normalized to ``|``-joined keys in ``allowed`` order.

    A cell is first looked up whole (a label may itself contain a separator), then split
    on ``| 、 , ; /`` (full- or half-width)."""
    lookup = _enum_lookup(allowed)
    order = {v: i for i, v in enumerate(allowed)}
    uniq = pd.unique(s)
    norm: dict[str, str | None] = {}
    for raw in uniq:
        whole = lookup.get(label_key(raw)) if raw else None
        parts = [p for p in ENUM_SEP.split(raw) if p] if raw else []
        keys = [whole] if whole else [lookup.get(label_key(p)) for p in parts]
        if not keys or any(k is None for k in keys):
            norm[raw] = None
        else:
            norm[raw] = "|".join(sorted(set(keys), key=order.__getitem__))  # type: ignore[arg-type]
    mapped = s.map(norm)
    return mapped, (s != "") & mapped.isna()


def split_list(s: pd.Series) -> pd.Series:
    """``a|b`` → ``"a|b"`` normalized (trimmed, de-duplicated, no empties); the separators of
    ``LIST_SEP`` are all accepted."""
    uniq = pd.unique(s)
    norm = {raw: "|".join(dict.fromkeys(p for p in LIST_SEP.split(raw) if p)) for raw in uniq}
    return s.map(norm)


def explode_list(s: pd.Series) -> pd.Series:
    """One entry per list element, index repeated (empty lists give no entry)."""
    parts = s[s != ""].str.split("|")
    return parts.explode()
