"""Writing the records rebuilt from statements: checked, then upserted in one
transaction together with the withdrawal of the person's records whose evidence is
gone (voided).

Records made here come from statements the store has accepted and from the map tables,
so only the rules that such records can break are checked — the rest hold by
construction (ids are derived from person, module and registration; people and
modules come from the maps, whose rows reference ``staff`` and ``modules``):

* a **completion** lies within the person's employment (``hired_on ≤ completed_on ≤
  left_on``; ``engine.validate``'s rule for completions);
* an **assessment** (``xapi-<statement id>``) stored earlier keeps its person and module
  (a remapped account would otherwise move it: the statement is held instead).

Rows carry their ``row_hash`` (``engine.store.hashing``), so a later file ingest
compares them as it compares its own.  This path reads only the people concerned —
never a whole table — which is what lets a platform send thousands of statements a
second (``benchmarks/bench_xapi.py``).
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from engine.schema import TABLES
from engine.store.hashing import row_hashes
from engine.store.tables import HASH, METADATA

__all__ = ["broken_rules", "replace_records", "select_in"]

_KEYS = {"participations": "participation_id", "assessments": "assessment_id"}


def select_in(conn: Connection, table: str, columns: list[str], by: str, values: object) -> list:
    """Rows (tuples of ``columns``) of ``table`` whose ``by`` is one of ``values``: plain
    SQL, no frames (this path runs per request)."""
    t = METADATA.tables[table]
    wanted = list(dict.fromkeys(v for v in values if v is not None))  # type: ignore[attr-defined]
    out: list = []
    for i in range(0, len(wanted), 500):
        q = sa.select(*[t.c[c] for c in columns]).where(t.c[by].in_(wanted[i : i + 500]))
        out += conn.execute(q).all()
    return out


def broken_rules(conn: Connection, parts: list[dict], assess: list[dict]) -> dict[str, str]:
    """Record id → the rule it breaks (empty: all may be written)."""
    bad: dict[str, str] = {}
    people = {r["staff_id"] for r in parts}
    span = {s: (h, left) for s, h, left in select_in(conn, "staff", ["staff_id", "hired_on", "left_on"], "staff_id", people)}  # fmt: skip
    for r in parts:
        done = r["completed_on"]
        if done is None or r["staff_id"] not in span:
            continue
        hired, left = span[r["staff_id"]]
        if done < hired or (left is not None and done > left):
            until = f" – left_on {left}" if left else ""
            bad[r["participation_id"]] = (
                f"completed_on {done} lies outside {r['staff_id']}'s employment "
                f"(hired_on {hired}{until})"
            )
    if assess:
        t = METADATA.tables["assessments"]
        ids = [r["assessment_id"] for r in assess]
        stored = {
            a: (s, m)
            for a, s, m in conn.execute(
                sa.select(t.c.assessment_id, t.c.staff_id, t.c.module_id).where(
                    t.c.assessment_id.in_(ids)
                )
            )
        }
        for r in assess:
            was = stored.get(r["assessment_id"])
            if was is not None and was != (r["staff_id"], r["module_id"]):
                bad[r["assessment_id"]] = (
                    f"stored for {was[0]} / {was[1]}: an event never moves to another "
                    "person or module (the account or activity was remapped)"
                )
    return bad


def _upsert(conn: Connection, name: str, rows: list[dict]) -> None:
    if not rows:
        return
    names = TABLES[name].names
    frame = pd.DataFrame([[r.get(c) for c in names] for r in rows], columns=names, dtype=object)
    hashes = row_hashes(name, frame)
    values = [
        {**{c: r.get(c) for c in names}, HASH: int(h)} for r, h in zip(rows, hashes, strict=True)
    ]
    key = _KEYS[name]
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(METADATA.tables[name])
    stmt = stmt.on_conflict_do_update(
        index_elements=[key], set_={c: stmt.excluded[c] for c in [*names, HASH] if c != key}
    )
    conn.execute(stmt, values)


def replace_records(
    conn: Connection, people: list[str], parts: list[dict], assess: list[dict]
) -> int:
    """Upsert ``parts`` and ``assess`` and delete these people's other ``xapi-``
    records (in the caller's transaction); how many were deleted."""
    keep = {r["participation_id"] for r in parts} | {r["assessment_id"] for r in assess}
    deleted = 0
    for name in ("assessments", "participations"):  # assessments first: no FK between
        t = METADATA.tables[name]
        key = t.c[_KEYS[name]]
        for i in range(0, len(people), 500):
            stale = [
                rid
                for (rid,) in conn.execute(
                    sa.select(key).where(key.like("xapi-%"), t.c.staff_id.in_(people[i : i + 500]))
                )
                if rid not in keep
            ]
            for j in range(0, len(stale), 500):
                conn.execute(sa.delete(t).where(key.in_(stale[j : j + 500])))
            deleted += len(stale)
    _upsert(conn, "participations", parts)
    _upsert(conn, "assessments", assess)
    return deleted
