"""Offerings: what can be recommended in a window ``[start, end)``.

A recommendation is only useful if the person can act on it in the window, so every
place that asks "what is on offer then" — ``learnmap recommend --from/--to``, the
API's ``?from=&to=``, ``recommend --all``, seat allocation and the experiment
harness's ``candidates = "offered"`` — reads this one definition.

A module is **offered** in ``[start, end)`` when

1. *session-bound*: one of its sessions **opens for enrolment** in the window,
   ``start ≤ opens_on < end``, where ``opens_on`` is the session's optional
   ``enrol_from`` (the day registration opens, e.g. weeks before the class) and, when
   that is empty or absent, its ``starts_on``; or
2. *self-paced*: the module is available at some day of the window,
   ``offered_from < end`` and ``offered_to ≥ start`` (both days included; an empty
   end is unbounded).  A module is self-paced when its ``offered_from`` or
   ``offered_to`` is given, or when it is an ``online`` module with no session at
   all (a catalogue without a schedule: always available).

Sessions are the *announced schedule*, not an outcome: one that starts after the
date a model is fitted as of is still offered (``features.asof.tables_as_of`` drops
such sessions from the as-of view; pass the full sessions table here).  Seats are
not counted here — capacity is reported, and seat allocation decides who gets one.

Columns of ``offered_modules``: ``module_id``, ``session_id`` (empty for a
self-paced offer), ``opens_on``, ``starts_on``, ``ends_on`` (for a self-paced offer:
its ``offered_from`` / ``offered_to``, empty = open), ``capacity`` (empty =
unlimited), one row per offering, sorted by module then opening day.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

__all__ = ["OFFER_COLUMNS", "offered_module_ids", "offered_modules", "self_paced"]

Tables = dict[str, pd.DataFrame]
OFFER_COLUMNS = ["module_id", "session_id", "opens_on", "starts_on", "ends_on", "capacity"]


def _day(value: date | str | pd.Timestamp, what: str) -> pd.Timestamp:
    try:
        t = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{what} is not a date: {value!r}") from exc
    if pd.isna(t):
        raise ValueError(f"{what} is not a date: {value!r}")
    return t.normalize()


def _dates(frame: pd.DataFrame, col: str) -> pd.Series:
    if col not in frame:
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    return pd.to_datetime(frame[col], errors="coerce").astype("datetime64[ns]")


def self_paced(modules: pd.DataFrame, sessions: pd.DataFrame | None) -> np.ndarray:
    """Per row of ``modules``: self-paced (see the module docstring)."""
    bounded = _dates(modules, "offered_from").notna() | _dates(modules, "offered_to").notna()
    has_session = np.zeros(len(modules), bool)
    if sessions is not None and len(sessions):
        has_session = modules["module_id"].astype(str).isin(sessions["module_id"].astype(str))
        has_session = np.asarray(has_session, dtype=bool)
    online = (modules["mode"].astype(str) == "online").to_numpy() if "mode" in modules else False
    return np.asarray(bounded, dtype=bool) | (online & ~has_session)


def offered_modules(
    tables: Tables, start: date | str | pd.Timestamp, end: date | str | pd.Timestamp
) -> pd.DataFrame:
    """Every offering in ``[start, end)`` (module docstring), one row each."""
    t0, t1 = _day(start, "start"), _day(end, "end")
    if t1 <= t0:
        raise ValueError(f"the window [{t0.date()}, {t1.date()}) is empty: end must be after start")
    modules = tables["modules"]
    sessions = tables.get("sessions")
    parts = []
    if sessions is not None and len(sessions):
        opens = _dates(sessions, "enrol_from").fillna(_dates(sessions, "starts_on"))
        known = sessions["module_id"].astype(str).isin(modules["module_id"].astype(str))
        sel = ((opens >= t0) & (opens < t1) & known).to_numpy(dtype=bool)
        s = sessions[sel]
        cap = s["capacity"] if "capacity" in s else pd.Series(np.nan, index=s.index)
        parts.append(
            pd.DataFrame(
                {
                    "module_id": s["module_id"].astype(str).to_numpy(dtype=object),
                    "session_id": s["session_id"].astype(str).to_numpy(dtype=object),
                    "opens_on": opens[sel].to_numpy(),
                    "starts_on": _dates(s, "starts_on").to_numpy(),
                    "ends_on": _dates(s, "ends_on").to_numpy(),
                    "capacity": pd.to_numeric(cap, errors="coerce").to_numpy(dtype=float),
                }
            )
        )
    paced = self_paced(modules, sessions)
    frm, to = _dates(modules, "offered_from"), _dates(modules, "offered_to")
    avail = paced & (frm.isna() | (frm < t1)).to_numpy() & (to.isna() | (to >= t0)).to_numpy()
    m = modules[avail]
    parts.append(
        pd.DataFrame(
            {
                "module_id": m["module_id"].astype(str).to_numpy(dtype=object),
                "session_id": np.full(len(m), None, dtype=object),
                "opens_on": frm[avail].fillna(t0).clip(lower=t0).to_numpy(),
                "starts_on": frm[avail].to_numpy(),
                "ends_on": to[avail].to_numpy(),
                "capacity": np.full(len(m), np.nan),
            }
        )
    )
    out = pd.concat(parts, ignore_index=True)
    out = out.sort_values(["module_id", "opens_on", "session_id"], na_position="first")
    return out[OFFER_COLUMNS].reset_index(drop=True)


def offered_module_ids(
    tables: Tables, start: date | str | pd.Timestamp, end: date | str | pd.Timestamp
) -> frozenset[str]:
    """The ids of the modules offered in ``[start, end)``."""
    return frozenset(offered_modules(tables, start, end)["module_id"])
