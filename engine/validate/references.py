"""Reference checks: foreign keys against the batch and the store, a participation's
session belonging to its module, and acyclic skill parents and module prerequisites
(each cycle group reported once, with one example cycle)."""

from __future__ import annotations

from collections.abc import Callable

import networkx as nx
import numpy as np
import pandas as pd

from engine import coerce
from engine.errors import Problem, Rule
from engine.readers import ROW, RawTable
from engine.schema import TABLES
from engine.validate.collector import _Collector
from engine.validate.store_view import Existing
from engine.validate.text_lookup import _isin


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
            out.cells(raw, mask, col.name, Rule("unknown_refs", table=ptable, column=pcol), vals)
        else:
            s = t[col.name]
            mask = pd.Series(~known(s, ptable, pcol), index=s.index) & s.notna()
            out.cells(raw, mask, col.name, Rule("no_such", column=pcol, table=ptable))


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
    out.cells(raw, mask, "session_id", Rule("session_other_module"))


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
        key = f"cycle_{what}" + ("_more" if more > 0 else "")
        rule = Rule(key, path=path, n=len(comp), members=shown, more=more)
        out.problems.append(Problem(raw.source, row, ref_col, first, rule))
