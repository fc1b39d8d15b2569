"""Accepting statements: check a batch whole, fill in what the store adds, store it.

``prepare`` turns a request's items into rows (or raises ``Rejected`` with every
problem: statement index from 0, field, value, rule); ``save`` stores the new ones in
one transaction — an id already stored with other content is a ``Conflict`` and
nothing is stored; the same content again is accepted and changes nothing.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Engine

from engine.errors import LearnmapError
from engine.xapi import lrs
from engine.xapi.model import VOIDED, validate_batch

__all__ = ["VERSION", "Rejected", "now", "prepare", "save", "utc"]

VERSION = "1.0.3"


class Rejected(LearnmapError):
    """A batch refused whole: ``status`` (400 bad statements, 409 conflict) and
    ``problems`` (dicts with statement, field, value, rule)."""

    def __init__(self, status: int, message: str, problems: list[dict] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.problems = status, message, problems or []


def now() -> str:
    """The store's clock as an ISO text in UTC (text order = time order)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def utc(text: str, name: str = "timestamp") -> str:
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise Rejected(400, f"{name} must be an ISO 8601 date-time, got {text!r}") from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def prepare(items: list[Any], authority: dict, stored: str | None = None) -> list[lrs.Row]:
    """Rows for ``items`` (statements as parsed JSON), ids given or made, ``stored``,
    ``authority`` and ``version`` set, ``timestamp`` defaulting to ``stored``."""
    statements, problems = validate_batch(items)
    if problems:
        raise Rejected(
            400,
            f"{len(problems)} problem(s); no statement was stored",
            [{"statement": i, "field": f, "value": v, "rule": r} for i, f, v, r in problems],
        )
    stored = stored or now()
    rows = []
    for item, st in zip(items, statements, strict=True):
        data = dict(item)
        data["id"] = st.id or str(uuid.uuid4())
        digest = lrs.content_hash({**item, "id": data["id"]})
        data.setdefault("timestamp", stored)
        data.update(stored=stored, authority=authority, version=VERSION)
        account = st.actor.account
        rows.append(
            lrs.Row(
                statement_id=data["id"],
                stored=stored,
                timestamp=utc(data["timestamp"]),
                verb_id=st.verb.id,
                agent=st.actor.ifi_key(),
                account=f"{account.homePage}\x1f{account.name}" if account else None,
                activity_id=st.activity_id,
                registration=st.registration,
                target_id=st.object.id if st.verb.id == VOIDED else None,
                content_sha256=digest,
                raw=json.dumps(data, ensure_ascii=False, separators=(",", ":")),
            )
        )
    return rows


def save(engine: Engine, rows: list[lrs.Row]) -> int:
    """Store the rows not stored yet, in one transaction; how many were new."""
    lrs.ensure(engine)
    with engine.begin() as conn:
        known = lrs.existing(conn, [r.statement_id for r in rows])
        targets = {r.target_id for r in rows if r.target_id} - set(known)
        known_targets = lrs.existing(conn, sorted(targets))
        bad = [
            {"statement": n, "field": "id", "value": r.statement_id,
             "rule": "this id is stored with other content (statements are immutable)"}
            for n, r in enumerate(rows)
            if r.statement_id in known and known[r.statement_id][0] != r.content_sha256
        ]  # fmt: skip
        if bad:
            raise Rejected(409, "conflict: nothing was stored", bad)
        batch = {r.statement_id: r.verb_id for r in rows}
        for n, r in enumerate(rows):
            if not r.target_id:
                continue
            target = known.get(r.target_id) or known_targets.get(r.target_id)
            verb = target[2] if target is not None else batch.get(r.target_id)
            if verb == VOIDED:
                raise Rejected(
                    400,
                    "a voiding statement may not void another voiding statement",
                    [{"statement": n, "field": "object.id", "value": r.target_id,
                      "rule": "the target is itself a voiding statement"}],
                )  # fmt: skip
        return lrs.insert(conn, [r for r in rows if r.statement_id not in known])
