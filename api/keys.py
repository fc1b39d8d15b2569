"""API keys: created by ``learnmap keys create``, sent in the ``X-API-Key`` header.

A key reads ``lm_<key_id>_<secret>``.  The store keeps the ``key_id`` (to find the
row) and the SHA-256 of the secret only; verification compares digests in constant
time (``hmac.compare_digest``).  A key has a role and, for ``org_manager`` and
``staff``, the organization or person it is limited to.  Revoking sets
``revoked_at``; the row stays for the audit trail.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from api.db import API_KEYS, ensure_tables
from engine.errors import LearnmapError

ROLES = ("admin", "org_manager", "staff", "researcher", "platform")
PREFIX = "lm_"


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's id, role and scope."""

    key_id: str
    role: str
    org_id: str | None = None
    staff_id: str | None = None


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _split(key: str) -> tuple[str, str] | None:
    if not key.startswith(PREFIX):
        return None
    key_id, sep, secret = key[len(PREFIX) :].partition("_")
    if not sep or not key_id or not secret or len(key_id) > 32 or len(secret) > 128:
        return None
    return key_id, secret


def create_key(
    engine: Engine,
    role: str,
    org_id: str | None = None,
    staff_id: str | None = None,
    label: str | None = None,
) -> tuple[str, Principal]:
    """A new key (returned once, never stored) and its principal."""
    if role not in ROLES:
        raise LearnmapError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    if role == "org_manager" and not org_id:
        raise LearnmapError("an org_manager key needs --org ORG_ID")
    if role == "staff" and not staff_id:
        raise LearnmapError("a staff key needs --staff STAFF_ID")
    if role != "org_manager" and org_id:
        raise LearnmapError(f"--org applies to org_manager keys only, not {role}")
    if role != "staff" and staff_id:
        raise LearnmapError(f"--staff applies to staff keys only, not {role}")
    ensure_tables(engine)
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(24)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(API_KEYS).values(
                key_id=key_id,
                secret_sha256=_digest(secret),
                role=role,
                org_id=org_id,
                staff_id=staff_id,
                label=label,
                created_at=datetime.now(UTC),
            )
        )
    return f"{PREFIX}{key_id}_{secret}", Principal(key_id, role, org_id, staff_id)


def revoke_key(engine: Engine, key_id: str) -> bool:
    """Revoke a key by its id (or the whole key); False if there is no such active key."""
    ensure_tables(engine)
    parts = _split(key_id)
    kid = parts[0] if parts else key_id
    with engine.begin() as conn:
        res = conn.execute(
            sa.update(API_KEYS)
            .where(API_KEYS.c.key_id == kid, API_KEYS.c.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC))
        )
    return bool(res.rowcount)


def list_keys(engine: Engine) -> list[dict[str, object]]:
    ensure_tables(engine)
    cols = [c for c in API_KEYS.c if c.name != "secret_sha256"]
    with engine.connect() as conn:
        rows = conn.execute(sa.select(*cols).order_by(API_KEYS.c.created_at)).mappings()
        return [dict(r) for r in rows]


class KeyVerifier:
    """Checks keys against the store, remembering good answers for ``ttl`` seconds."""

    def __init__(self, engine: Engine, ttl: float = 2.0) -> None:
        self.engine = engine
        self.ttl = ttl
        self._cache: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    def verify(self, key: str | None) -> Principal | None:
        if not key:
            return None
        now = time.monotonic()
        hit = self._cache.get(key)
        if hit is not None and now - hit[0] < self.ttl:
            return hit[1]
        parts = _split(key)
        if parts is None:
            return None
        key_id, secret = parts
        with self.engine.connect() as conn:
            row = (
                conn.execute(sa.select(API_KEYS).where(API_KEYS.c.key_id == key_id))
                .mappings()
                .first()
            )
        good = (
            row is not None
            and row["revoked_at"] is None
            and hmac.compare_digest(row["secret_sha256"], _digest(secret))
        )
        if not good:
            with self._lock:
                self._cache.pop(key, None)
            return None
        p = Principal(row["key_id"], row["role"], row["org_id"], row["staff_id"])
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[key] = (now, p)
        return p
