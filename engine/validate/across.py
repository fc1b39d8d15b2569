"""Checks across tables and against the store (see the package docstring): completions
within employment and within their session, both ways, and events that keep their
person and module when re-sent under a stored id."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.errors import Problem, Rule
from engine.readers import ROW, RawTable
from engine.schema import TABLES
from engine.validate.collector import _Collector
from engine.validate.store_view import StoreView
from engine.validate.text_lookup import _isin, _positions

#: Tables of events: a stored id keeps its person and module.
EVENT_TABLES = ("participations", "assessments", "outcomes")


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


def _where(raws: dict[str, RawTable], table: str, row: int) -> Rule:
    return Rule("at_row", file=raws[table].source, row=row) if row > 0 else Rule("in_store")


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
            ("hired_on", sub["completed_on"] < m["hired_on"], "completed_before_hired"),
            ("left_on", sub["completed_on"] > m["left_on"], "completed_after_left"),
        )
        for col, bad, key in checks:
            for i in np.flatnonzero(bad.to_numpy(dtype=bool)):
                r = sub.iloc[i]
                out.problems.append(
                    Problem(
                        raw.source,
                        int(r[ROW]),
                        "completed_on",
                        _day(r["completed_on"]),
                        Rule(
                            key,
                            staff=r["staff_id"],
                            day=_day(m[col].iloc[i]),
                            where=_where(raws, "staff", m[ROW].iloc[i]),
                        ),
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
                    Rule(
                        "completed_outside_session",
                        session=r["session_id"],
                        start=_day(m["starts_on"].iloc[i]),
                        end=_day(m["ends_on"].iloc[i]),
                        where=_where(raws, "sessions", m[ROW].iloc[i]),
                    ),
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
        (first, both["completed_on"] < both[first], "stored_completion_before"),
        (last, both["completed_on"] > both[last], "stored_completion_after"),
    ):
        for _, r in both[bad.fillna(False).astype(bool)].iterrows():
            out.problems.append(
                Problem(
                    raw.source,
                    int(r[ROW]),
                    col,
                    _day(r[col]),
                    Rule(
                        word,
                        participation=r["participation_id"],
                        day=_day(r["completed_on"]),
                        noun=Rule(f"noun_{noun}"),
                        column=col,
                    ),
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
                        Rule(
                            "event_conflict",
                            noun=Rule(f"noun_{name[:-1]}"),
                            id=new[key].iloc[i],
                            column=col,
                            old=old[col].iloc[i],
                            new=new[col].iloc[i],
                        ),
                    )
                )
