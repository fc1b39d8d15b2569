"""Exports that stand alone: names, titles, modes, hours and sessions beside the ids.

A recommendation or a seat is handed to a colleague who has no data dictionary, so
the ``recommend`` and ``allocate`` files carry, after their contract columns
(``staff_id, rank, module_id, score, reason`` / ``session_id, module_id, staff_id,
org_id, weight, reason``, unchanged and first):

- the person: ``staff_name`` (when the staff table has names), ``org_id``,
  ``org_name``, ``role``;
- the module: ``title``, ``mode``, ``tier``, ``hours``;
- the session: for ``allocate`` the seat's own; for ``recommend`` the next session
  to book — the earliest session of the module starting after the as-of date (the
  announced schedule, ``features.offerings``) — as ``session_id``,
  ``session_starts_on``, ``session_ends_on``, ``session_place`` (the sessions'
  ``region``, when given); empty for a module without an upcoming session (e.g. a
  self-paced online course).

``book_session`` words the session for people: ``S123（2026-12-01 至 2026-12-03，北京）``.

``with_people`` does the same for the ``status`` and ``risk`` files: the person's name
(when the staff table has names) after ``staff_id``, the organization's name after
``org_id``, and the role when the file has none.
"""

from __future__ import annotations

import pandas as pd

from engine.labels import text

__all__ = ["allocation_export", "next_sessions", "recommendation_export", "with_people"]


def _staff(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    staff = tables["staff"].copy()
    staff["staff_id"] = staff["staff_id"].astype(str)
    orgs = tables["organizations"].copy()
    orgs["org_id"] = orgs["org_id"].astype(str)
    staff["org_id"] = staff["org_id"].astype(str)
    cols = ["staff_id", "org_id", "role"]
    if "name" in staff and staff["name"].notna().any():  # a column of blanks tells nothing
        staff = staff.rename(columns={"name": "staff_name"})
        cols.insert(1, "staff_name")
    out = staff[cols].merge(
        orgs[["org_id", "name"]].rename(columns={"name": "org_name"}), on="org_id", how="left"
    )
    return out.set_index("staff_id")


def _modules(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    mods = tables["modules"].copy()
    mods["module_id"] = mods["module_id"].astype(str)
    return mods.set_index("module_id")[["title", "mode", "tier", "hours"]]


def _sessions(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    s = tables["sessions"].copy()
    s["session_id"] = s["session_id"].astype(str)
    s["module_id"] = s["module_id"].astype(str)
    out = pd.DataFrame(
        {
            "session_id": s["session_id"],
            "module_id": s["module_id"],
            "session_starts_on": pd.to_datetime(s["starts_on"]),
            "session_ends_on": pd.to_datetime(s["ends_on"]),
            "session_place": s["region"] if "region" in s else None,
        }
    )
    return out


def next_sessions(tables: dict[str, pd.DataFrame], as_of: object) -> pd.DataFrame:
    """Per module, its earliest session starting after ``as_of`` (indexed by module)."""
    s = _sessions(tables)
    s = s[s["session_starts_on"] > pd.Timestamp(as_of)]
    s = s.sort_values(["module_id", "session_starts_on", "session_id"])
    return s.drop_duplicates("module_id").set_index("module_id")


def book_text(row: pd.Series, lang: str | None = None) -> str:
    if pd.isna(row.get("session_id")) or not row.get("session_id"):
        return ""
    place = row.get("session_place")
    return text(
        "book_session_text",
        lang,
        session=row["session_id"],
        starts=pd.Timestamp(row["session_starts_on"]).date().isoformat(),
        ends=pd.Timestamp(row["session_ends_on"]).date().isoformat(),
        place="" if place is None or pd.isna(place) else place,
    )


def _join(frame: pd.DataFrame, tables: dict[str, pd.DataFrame], first: list[str]) -> pd.DataFrame:
    people = _staff(tables).reindex(frame["staff_id"].astype(str).to_numpy())
    mods = _modules(tables).reindex(frame["module_id"].astype(str).to_numpy())
    out = frame.reset_index(drop=True).copy()
    for c in people.columns:
        if c not in out:
            out[c] = people[c].to_numpy()
    for c in mods.columns:
        out[c] = mods[c].to_numpy()
    return out[first + [c for c in out.columns if c not in first]]


def recommendation_export(
    recs: pd.DataFrame, tables: dict[str, pd.DataFrame], as_of: object
) -> pd.DataFrame:
    """``recs`` (the contract columns) with the person, module and next session."""
    out = _join(recs, tables, list(recs.columns))
    nxt = next_sessions(tables, as_of).reindex(out["module_id"].astype(str).to_numpy())
    for c in ("session_id", "session_starts_on", "session_ends_on", "session_place"):
        out[c] = nxt[c].to_numpy() if c in nxt else None
    out["book_session"] = [book_text(r) for _, r in out.iterrows()]
    return out


def allocation_export(seats: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """``seats`` (the contract columns) with the person, module and the session's dates."""
    out = _join(seats, tables, list(seats.columns))
    s = _sessions(tables).set_index("session_id").reindex(out["session_id"].astype(str))
    for c in ("session_starts_on", "session_ends_on", "session_place"):
        out[c] = s[c].to_numpy()
    return out


def with_people(
    frame: pd.DataFrame, staff: pd.DataFrame, orgs: pd.DataFrame, *, beside: bool = True
) -> pd.DataFrame:
    """``frame`` (rows with ``staff_id`` and/or ``org_id``) with ``staff_name`` right
    after ``staff_id`` — only when ``staff`` has a ``name`` column with any name in it
    (a column of blanks tells nobody anything) — ``org_name`` right after ``org_id``,
    and ``role`` after the names when ``frame`` has none.  ``beside=False`` appends
    them instead, for files whose leading columns are a contract scripts read by
    position (``risk``'s, as ``recommend``'s and ``allocate``'s).  Rows and their order
    are kept; an id the tables do not know gets an empty name."""
    new: dict[str, tuple[str, pd.Series]] = {}  # column → (the column it follows, values)
    if "staff_id" in frame:
        ids = frame["staff_id"].astype(str)
        people = staff.assign(staff_id=staff["staff_id"].astype(str)).drop_duplicates("staff_id")
        people = people.set_index("staff_id").reindex(ids)
        if "name" in people and staff["name"].notna().any():
            new["staff_name"] = ("staff_id", people["name"])
    if "org_id" in frame and "name" in orgs:
        units = orgs.assign(org_id=orgs["org_id"].astype(str)).drop_duplicates("org_id")
        new["org_name"] = (
            "org_id",
            units.set_index("org_id")["name"].reindex(frame["org_id"].astype(str)),
        )
    if "staff_id" in frame and "role" not in frame and "role" in staff:
        new["role"] = ("org_name" if "org_name" in new else "staff_id", people["role"])
    out = frame.copy()
    cols = list(frame.columns)
    for name, (after, values) in new.items():
        out[name] = values.to_numpy()
        cols.insert(cols.index(after) + 1 if beside else len(cols), name)
    return out[cols]
