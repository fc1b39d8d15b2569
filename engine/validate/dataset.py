"""``validate_dataset``: every table of a batch in dependency order, then the checks
across tables and against the store; one ``ValidationError`` with all problems."""

from __future__ import annotations

import pandas as pd

from engine.errors import ValidationError
from engine.readers import ROW, RawTable
from engine.schema import TABLE_ORDER
from engine.validate.across import _check_conflicts, _check_dates_across
from engine.validate.collector import _Collector
from engine.validate.store_view import Existing, StoreView, _FromCallable, _no_existing
from engine.validate.table import validate_table


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
