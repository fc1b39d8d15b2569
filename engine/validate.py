"""Validate raw tables into typed canonical frames, collecting *every* problem.

``validate_dataset`` checks, per table: required columns present; each cell against
its column's kind, enumeration and bounds; unique keys; cross-column rules (dates in
order, completed ⇔ completion date, a session belongs to the participation's
module); foreign keys against the batch and what is already stored; acyclic skill
parents and module prerequisites (the cycle is named).  It raises one
``ValidationError`` listing all problems, or returns the typed frames.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import networkx as nx
import numpy as np
import pandas as pd

from engine import coerce
from engine.errors import Problem, ValidationError
from engine.readers import ROW, RawTable
from engine.schema import TABLE_ORDER, TABLES, Column, Table

log = logging.getLogger(__name__)

#: ``existing(table, columns)`` returns rows already stored (for foreign keys).
Existing = Callable[[str, list[str]], pd.DataFrame]


def _no_existing(table: str, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(columns=columns)


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def cells(
        self,
        raw: RawTable,
        mask: pd.Series,
        column: str,
        rule: str,
        values: pd.Series | None = None,
    ) -> None:
        if not mask.any():
            return
        frame = raw.frame
        vals = (values if values is not None else frame[column])[mask].astype(str)
        for row, val in zip(frame.loc[mask, ROW].tolist(), vals.tolist(), strict=True):
            self.problems.append(Problem(raw.source, int(row), column, val, rule))

    def whole(self, raw: RawTable, column: str, rule: str) -> None:
        self.problems.append(Problem(raw.source, 0, column, "", rule))


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
        values, bad = coerce.parse_enum(s, col.enum)
        out.cells(raw, bad, col.name, "must be one of " + ", ".join(col.enum))
        return values
    if kind == "enums":
        values, bad = coerce.parse_enum_list(s, col.enum)
        out.cells(
            raw, bad, col.name, "must be one or more of " + ", ".join(col.enum) + " separated by |"
        )
        return values
    if kind == "date":
        values, bad = coerce.parse_date(s)
        out.cells(raw, bad, col.name, "must be a date YYYY-MM-DD")
        return values
    if kind == "bool":
        values, bad = coerce.parse_bool(s)
        out.cells(raw, bad, col.name, "must be true or false (1/0, yes/no, 是/否)")
        return values
    if kind in ("float", "int"):
        values, bad = (coerce.parse_int if kind == "int" else coerce.parse_number)(s)
        noun = "a whole number" if kind == "int" else "a number"
        out.cells(raw, bad, col.name, f"must be {noun}")
        out.cells(raw, ~bad & _out_of_bounds(values, col), col.name, _bounds_rule(col))
        return values
    raise AssertionError(f"unknown column kind {col.kind!r}")


def _check_key(raw: RawTable, spec: Table, typed: pd.DataFrame, out: _Collector) -> None:
    key = list(spec.key)
    dup = typed.duplicated(key, keep=False) & typed[key].notna().all(axis=1)
    if not dup.any():
        return
    label = "+".join(key)
    keys = typed.loc[dup, key].astype(str).agg("|".join, axis=1)
    rows = raw.frame.loc[dup, ROW]
    groups = rows.groupby(keys).agg(list)
    for idx, val in keys.items():
        row = int(rows[idx])
        others = [str(r) for r in groups[val] if r != row]
        out.problems.append(
            Problem(
                raw.source,
                row,
                label,
                val,
                f"duplicate {label}: also on row {', '.join(others[:5])}",
            )
        )


def _check_rows(raw: RawTable, table: str, t: pd.DataFrame, out: _Collector) -> None:
    if table == "staff":
        bad = t["left_on"].notna() & (t["left_on"] < t["hired_on"])
        out.cells(raw, bad, "left_on", "must not be before hired_on")
    elif table == "sessions":
        bad = t["ends_on"] < t["starts_on"]
        out.cells(raw, bad, "ends_on", "must not be before starts_on")
    elif table == "participations":
        done = t["status"] == "completed"
        out.cells(
            raw,
            done & t["completed_on"].isna(),
            "completed_on",
            "must be given when status is completed",
        )
        out.cells(
            raw,
            ~done & t["status"].notna() & t["completed_on"].notna(),
            "completed_on",
            "must be empty unless status is completed",
        )
        out.cells(
            raw,
            t["completed_on"] < t["enrolled_on"],
            "completed_on",
            "must not be before enrolled_on",
        )
    elif table == "modules":
        ids = t["module_id"]
        pre = coerce.explode_list(t["prerequisites"])
        selfref = pre.eq(ids.reindex(pre.index)).groupby(level=0).any()
        mask = pd.Series(False, index=t.index)
        mask[selfref[selfref].index] = True
        out.cells(raw, mask, "prerequisites", "a module cannot be its own prerequisite")


def _check_refs(
    raw: RawTable,
    table: str,
    t: pd.DataFrame,
    typed: dict[str, pd.DataFrame],
    existing: Existing,
    out: _Collector,
) -> None:
    spec = TABLES[table]
    for col in spec.columns:
        if col.ref is None or col.name not in t.columns:
            continue
        ptable, pcol = col.ref.split(".")
        known = pd.Index(existing(ptable, [pcol])[pcol].astype(str))
        parent = t if ptable == table else typed.get(ptable)
        if parent is not None:
            known = known.union(pd.Index(parent[pcol].dropna().astype(str)))
        if col.kind == "refs":
            items = coerce.explode_list(t[col.name])
            missing = items[~items.isin(known)]
            mask = pd.Series(False, index=t.index)
            mask[missing.index.unique()] = True
            vals = missing.groupby(level=0).agg("|".join).reindex(t.index)
            out.cells(raw, mask, col.name, f"names unknown {ptable} (not in {ptable}.{pcol})", vals)
        else:
            s = t[col.name]
            mask = s.notna() & ~s.astype(str).isin(known)
            out.cells(raw, mask, col.name, f"no such {pcol} in {ptable}")


def _check_session_module(
    raw: RawTable,
    t: pd.DataFrame,
    typed: dict[str, pd.DataFrame],
    existing: Existing,
    out: _Collector,
) -> None:
    sess = existing("sessions", ["session_id", "module_id"])
    if "sessions" in typed:
        sess = pd.concat([sess, typed["sessions"][["session_id", "module_id"]]])
    owner = sess.drop_duplicates("session_id", keep="last").set_index("session_id")["module_id"]
    has = t["session_id"].notna()
    actual = t["session_id"].map(owner)
    mask = has & actual.notna() & (actual != t["module_id"])
    out.cells(raw, mask, "session_id", "session belongs to another module")


#: How many members of a cycle group a problem lists before "… and N more".
CYCLE_MEMBERS_SHOWN = 10


def _example_cycle(graph: nx.DiGraph, members: set[str], start: str) -> list[str]:
    """A shortest cycle through ``start`` inside one strongly connected component."""
    if graph.has_edge(start, start):
        return [start]
    sub = graph.subgraph(members)
    back = {p for p in sub.predecessors(start)}
    paths = nx.single_source_shortest_path(sub, start)
    end = min(back, key=lambda p: (len(paths[p]), p))
    return paths[end]


def _check_acyclic(
    raw: RawTable,
    t: pd.DataFrame,
    id_col: str,
    ref_col: str,
    existing: Existing,
    out: _Collector,
    what: str,
    self_rule: str | None,
) -> None:
    """Report each cycle group (strongly connected component) once, with one example
    cycle and its members — never every cycle, which grows factorially.

    ``self_rule``: the rule for a record that names itself (None when ``_check_rows``
    already reports those row by row).
    """
    old = existing(raw.table, [id_col, ref_col])
    both = pd.concat([old[~old[id_col].isin(t[id_col])], t[[id_col, ref_col]]], ignore_index=True)
    refs = coerce.explode_list(both[ref_col].fillna("").astype(str))
    graph = nx.DiGraph()
    graph.add_edges_from(zip(both.loc[refs.index, id_col], refs, strict=True))
    rows = dict(zip(t[id_col], raw.frame[ROW], strict=True))
    for comp in nx.strongly_connected_components(graph):
        first = min(comp, key=lambda n: (rows.get(n, np.inf), n))
        row = int(rows.get(first, 0))
        if len(comp) == 1:
            if self_rule is not None and graph.has_edge(first, first):
                out.problems.append(Problem(raw.source, row, ref_col, first, self_rule))
            continue
        cycle = _example_cycle(graph, comp, first)
        path = " → ".join([*cycle, cycle[0]])
        ordered = sorted(comp, key=lambda n: (rows.get(n, np.inf), n))
        shown = ", ".join(ordered[:CYCLE_MEMBERS_SHOWN])
        more = len(ordered) - CYCLE_MEMBERS_SHOWN
        shown += f" … and {more} more" if more > 0 else ""
        rule = f"{what} form a cycle: {path} (all {len(comp)} in this cycle: {shown})"
        out.problems.append(Problem(raw.source, row, ref_col, first, rule))


def validate_table(
    raw: RawTable,
    typed: dict[str, pd.DataFrame] | None = None,
    existing: Existing = _no_existing,
    out: _Collector | None = None,
) -> pd.DataFrame:
    """Type one raw table; problems go to ``out`` (or raise if ``out`` is None)."""
    own = out is None
    out = out or _Collector()
    typed = typed if typed is not None else {}
    spec = TABLES[raw.table]
    frame = raw.frame
    present = [c for c in spec.columns if c.name in frame.columns]
    for col in spec.columns:
        if col.required and col.name not in frame.columns:
            names = ", ".join((col.name, *col.aliases))
            out.whole(raw, col.name, f"required column is missing (accepted headers: {names})")
    extras = [c for c in frame.columns if c != ROW and c not in spec.names]
    if extras:
        log.info("%s: extra columns not stored: %s", raw.source, ", ".join(map(str, extras)))
    result = pd.DataFrame({c.name: _coerce_column(raw, c, out) for c in present}, index=frame.index)
    for col in spec.columns:
        if col.name not in result.columns:
            result[col.name] = pd.Series([None] * len(result), index=result.index, dtype=object)
    if all(k in frame.columns for k in spec.key):
        _check_key(raw, spec, result, out)
    if all(c.name in frame.columns for c in spec.columns if c.required):
        _check_rows(raw, raw.table, result, out)
        _check_refs(raw, raw.table, result, typed, existing, out)
        if raw.table == "participations":
            _check_session_module(raw, result, typed, existing, out)
        if raw.table == "modules":
            _check_acyclic(
                raw, result, "module_id", "prerequisites", existing, out, "prerequisites", None
            )
        if raw.table == "skills":
            _check_acyclic(
                raw,
                result,
                "skill_id",
                "parent_id",
                existing,
                out,
                "skill parents",
                "a skill cannot be its own parent",
            )
    if own and out.problems:
        raise ValidationError(out.problems)
    return result[spec.names].reset_index(drop=True)


def validate_dataset(
    raws: dict[str, RawTable], existing: Existing = _no_existing
) -> dict[str, pd.DataFrame]:
    """Validate every table of a batch; raise one ``ValidationError`` with all problems."""
    out = _Collector()
    typed: dict[str, pd.DataFrame] = {}
    cache: dict[tuple[str, tuple[str, ...]], pd.DataFrame] = {}

    def cached(table: str, columns: list[str]) -> pd.DataFrame:
        key = (table, tuple(columns))
        if key not in cache:  # e.g. staff ids are checked by three tables
            cache[key] = existing(table, columns)
        return cache[key]

    existing_cached: Existing = cached
    for name in TABLE_ORDER:
        if name in raws:
            typed[name] = validate_table(raws[name], typed, existing_cached, out)
    if out.problems:
        raise ValidationError(out.problems)
    return typed
