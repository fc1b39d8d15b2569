"""The audit log: every write and every batch export (who, what, when, how many rows)."""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from api.db import AUDIT_LOG
from api.keys import Principal

log = logging.getLogger(__name__)


def record(
    engine: Engine,
    who: Principal | None,
    action: str,
    target: str | None,
    rows: int,
    outcome: str = "ok",
) -> None:
    """Append one audit row (in its own transaction)."""
    with engine.begin() as conn:
        conn.execute(
            sa.insert(AUDIT_LOG).values(
                at=datetime.now(UTC),
                key_id=who.key_id if who else None,
                role=who.role if who else None,
                action=action,
                target=target,
                rows=int(rows),
                outcome=outcome[:500],
            )
        )
    log.info(
        "audit: %s %s %s rows=%d %s", who.key_id if who else "-", action, target, rows, outcome
    )


def entries(engine: Engine, limit: int = 100) -> list[dict[str, object]]:
    with engine.connect() as conn:
        q = sa.select(AUDIT_LOG).order_by(AUDIT_LOG.c.id.desc()).limit(limit)
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
