"""Row checks within one table: unique keys, and cross-column rules (dates in order,
completed ⇔ completion date, no module its own prerequisite)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine import coerce
from engine.errors import Problem, Rule
from engine.readers import ROW, RawTable
from engine.schema import Table
from engine.store import text_hashes
from engine.validate.collector import _Collector


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
                Rule("duplicate", columns=label, rows=", ".join(others[:5])),
            )
        )


def _check_rows(raw: RawTable, table: str, t: pd.DataFrame, out: _Collector) -> None:
    if table == "staff":
        bad = t["left_on"].notna() & (t["left_on"] < t["hired_on"])
        out.cells(raw, bad, "left_on", Rule("not_before", other="hired_on"))
    elif table == "sessions":
        bad = t["ends_on"] < t["starts_on"]
        out.cells(raw, bad, "ends_on", Rule("not_before", other="starts_on"))
        opens = pd.to_datetime(t["enrol_from"], errors="coerce")  # absent: all empty
        bad = opens.notna() & (opens > pd.to_datetime(t["ends_on"], errors="coerce"))
        out.cells(raw, bad, "enrol_from", Rule("enrol_after_end"))
    elif table == "participations":
        done = t["status"] == "completed"
        out.cells(
            raw,
            done & t["completed_on"].isna(),
            "completed_on",
            Rule("completed_needs_date"),
        )
        out.cells(
            raw,
            ~done & t["status"].notna() & t["completed_on"].notna(),
            "completed_on",
            Rule("date_only_if_completed"),
        )
        out.cells(
            raw,
            t["completed_on"] < t["enrolled_on"],
            "completed_on",
            Rule("not_before", other="enrolled_on"),
        )
    elif table == "modules":
        frm = pd.to_datetime(t["offered_from"], errors="coerce")  # absent: all empty
        bad = (pd.to_datetime(t["offered_to"], errors="coerce") < frm).fillna(False)
        out.cells(raw, bad, "offered_to", Rule("not_before", other="offered_from"))
        ids = t["module_id"]
        pre = coerce.explode_list(t["prerequisites"])
        selfref = pre.eq(ids.reindex(pre.index)).groupby(level=0).any()
        mask = pd.Series(False, index=t.index)
        mask[selfref[selfref].index] = True
        out.cells(raw, mask, "prerequisites", Rule("own_prerequisite"))
