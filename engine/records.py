"""Records sent as a list of JSON objects (the API's ``POST /v1/records/{table}``) take
the same path as a file: header mapping and normalisation (``engine.rawtable.build``),
``engine.validate.validate_dataset`` against the store, ``Store.write`` — all or
nothing, idempotent by each table's id.

Choices (documented here, where they are made):

* A record is one flat JSON object; its keys are column names (the English names or
  any header alias a file may use).  Values may be text, numbers, ``true``/``false`` or
  ``null`` (= an empty cell).  A nested list or object is a problem of its own.
* A problem's ``row`` is the record's position in the list, counting from 1 (files
  count their header as row 1; a JSON list has no header).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from engine.errors import Problem, ValidationError
from engine.rawtable import RawTable, build
from engine.store import Store, WriteCount
from engine.store.lock import writer_lock
from engine.validate import validate_dataset

__all__ = ["RECORD_TABLES", "ingest_records", "raw_from_records"]

#: Tables that accept records one event at a time.
RECORD_TABLES = ("participations", "assessments", "outcomes", "accounts", "activities")
_NESTED = "a value must be text, a number, true/false or null, not a list or object"


def _cell(value: object) -> str | None:
    """The cell text a file would hold for ``value`` (None: not representable)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        return repr(value)
    if isinstance(value, str):
        return value
    return None


def raw_from_records(table: str, records: Sequence[Mapping[str, object]], source: str) -> RawTable:
    """A ``RawTable`` of ``records`` (problems for values that are not scalars)."""
    header: list[str] = []
    seen: set[str] = set()
    for rec in records:
        for k in rec:
            if k not in seen:
                seen.add(k)
                header.append(str(k))
    problems: list[Problem] = []
    cols: dict[int, list[str]] = {i: [] for i in range(len(header))}
    for n, rec in enumerate(records, start=1):
        for i, k in enumerate(header):
            text = _cell(rec.get(k))
            if text is None:
                shown = json.dumps(rec.get(k), ensure_ascii=False, default=str)[:80]
                problems.append(Problem(source, n, k, shown, _NESTED))
                text = ""
            cols[i].append(text)
    data = pd.DataFrame(cols, index=pd.RangeIndex(len(records)), dtype=object)
    raw = build(table, source, header, data, np.arange(1, len(records) + 1))
    raw.problems.extend(problems)
    return raw


def ingest_records(
    store: Store,
    table: str,
    records: Sequence[Mapping[str, object]],
    source: str | None = None,
    lock_timeout: float | None = None,
) -> WriteCount:
    """Validate ``records`` of ``table`` against the store and write them in one
    transaction; raise ``ValidationError`` (every problem, nothing written) otherwise.
    Holds the store's writer lock (``engine.store.lock``) throughout, for up to
    ``lock_timeout`` seconds of waiting (``StoreBusyError`` after)."""
    if table not in RECORD_TABLES:
        raise ValueError(f"records of table {table!r} are not accepted; use one of {RECORD_TABLES}")
    with writer_lock(store, timeout=lock_timeout, what="record write"):
        return _ingest_records(store, table, records, source)


def _ingest_records(
    store: Store, table: str, records: Sequence[Mapping[str, object]], source: str | None
) -> WriteCount:
    raw = raw_from_records(table, records, source or table)
    early = list(raw.problems)  # reported together with every other problem
    try:
        typed = validate_dataset({table: raw}, existing=store, release=True)
    except ValidationError as exc:
        store.forget_plans()
        seen = {(p.row, p.column) for p in early}  # a nested cell was validated as empty
        rest = [p for p in exc.problems if (p.row, p.column) not in seen]
        raise ValidationError(early + rest) from None
    if early:
        store.forget_plans()
        raise ValidationError(early)
    return store.write(typed)[table]
