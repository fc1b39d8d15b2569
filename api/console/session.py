"""Console sign-in: an API key is exchanged for a signed session cookie.

- ``POST /console/login`` with form field ``key``: the key is verified exactly as the
  API verifies ``X-API-Key`` (``api.keys.KeyVerifier``); a session row is written to
  ``console_sessions`` (a random ``sid``, the key's id, a CSRF token, an expiry) and the
  browser gets cookie ``lm_console`` = the ``sid`` signed with the store's console
  secret (``itsdangerous``, timestamped).  The key itself is never stored in the
  cookie nor anywhere else.
- The cookie is ``HttpOnly``, ``SameSite=Strict``, ``Path=/console``, with
  ``Max-Age`` = the session's lifetime (``LEARNMAP_CONSOLE_SESSION_HOURS``, default 8)
  and ``Secure`` when ``LEARNMAP_CONSOLE_SECURE_COOKIE=1`` (behind HTTPS).
- Every request checks the signature and age, then the row: not revoked, not expired,
  and the *key* not revoked either (revoking a key ends its console sessions within
  ``key_cache_seconds``, as for the API).  Sign-out revokes the row server-side, so a
  copied cookie stops working at once.
- Forms that change something (sign-out, running an allocation is a read and needs
  none) carry the session's CSRF token in field ``csrf``; it is compared in constant
  time.  The sign-in form has no session yet: it is protected by ``SameSite`` on the
  result and by refusing a cross-origin ``Origin`` header (login CSRF).
"""

from __future__ import annotations

import hmac
import os
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.engine import Engine

from api.db import API_KEYS, CONSOLE_SESSIONS, ensure_tables, stored_secret
from api.keys import Principal

COOKIE = "lm_console"
LANG_COOKIE = "lm_lang"
DEFAULT_HOURS = 8.0


@dataclass(frozen=True)
class ConsoleConfig:
    """session_hours: lifetime of a sign-in; secure_cookie: mark cookies ``Secure``;
    runs_dir: the experiments folder the *Experiments* view lists."""

    session_hours: float = DEFAULT_HOURS
    secure_cookie: bool = False
    runs_dir: str = "var/runs"

    @classmethod
    def from_env(cls) -> ConsoleConfig:
        env = os.environ
        return cls(
            session_hours=float(env.get("LEARNMAP_CONSOLE_SESSION_HOURS") or DEFAULT_HOURS),
            secure_cookie=env.get("LEARNMAP_CONSOLE_SECURE_COOKIE", "0") in ("1", "true", "yes"),
            runs_dir=env.get("LEARNMAP_CONSOLE_RUNS_DIR") or "var/runs",
        )


@dataclass(frozen=True)
class ConsoleSession:
    sid: str
    principal: Principal
    csrf: str
    expires_at: datetime

    def csrf_ok(self, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf, str(token))


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class Sessions:
    """Opens, reads and revokes console sessions (rows of ``console_sessions``)."""

    def __init__(self, engine: Engine, hours: float = DEFAULT_HOURS, cache_seconds: float = 2.0):
        ensure_tables(engine)
        self.engine = engine
        self.max_age = int(hours * 3600)
        self.cache_seconds = cache_seconds
        self._signer = URLSafeTimedSerializer(
            stored_secret(engine, "console_secret"), salt="learnmap-console-session"
        )
        self._cache: dict[str, tuple[float, ConsoleSession]] = {}
        self._lock = threading.Lock()

    def open(self, p: Principal) -> tuple[str, ConsoleSession]:
        """A new session for ``p``: (the cookie's value, the session)."""
        now = datetime.now(UTC)
        sess = ConsoleSession(
            secrets.token_urlsafe(24),
            p,
            secrets.token_urlsafe(24),
            now + timedelta(seconds=self.max_age),
        )
        with self.engine.begin() as conn:
            conn.execute(
                sa.insert(CONSOLE_SESSIONS).values(
                    sid=sess.sid,
                    key_id=p.key_id,
                    csrf=sess.csrf,
                    created_at=now,
                    expires_at=sess.expires_at,
                )
            )
        return self._signer.dumps(sess.sid), sess

    def read(self, cookie: str | None) -> ConsoleSession | None:
        """The live session the cookie names, or None (bad signature, too old, signed
        out, expired, or its key revoked)."""
        if not cookie or len(cookie) > 512:
            return None
        try:
            sid = self._signer.loads(cookie, max_age=self.max_age)
        except BadSignature:
            return None
        if not isinstance(sid, str):
            return None
        mono = time.monotonic()
        hit = self._cache.get(sid)
        if hit is not None and mono - hit[0] < self.cache_seconds:
            return hit[1] if hit[1].expires_at > datetime.now(UTC) else None
        q = (
            sa.select(
                CONSOLE_SESSIONS.c.csrf,
                CONSOLE_SESSIONS.c.expires_at,
                CONSOLE_SESSIONS.c.revoked_at,
                API_KEYS.c.key_id,
                API_KEYS.c.role,
                API_KEYS.c.org_id,
                API_KEYS.c.staff_id,
                API_KEYS.c.revoked_at.label("key_revoked_at"),
            )
            .join(API_KEYS, API_KEYS.c.key_id == CONSOLE_SESSIONS.c.key_id)
            .where(CONSOLE_SESSIONS.c.sid == sid)
        )
        with self.engine.connect() as conn:
            row = conn.execute(q).mappings().first()
        now = datetime.now(UTC)
        if (
            row is None
            or row["revoked_at"] is not None
            or row["key_revoked_at"] is not None
            or _aware(row["expires_at"]) <= now
        ):
            with self._lock:
                self._cache.pop(sid, None)
            return None
        p = Principal(row["key_id"], row["role"], row["org_id"], row["staff_id"])
        sess = ConsoleSession(sid, p, row["csrf"], _aware(row["expires_at"]))
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[sid] = (mono, sess)
        return sess

    def revoke(self, sid: str) -> None:
        with self._lock:
            self._cache.pop(sid, None)
        with self.engine.begin() as conn:
            conn.execute(
                sa.update(CONSOLE_SESSIONS)
                .where(CONSOLE_SESSIONS.c.sid == sid, CONSOLE_SESSIONS.c.revoked_at.is_(None))
                .values(revoked_at=datetime.now(UTC))
            )
