"""The audit trail (PIPL: people's training records are personal information): who read
or changed whose data, when, under which key and scope — and every refused attempt.

One row per event in ``audit_log`` (``api.db``): ``at`` (UTC), ``key_id``, ``role``,
``scope`` (``all``, ``org:ID`` or ``staff:ID``), ``operator`` (the operating-system
user, for CLI actions), ``action`` (``read profile``, ``write records/participations``,
``keys create``, ``refused 403 GET /v1/…``), ``subject`` (whose data: a staff or
organization id), ``target`` (details), ``rows`` and ``outcome``.

Writing: ``AuditLog.record(actor, action, subject, scope, outcome)`` queues the row
and a background thread writes the queue in one transaction every
``flush_seconds`` (default 0.5 s), so a read served in a millisecond does not wait
for a database write; ``flush()`` writes at once (reloads, shutdown, tests).  Rows
the store refuses (read-only) are kept and retried, and counted in ``failed``.
``record_now`` writes synchronously (the CLI and the write routes: a write is
audited before it is answered).  ``scope_of(principal)`` and ``actor`` fields are
plain values, so the console can record its own events through the same functions.
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from api.db import AUDIT_LOG
from api.keys import Principal

log = logging.getLogger(__name__)
FIELDS = (
    "at",
    "key_id",
    "role",
    "scope",
    "operator",
    "action",
    "subject",
    "target",
    "rows",
    "outcome",
)


def scope_of(p: Principal | None) -> str:
    """A key's scope as the audit trail writes it."""
    if p is None:
        return "operator"
    if p.org_id:
        return f"org:{p.org_id}"
    if p.staff_id:
        return f"staff:{p.staff_id}"
    return "all"


def operator() -> str:
    """The operating-system user running a CLI command."""
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in this environment
        return "unknown"


@dataclass(frozen=True)
class Event:
    actor: Principal | None
    action: str
    subject: str | None = None
    target: str | None = None
    rows: int = 0
    outcome: str = "ok"
    operator: str | None = None

    def row(self, at: datetime | None = None) -> dict[str, object]:
        who = self.actor
        return {
            "at": at or datetime.now(UTC),
            "key_id": who.key_id if who else None,
            "role": who.role if who else None,
            "scope": scope_of(who),
            "operator": self.operator,
            "action": self.action[:200],
            "subject": self.subject,
            "target": self.target,
            "rows": int(self.rows),
            "outcome": self.outcome[:500],
        }


def record_now(engine: Engine, event: Event) -> None:
    """Write one audit row now, in its own transaction."""
    with engine.begin() as conn:
        conn.execute(sa.insert(AUDIT_LOG), [event.row()])
    log.info("audit: %s", event)


def record(
    engine: Engine,
    who: Principal | None,
    action: str,
    target: str | None,
    rows: int,
    outcome: str = "ok",
    subject: str | None = None,
) -> None:
    """Append one audit row now (CLI commands and writes; ``operator`` is filled in
    for CLI actions, which have no key)."""
    record_now(
        engine,
        Event(who, action, subject, target, rows, outcome, None if who else operator()),
    )


class AuditLog:
    """Queued audit rows of one service, written by a background thread."""

    def __init__(self, engine: Engine, flush_seconds: float = 0.5) -> None:
        self.engine = engine
        self.flush_seconds = flush_seconds
        self._rows: list[dict[str, object]] = []
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.failed = 0

    def record(
        self,
        actor: Principal | None,
        action: str,
        subject: str | None = None,
        scope: str | None = None,
        outcome: str = "ok",
        target: str | None = None,
        rows: int = 0,
    ) -> None:
        """Queue one event (``scope`` defaults to the actor's)."""
        row = Event(actor, action, subject, target, rows, outcome).row()
        if scope is not None:
            row["scope"] = scope
        with self._lock:
            self._rows.append(row)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="audit", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.flush_seconds):
            self.flush()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.flush()

    def flush(self) -> bool:
        """Write the queued rows in one transaction (kept for the next try on failure)."""
        with self._write_lock:
            with self._lock:
                rows, self._rows = self._rows, []
            if not rows:
                return True
            try:
                with self.engine.begin() as conn:
                    conn.execute(sa.insert(AUDIT_LOG), rows)
            except sa.exc.SQLAlchemyError as exc:
                self.failed += len(rows)
                log.error("audit rows not written (%d kept for retry): %s", len(rows), exc)
                with self._lock:
                    self._rows[:0] = rows[:100_000]
                return False
            return True


def entries(engine: Engine, limit: int | None = 100) -> list[dict[str, object]]:
    """The newest ``limit`` rows (None: all), newest first."""
    with engine.connect() as conn:
        q = sa.select(AUDIT_LOG).order_by(AUDIT_LOG.c.id.desc())
        if limit is not None:
            q = q.limit(limit)
        return [dict(r) for r in conn.execute(q).mappings()]


class Pseudonymizer:
    """Stable salted pseudonyms for researchers: ``p_`` + 16 hex of HMAC-SHA256(salt, id).

    The same id always maps to the same pseudonym in one store (the salt lives in the
    store's ``api_meta`` table), so researchers can join results across calls, and
    without the salt the pseudonym cannot be turned back into an id."""

    def __init__(self, salt: str) -> None:
        self._salt = salt.encode("utf-8")

    def __call__(self, value: str) -> str:
        mac = hmac.new(self._salt, str(value).encode("utf-8"), hashlib.sha256)
        return "p_" + mac.hexdigest()[:16]
