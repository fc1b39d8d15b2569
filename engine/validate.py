"""Validate raw tables into typed canonical frames, collecting *every* problem.

``validate_dataset`` checks, per table: required columns present; each cell against
its column's kind, enumeration and bounds; unique keys; cross-column rules (dates in
order, completed ⇔ completion date, a session belongs to the participation's
module); foreign keys against the batch and what is already stored; acyclic skill
parents and module prerequisites (each cycle group — strongly connected component —
reported once, with one example cycle).  It raises one ``ValidationError`` listing
all problems, or returns the typed frames.

Across tables, and against the store (``_check_dates_across``, ``_check_conflicts``):

* A **completion** (``status = completed``) must lie within its person's employment,
  ``hired_on ≤ completed_on ≤ left_on`` (both days included; an empty ``left_on`` is
  open), and a session-bound completion within its session,
  ``starts_on ≤ completed_on ≤ ends_on``.  The problem names both records: the other
  one by file and row when it is in the batch, or as "already in the store".  The
  check runs both ways: a re-sent staff or session row whose dates no longer cover a
  stored completion is rejected too (on the staff/session row).
* Only completions are checked.  ``enrolled_on`` may precede ``hired_on`` (people are
  registered for induction before their first day) and a session-bound enrolment may
  fall outside the session (registration opens weeks before; late entries happen);
  assessments and outcomes are not tied to employment (follow-up measures may come
  after a person left).  Open (not completed) records count toward nothing.
* An **event** (participation, assessment, outcome) re-sent with a stored id but
  another ``staff_id`` or ``module_id`` is a conflict, reported with the stored and the
  new value: an event never moves to another person or module (send a new id).  Any
  other changed column is an ordinary update.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import networkx as nx
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from engine import coerce
from engine.errors import Problem, ValidationError
from engine.readers import ROW, RawTable
from engine.schema import TABLE_ORDER, TABLES, Column, Table
from engine.store import text_hashes

log = logging.getLogger(__name__)

#: ``existing(table, columns)`` returns rows already stored (for foreign keys).
Existing = Callable[[str, list[str]], pd.DataFrame]

#: Tables of events: a stored id keeps its person and module.
EVENT_TABLES = ("participations", "assessments", "outcomes")


class StoredPlan(Protocol):
    """What ``engine.store.Plan`` offers validation."""

    changed: np.ndarray  # rows whose id is stored with other values
    old: pd.DataFrame  # the stored values of those rows, in the same order


class StoreView(Protocol):
    """What validation reads from the store (``engine.store.Store`` implements it)."""

    def existing(self, table: str, columns: list[str]) -> pd.DataFrame: ...

    def lookup(self, table: str, columns: list[str], by: str, values: object) -> pd.DataFrame: ...

    def plan(self, name: str, frame: pd.DataFrame) -> StoredPlan: ...


def _no_existing(table: str, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(columns=columns)


@dataclass
class _CallablePlan:
    changed: np.ndarray
    old: pd.DataFrame


class _FromCallable:
    """A ``StoreView`` over a plain ``existing`` function (whole columns only)."""

    def __init__(self, existing: Existing) -> None:
        self.existing = existing

    def lookup(self, table: str, columns: list[str], by: str, values: object) -> pd.DataFrame:
        frame = self.existing(table, columns)
        return frame[frame[by].isin(list(values))].reset_index(drop=True)  # type: ignore[call-overload]

    def plan(self, name: str, frame: pd.DataFrame) -> _CallablePlan:
        # every stored id counts as changed: the conflict check then compares them all
        spec = TABLES[name]
        key = list(spec.key)
        old = self.existing(name, spec.names)
        both = frame.merge(old, on=key, how="left", suffixes=("", "__old"), indicator=True)
        known = (both["_merge"] == "both").to_numpy()
        rows = both.loc[known, [*key, *(c + "__old" for c in spec.names if c not in key)]]
        rows = rows.rename(columns=lambda c: c.removesuffix("__old")).reset_index(drop=True)
        return _CallablePlan(known, rows)


def _isin(values: pd.Series, *known: pd.Series) -> np.ndarray:
    """``values.isin(known)`` for text, through Arrow (several times faster on millions)."""
    if len(values) == 0:
        return np.zeros(0, dtype=bool)
    ref = pc.drop_null(pa.concat_arrays([_arrow_text(k) for k in known]))
    hit = pc.fill_null(pc.is_in(_arrow_text(values), value_set=ref), False)
    return hit.to_numpy(zero_copy_only=False).astype(bool)


def _arrow_text(values: pd.Series) -> pa.Array:
    """Text as an Arrow array (missing values as nulls)."""
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        arr = pa.array(values)
        arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
        return arr.cast(pa.large_string())
    return pa.array(values.to_numpy(dtype=object), type=pa.large_string(), from_pandas=True)


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


def _check_key(raw: RawTable, spec: Table, typed: pd.DataFrame, out: _Collector) -> None:
    key = list(spec.key)
    if len(key) == 1:  # fast path: distinct hashes mean distinct keys
        h = np.sort(text_hashes(typed[key[0]]))
        if not (h[1:] == h[:-1]).any():
            return
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
        opens = pd.to_datetime(t["enrol_from"], errors="coerce")  # absent: all empty
        bad = opens.notna() & (opens > pd.to_datetime(t["ends_on"], errors="coerce"))
        out.cells(
            raw, bad, "enrol_from", "must not be after ends_on (enrolment opens before the end)"
        )
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
        frm = pd.to_datetime(t["offered_from"], errors="coerce")  # absent: all empty
        bad = (pd.to_datetime(t["offered_to"], errors="coerce") < frm).fillna(False)
        out.cells(raw, bad, "offered_to", "must not be before offered_from")
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
    stored_ids: Callable[[str, str, pd.Series], pd.Series],
    out: _Collector,
) -> None:
    """Foreign keys: each reference names a record of the batch or of the store (the
    store is asked only about the values the batch does not hold)."""
    spec = TABLES[table]

    def known(values: pd.Series, ptable: str, pcol: str) -> np.ndarray:
        parent = t if ptable == table else typed.get(ptable)
        found = _isin(values, parent[pcol]) if parent is not None else np.zeros(len(values), bool)
        rest = ~found & values.notna().to_numpy()
        if rest.any():
            found[rest] = _isin(values[rest], stored_ids(ptable, pcol, values[rest].unique()))
        return found

    for col in spec.columns:
        if col.ref is None or col.name not in t.columns:
            continue
        ptable, pcol = col.ref.split(".")
        if col.kind == "refs":
            items = coerce.explode_list(t[col.name])
            missing = items[~known(items, ptable, pcol)]
            mask = pd.Series(False, index=t.index)
            mask[missing.index.unique()] = True
            vals = missing.groupby(level=0).agg("|".join).reindex(t.index)
            out.cells(raw, mask, col.name, f"names unknown {ptable} (not in {ptable}.{pcol})", vals)
        else:
            s = t[col.name]
            mask = pd.Series(~known(s, ptable, pcol), index=s.index) & s.notna()
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
    store: StoreView | None = None,
) -> pd.DataFrame:
    """Type one raw table; problems go to ``out`` (or raise if ``out`` is None).

    ``store`` (optional) answers foreign-key questions about a few ids without reading
    whole columns through ``existing``.
    """
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
        if store is not None:

            def stored_ids(table: str, col: str, values: pd.Series) -> pd.Series:
                return store.lookup(table, [col], col, values)[col]
        else:

            def stored_ids(table: str, col: str, values: pd.Series) -> pd.Series:
                return existing(table, [col])[col]

        _check_refs(raw, raw.table, result, typed, stored_ids, out)
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


def _positions(values: pd.Series, ref: pd.Series) -> np.ndarray:
    """Position in ``ref`` of each value (first match), -1 where absent."""
    pos = pc.index_in(_arrow_text(values), value_set=_arrow_text(ref))
    return pc.fill_null(pos, -1).to_numpy(zero_copy_only=False).astype(np.int64)


def _dated(
    raws: dict[str, RawTable],
    typed: dict[str, pd.DataFrame],
    store: StoreView,
    table: str,
    dates: list[str],
    ids: pd.Series,
) -> pd.DataFrame:
    """``dates`` of the ``table`` record each of ``ids`` names (aligned with ``ids``),
    and ``_row``: its row in the batch's file, 0 when it comes from the store, -1 when
    unknown.  The batch's version of a record replaces the stored one."""
    id_col = TABLES[table].key[0]
    n = len(ids)
    cols = {d: np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]") for d in dates}
    src = np.full(n, -1, dtype=np.int64)
    if table in typed:
        t = typed[table]
        pos = _positions(ids, t[id_col])
        hit = pos >= 0
        for d in dates:
            cols[d][hit] = t[d].to_numpy(dtype="datetime64[ns]")[pos[hit]]
        src[hit] = raws[table].frame[ROW].to_numpy()[pos[hit]]
    rest = (src < 0) & ids.notna().to_numpy()
    if rest.any():
        stored = store.lookup(table, [id_col, *dates], id_col, ids[rest].unique())
        pos = np.where(rest, _positions(ids, stored[id_col]), -1)
        hit = pos >= 0
        for d in dates:
            cols[d][hit] = stored[d].to_numpy(dtype="datetime64[ns]")[pos[hit]]
        src[hit] = 0
    return pd.DataFrame({**cols, ROW: src}, index=ids.index)


def _where(raws: dict[str, RawTable], table: str, row: int) -> str:
    return f"{raws[table].source} row {row}" if row > 0 else "already in the store"


def _day(value: object) -> str:
    return "" if pd.isna(value) else str(pd.Timestamp(value).date())  # type: ignore[arg-type]


def _check_dates_across(
    raws: dict[str, RawTable], typed: dict[str, pd.DataFrame], store: StoreView, out: _Collector
) -> None:
    """Completions within employment and within their session; both directions."""
    part = typed.get("participations")
    if part is not None:
        raw = raws["participations"]
        done = (part["status"] == "completed").to_numpy() & part["completed_on"].notna().to_numpy()
        sub = part.loc[done].assign(_row=raw.frame[ROW].to_numpy()[done])
        m = _dated(raws, typed, store, "staff", ["hired_on", "left_on"], sub["staff_id"])
        checks = (
            ("hired_on", sub["completed_on"] < m["hired_on"], "before", "was hired"),
            ("left_on", sub["completed_on"] > m["left_on"], "after", "left"),
        )
        for col, bad, word, verb in checks:
            for i in np.flatnonzero(bad.to_numpy(dtype=bool)):
                r = sub.iloc[i]
                out.problems.append(
                    Problem(
                        raw.source,
                        int(r[ROW]),
                        "completed_on",
                        _day(r["completed_on"]),
                        f"completed {word} staff {r['staff_id']} {verb}: {col} "
                        f"{_day(m[col].iloc[i])} ({_where(raws, 'staff', m[ROW].iloc[i])})",
                    )
                )
        bound = sub[sub["session_id"].notna().to_numpy()]
        m = _dated(raws, typed, store, "sessions", ["starts_on", "ends_on"], bound["session_id"])
        c = bound["completed_on"]
        outside = ((c < m["starts_on"]) | (c > m["ends_on"])).to_numpy(dtype=bool)
        for i in np.flatnonzero(outside):
            r = bound.iloc[i]
            out.problems.append(
                Problem(
                    raw.source,
                    int(r[ROW]),
                    "completed_on",
                    _day(r["completed_on"]),
                    f"completed outside its session {r['session_id']}, which runs "
                    f"{_day(m['starts_on'].iloc[i])} to {_day(m['ends_on'].iloc[i])} "
                    f"({_where(raws, 'sessions', m[ROW].iloc[i])})",
                )
            )
    _check_stored_completions(raws, typed, store, out, "staff", "hired_on", "left_on")
    _check_stored_completions(raws, typed, store, out, "sessions", "starts_on", "ends_on")


def _check_stored_completions(
    raws: dict[str, RawTable],
    typed: dict[str, pd.DataFrame],
    store: StoreView,
    out: _Collector,
    table: str,
    first: str,
    last: str,
) -> None:
    """A re-sent staff/session row whose dates no longer cover stored completions."""
    if table not in typed:
        return
    frame, raw = typed[table], raws[table]
    id_col = TABLES[table].key[0]
    changed = np.asarray(store.plan(table, frame).changed, dtype=bool)
    if not changed.any():
        return
    rows = frame.loc[changed].assign(_row=raw.frame[ROW].to_numpy()[changed])
    cols = ["participation_id", "staff_id", "session_id", "completed_on", "status"]
    done = store.lookup("participations", cols, id_col, rows[id_col])
    done = done[(done["status"] == "completed") & done["completed_on"].notna()]
    if "participations" in typed:  # the batch's version of a participation replaces it
        done = done[~_isin(done["participation_id"], typed["participations"]["participation_id"])]
    both = done.merge(rows, on=id_col, suffixes=("", "__rec"))
    noun = "staff" if table == "staff" else "session"
    for col, bad, word in (
        (first, both["completed_on"] < both[first], "before"),
        (last, both["completed_on"] > both[last], "after"),
    ):
        for _, r in both[bad.fillna(False).astype(bool)].iterrows():
            out.problems.append(
                Problem(
                    raw.source,
                    int(r[ROW]),
                    col,
                    _day(r[col]),
                    f"participation {r['participation_id']} (already in the store) was "
                    f"completed on {_day(r['completed_on'])}, {word} this {noun}'s {col}",
                )
            )


def _check_conflicts(
    raws: dict[str, RawTable], typed: dict[str, pd.DataFrame], store: StoreView, out: _Collector
) -> None:
    """An event re-sent under a stored id must keep its person and module."""
    for name in EVENT_TABLES:
        if name not in typed:
            continue
        frame, raw = typed[name], raws[name]
        plan = store.plan(name, frame)
        changed = np.asarray(plan.changed, dtype=bool)
        if not changed.any():
            continue
        key = TABLES[name].key[0]
        new = frame.loc[changed].reset_index(drop=True)
        rows = raw.frame[ROW].to_numpy()[changed]
        old = plan.old.set_index(key).reindex(new[key])
        for col in ("staff_id", "module_id"):
            differs = (new[col].to_numpy(dtype=object) != old[col].to_numpy(dtype=object)) & (
                new[col].notna().to_numpy()
            )
            for i in np.flatnonzero(differs):
                out.problems.append(
                    Problem(
                        raw.source,
                        int(rows[i]),
                        col,
                        str(new[col].iloc[i]),
                        f"conflicts with the stored {name[:-1]} {new[key].iloc[i]}: {col} "
                        f"stored {old[col].iloc[i]}, new {new[col].iloc[i]} — an event keeps "
                        "its person and module; send it under a new id",
                    )
                )


def validate_dataset(
    raws: dict[str, RawTable],
    existing: Existing | StoreView = _no_existing,
    release: bool = False,
) -> dict[str, pd.DataFrame]:
    """Validate every table of a batch; raise one ``ValidationError`` with all problems.

    ``existing`` is the store (``engine.store.Store``) or a plain function returning
    stored columns (then every stored id of a re-sent event is compared).
    ``release=True`` replaces each entry of ``raws`` by its row numbers alone once the
    table is typed, so the raw text can be freed early (less peak memory).
    """
    store: StoreView = existing if hasattr(existing, "plan") else _FromCallable(existing)  # type: ignore[arg-type,assignment]
    out = _Collector()
    typed: dict[str, pd.DataFrame] = {}
    cache: dict[tuple[str, tuple[str, ...]], pd.DataFrame] = {}

    def cached(table: str, columns: list[str]) -> pd.DataFrame:
        key = (table, tuple(columns))
        if key not in cache:  # e.g. staff ids are checked by three tables
            cache[key] = store.existing(table, columns)
        return cache[key]

    existing_cached: Existing = cached
    for name in TABLE_ORDER:
        if name in raws:
            typed[name] = validate_table(raws[name], typed, existing_cached, out, store)
            if release:
                raw = raws[name]
                raws[name] = RawTable(raw.table, raw.source, raw.frame[[ROW]].copy())
    cache.clear()
    _check_dates_across(raws, typed, store, out)
    _check_conflicts(raws, typed, store, out)
    if out.problems:
        raise ValidationError(out.problems)
    return typed
