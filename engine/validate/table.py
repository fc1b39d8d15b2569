"""``validate_table``: one raw table typed into its canonical frame — required columns,
cells, keys, row rules and references, in that order."""

from __future__ import annotations

import logging

import pandas as pd

from engine.errors import Rule, ValidationError
from engine.readers import ROW, RawTable
from engine.schema import TABLES
from engine.validate.cells import _coerce_column
from engine.validate.collector import _Collector
from engine.validate.references import _check_acyclic, _check_refs, _check_session_module
from engine.validate.rows import _check_key, _check_rows
from engine.validate.store_view import Existing, StoreView, _no_existing

log = logging.getLogger(__name__)


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
                "parents",
                Rule("own_parent"),
            )
    if own and out.problems:
        raise ValidationError(out.problems)
    return result[spec.names].reset_index(drop=True)
