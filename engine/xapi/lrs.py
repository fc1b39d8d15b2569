"""The statement store: every accepted xAPI statement, raw, in the learnmap store.

Table ``xapi_statements`` (created on first use, beside the canonical tables): one row
per statement with its text as stored (``raw``: the statement with ``id``, ``stored``,
``authority`` and ``version`` filled in), the fields the query filters use, whether it
is voided, and its state on the way to canonical records:

``new``      accepted, not yet applied (a crash between the two is repaired by the next
             ``apply``: records are a projection of the statements);
``applied``  its effect is in the canonical tables;
``pending``  waits for an account (``accounts``) or activity (``activities``) mapping;
``held``     mapped, but the records it makes break a rule of the store (e.g. a date
             before the person was hired); ``note`` says which;
``ignored``  a verb with no effect on records (kept, returned by queries).

Statements are immutable: the same ``id`` with the same content is accepted again
and changes nothing; with other content it is a conflict (HTTP 409).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from engine.errors import LearnmapError

__all__ = ["STATEMENTS", "Conflict", "Row", "content_hash", "ensure", "insert", "query"]

META = sa.MetaData()
STATEMENTS = sa.Table(
    "xapi_statements",
    META,
    sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("statement_id", sa.String(36), nullable=False, unique=True),
    sa.Column("stored", sa.String(40), nullable=False, index=True),
    sa.Column("timestamp", sa.String(40), nullable=False),
    sa.Column("verb_id", sa.Text(), nullable=False),
    sa.Column("agent", sa.Text(), nullable=True, index=True),  # the actor's identifier
    sa.Column("account", sa.Text(), nullable=True, index=True),  # homePage \x1f name
    sa.Column("activity_id", sa.Text(), nullable=True, index=True),
    sa.Column("registration", sa.String(36), nullable=True),
    sa.Column("target_id", sa.String(36), nullable=True),  # the statement a voiding one voids
    sa.Column("voided", sa.Boolean(), nullable=False, default=False),
    sa.Column("state", sa.String(10), nullable=False, index=True),
    sa.Column("note", sa.Text(), nullable=True),
    sa.Column("content_sha256", sa.String(64), nullable=False),
    sa.Column("raw", sa.Text(), nullable=False),
)


class Conflict(LearnmapError):
    """A statement id already stored with other content (xAPI: 409 Conflict)."""


@dataclass(frozen=True)
class Row:
    statement_id: str
    stored: str
    timestamp: str
    verb_id: str
    agent: str | None
    account: str | None
    activity_id: str | None
    registration: str | None
    target_id: str | None
    content_sha256: str
    raw: str


def ensure(engine: Engine) -> None:
    META.create_all(engine)


def content_hash(statement: dict) -> str:
    """A digest of what the client said (``stored``, ``authority`` and ``version`` are
    the store's own and left out), for the immutability check."""
    core = {k: v for k, v in statement.items() if k not in ("stored", "authority", "version")}
    text = json.dumps(core, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def existing(conn: Connection, ids: Sequence[str]) -> dict[str, tuple[str, bool, str | None]]:
    """id → (content digest, voided, verb) of the ``ids`` already stored."""
    out: dict[str, tuple[str, bool, str | None]] = {}
    t = STATEMENTS
    for i in range(0, len(ids), 500):
        q = sa.select(t.c.statement_id, t.c.content_sha256, t.c.voided, t.c.verb_id).where(
            t.c.statement_id.in_(list(ids[i : i + 500]))
        )
        for sid, digest, voided, verb in conn.execute(q):
            out[sid] = (digest, bool(voided), verb)
    return out


def insert(conn: Connection, rows: Iterable[Row]) -> int:
    values = [
        {
            "statement_id": r.statement_id,
            "stored": r.stored,
            "timestamp": r.timestamp,
            "verb_id": r.verb_id,
            "agent": r.agent,
            "account": r.account,
            "activity_id": r.activity_id,
            "registration": r.registration,
            "target_id": r.target_id,
            "voided": False,
            "state": "new",
            "note": None,
            "content_sha256": r.content_sha256,
            "raw": r.raw,
        }
        for r in rows
    ]
    if values:
        conn.execute(sa.insert(STATEMENTS), values)
    return len(values)


def query(
    engine: Engine,
    *,
    agent: str | None = None,
    verb: str | None = None,
    activity: str | None = None,
    registration: str | None = None,
    since: str | None = None,
    until: str | None = None,
    after_seq: int | None = None,
    limit: int = 100,
    ascending: bool = False,
) -> list[tuple[int, str]]:
    """(seq, raw) of matching statements that are not voided, newest first (or oldest
    first with ``ascending``), at most ``limit``; ``after_seq`` continues a page.

    ``since``/``until`` compare with ``stored`` (ISO texts in UTC, so text order is
    time order)."""
    t = STATEMENTS
    q = sa.select(t.c.seq, t.c.raw).where(t.c.voided.is_(False))
    if agent is not None:
        q = q.where(t.c.agent == agent)
    if verb is not None:
        q = q.where(t.c.verb_id == verb)
    if activity is not None:
        q = q.where(t.c.activity_id == activity)
    if registration is not None:
        q = q.where(t.c.registration == registration)
    if since is not None:
        q = q.where(t.c.stored > since)
    if until is not None:
        q = q.where(t.c.stored <= until)
    if after_seq is not None:
        q = q.where(t.c.seq > after_seq if ascending else t.c.seq < after_seq)
    q = q.order_by(t.c.seq.asc() if ascending else t.c.seq.desc()).limit(limit)
    with engine.connect() as conn:
        return [(int(s), raw) for s, raw in conn.execute(q)]


def one(engine: Engine, statement_id: str, voided: bool) -> str | None:
    t = STATEMENTS
    q = sa.select(t.c.raw).where(t.c.statement_id == statement_id, t.c.voided.is_(voided))
    with engine.connect() as conn:
        return conn.execute(q).scalar_one_or_none()
