"""Vectorized parsing of string columns into typed columns.

Each parser takes a Series of trimmed strings and returns ``(values, bad)`` where
``bad`` is a boolean mask of cells that broke the rule; empty cells are left to the
caller (``values`` holds a missing value there and ``bad`` is False).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from engine.schema import ENUM_LABELS, FALSE_VALUES, TRUE_VALUES

LIST_SEP = re.compile(r"\s*[|、，,;；]\s*")


def parse_date(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """ISO dates; also YYYY/MM/DD, YYYY年M月D日 and Excel's 'YYYY-MM-DD 00:00:00'."""
    t = (
        s.str.replace(r"[/.年月]", "-", regex=True)
        .str.replace("日", "", regex=False)
        .str.replace(r"[ T]00:00(:00(\.0+)?)?$", "", regex=True)
    )
    values = pd.to_datetime(t.where(t != ""), format="%Y-%m-%d", errors="coerce")
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


def parse_bool(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    low = s.str.lower()
    true, false = low.isin(TRUE_VALUES), low.isin(FALSE_VALUES)
    return pd.Series(true.to_numpy(), index=s.index), (s != "") & ~(true | false)


def _enum_lookup(allowed: tuple[str, ...]) -> dict[str, str]:
    table = {v: v for v in allowed}
    table.update({k: v for k, v in ENUM_LABELS.items() if v in allowed})
    table.update({k.lower(): v for k, v in table.items()})
    return table


def parse_enum(s: pd.Series, allowed: tuple[str, ...]) -> tuple[pd.Series, pd.Series]:
    lookup = _enum_lookup(allowed)
    mapped = s.map(lookup)
    mapped = mapped.where(mapped.notna(), s.str.lower().map(lookup))
    return mapped, (s != "") & mapped.isna()


def parse_enum_list(s: pd.Series, allowed: tuple[str, ...]) -> tuple[pd.Series, pd.Series]:
    """One or more enumeration values; normalized to ``|``-joined keys in ``allowed`` order."""
    lookup = _enum_lookup(allowed)
    order = {v: i for i, v in enumerate(allowed)}
    uniq = pd.unique(s)
    norm: dict[str, str | None] = {}
    for raw in uniq:
        parts = [p for p in LIST_SEP.split(raw) if p] if raw else []
        keys = [lookup.get(p, lookup.get(p.lower())) for p in parts]
        if not parts or any(k is None for k in keys):
            norm[raw] = None
        else:
            norm[raw] = "|".join(sorted(set(keys), key=order.__getitem__))  # type: ignore[arg-type]
    mapped = s.map(norm)
    return mapped, (s != "") & mapped.isna()


def split_list(s: pd.Series) -> pd.Series:
    """``a|b`` → ``"a|b"`` normalized (trimmed, de-duplicated, no empties)."""
    uniq = pd.unique(s)
    norm = {raw: "|".join(dict.fromkeys(p for p in LIST_SEP.split(raw) if p)) for raw in uniq}
    return s.map(norm)


def explode_list(s: pd.Series) -> pd.Series:
    """One entry per list element, index repeated (empty lists give no entry)."""
    parts = s[s != ""].str.split("|")
    return parts.explode()
