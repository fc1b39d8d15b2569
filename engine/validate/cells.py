"""Cell checks: each cell typed by its column's kind (id, text, enumeration, date,
boolean, number) and held to the column's bounds; bad cells become problems."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from engine import coerce
from engine.readers import RawTable
from engine.schema import Column
from engine.validate.collector import _Collector


def _bounds_rule(col: Column) -> str:
    lo = "" if col.lo is None else ("> " if col.lo_open else "≥ ") + f"{col.lo:g}"
    hi = "" if col.hi is None else ("< " if col.hi_open else "≤ ") + f"{col.hi:g}"
    return "must be " + " and ".join(x for x in (lo, hi) if x)


def _out_of_bounds(values: pd.Series, col: Column) -> pd.Series:
    v = values.astype("float64")
    bad = pd.Series(False, index=values.index)
    if col.lo is not None:
        bad |= (v <= col.lo) if col.lo_open else (v < col.lo)
    if col.hi is not None:
        bad |= (v >= col.hi) if col.hi_open else (v > col.hi)
    return bad.fillna(False).astype(bool)


def _by_unique(
    parse: Callable[..., tuple[pd.Series, pd.Series]], s: pd.Series, *args: object
) -> tuple[pd.Series, pd.Series]:
    """Run a cell-by-cell parser once per distinct value (dates, enumerations and
    numbers repeat a lot: millions of cells, thousands of values)."""
    codes, uniques = pd.factorize(s)
    if len(uniques) * 4 > len(s) or (codes < 0).any():
        return parse(s, *args)
    values, bad = parse(pd.Series(np.asarray(uniques, dtype=object), dtype=s.dtype), *args)
    values = pd.Series(values.to_numpy()[codes], index=s.index, dtype=values.dtype)
    return values, pd.Series(bad.to_numpy(dtype=bool)[codes], index=s.index)


def _coerce_column(raw: RawTable, col: Column, out: _Collector) -> pd.Series:
    s = raw.frame[col.name]
    kind = col.kind.removeprefix("opt_")
    empty = s == ""
    if not col.optional_value and kind not in ("refs",):
        out.cells(raw, empty, col.name, "must not be empty")
    if kind in ("id", "text", "ref"):
        return s.where(~empty, None) if col.optional_value else s
    if kind == "refs":
        return coerce.split_list(s)
    if kind == "enum":
        values, bad = _by_unique(coerce.parse_enum, s, col.enum)
        out.cells(raw, bad, col.name, "must be one of " + ", ".join(col.enum))
        return values
    if kind == "enums":
        values, bad = coerce.parse_enum_list(s, col.enum)
        out.cells(
            raw, bad, col.name, "must be one or more of " + ", ".join(col.enum) + " separated by |"
        )
        return values
    if kind == "date":
        values, bad = _by_unique(coerce.parse_date, s)
        out.cells(raw, bad, col.name, "must be a date YYYY-MM-DD")
        return values
    if kind == "bool":
        values, bad = _by_unique(coerce.parse_bool, s)
        out.cells(raw, bad, col.name, "must be true or false (1/0, yes/no, 是/否)")
        return values
    if kind in ("float", "int"):
        values, bad = _by_unique(coerce.parse_int if kind == "int" else coerce.parse_number, s)
        noun = "a whole number" if kind == "int" else "a number"
        out.cells(raw, bad, col.name, f"must be {noun}")
        out.cells(raw, ~bad & _out_of_bounds(values, col), col.name, _bounds_rule(col))
        return values
    raise AssertionError(f"unknown column kind {col.kind!r}")
