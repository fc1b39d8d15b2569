"""Cell checks: each cell typed by its column's kind (id, text, enumeration, date,
boolean, number) and held to the column's bounds; bad cells become problems."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from engine import coerce
from engine.errors import Rule
from engine.readers import RawTable
from engine.schema import Column
from engine.validate.collector import _Collector


def _bounds_rule(col: Column) -> Rule:
    lo_op, hi_op = (">" if col.lo_open else "≥"), ("<" if col.hi_open else "≤")
    if col.hi is None:
        return Rule("at_least", op=lo_op, lo=f"{col.lo:g}")
    if col.lo is None:
        return Rule("at_most", op=hi_op, hi=f"{col.hi:g}")
    return Rule("between", lo_op=lo_op, lo=f"{col.lo:g}", hi_op=hi_op, hi=f"{col.hi:g}")


def _kind(raw: RawTable, col: Column) -> str:
    """The catalogue's enumeration kind of ``col``'s values (its labels are what people
    may also write: ingest reads them)."""
    if raw.table == "participations" and col.name == "status":
        return "participation_status"
    from engine.labels import ENUM_OF_COLUMN

    return ENUM_OF_COLUMN.get(col.name, col.name)


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
        out.cells(raw, empty, col.name, Rule("not_empty"))
    if kind in ("id", "text", "ref"):
        return s.where(~empty, None) if col.optional_value else s
    if kind == "refs":
        return coerce.split_list(s)
    if kind == "enum":
        values, bad = _by_unique(coerce.parse_enum, s, col.enum)
        out.cells(
            raw, bad, col.name, Rule("one_of", values=", ".join(col.enum), kind=_kind(raw, col))
        )
        return values
    if kind == "enums":
        values, bad = coerce.parse_enum_list(s, col.enum)
        out.cells(
            raw, bad, col.name, Rule("some_of", values=", ".join(col.enum), kind=_kind(raw, col))
        )
        return values
    if kind == "date":
        values, bad = _by_unique(coerce.parse_date, s)
        out.cells(raw, bad, col.name, Rule("date"))
        return values
    if kind == "bool":
        values, bad = _by_unique(coerce.parse_bool, s)
        out.cells(raw, bad, col.name, Rule("bool"))
        return values
    if kind in ("float", "int"):
        values, bad = _by_unique(coerce.parse_int if kind == "int" else coerce.parse_number, s)
        out.cells(raw, bad, col.name, Rule("int" if kind == "int" else "number"))
        out.cells(raw, ~bad & _out_of_bounds(values, col), col.name, _bounds_rule(col))
        return values
    raise AssertionError(f"unknown column kind {col.kind!r}")
