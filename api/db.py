"""The service's own tables, in the same store as the canonical ones: ``api_keys``,
``audit_log``, ``api_meta`` (the pseudonymization salt, the console's signing secret)
and ``console_sessions`` (the console's sign-ins, revocable server-side).  Created here with
SQLAlchemy (``ensure_tables``); the engine's store does not know them."""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from sqlalchemy.engine import Engine

META = sa.MetaData()

API_KEYS = sa.Table(
    "api_keys",
    META,
    sa.Column("key_id", sa.String(32), primary_key=True),  # public part of the key
    sa.Column("secret_sha256", sa.String(64), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("org_id", sa.Text(), nullable=True),
    sa.Column("staff_id", sa.Text(), nullable=True),
    sa.Column("label", sa.Text(), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
)

AUDIT_LOG = sa.Table(
    "audit_log",
    META,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("key_id", sa.String(32), nullable=True),
    sa.Column("role", sa.String(20), nullable=True),
    sa.Column("action", sa.Text(), nullable=False),
    sa.Column("target", sa.Text(), nullable=True),
    sa.Column("rows", sa.Integer(), nullable=False, default=0),
    sa.Column("outcome", sa.Text(), nullable=False),
    # added by issue 22 (older stores get them on start-up, ``ensure_tables``)
    sa.Column("scope", sa.Text(), nullable=True),
    sa.Column("operator", sa.Text(), nullable=True),
    sa.Column("subject", sa.Text(), nullable=True, index=True),
)
_ADDED = {"audit_log": ("scope", "operator", "subject")}

API_META = sa.Table(
    "api_meta",
    META,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text(), nullable=False),
)


CONSOLE_SESSIONS = sa.Table(
    "console_sessions",
    META,
    sa.Column("sid", sa.String(64), primary_key=True),
    sa.Column("key_id", sa.String(32), nullable=False),
    sa.Column("csrf", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
)


def ensure_tables(engine: Engine) -> None:
    """Create the service's tables; add the columns later versions added."""
    META.create_all(engine)
    inspector = sa.inspect(engine)
    for table, cols in _ADDED.items():
        have = {c["name"] for c in inspector.get_columns(table)}
        missing = [c for c in cols if c not in have]
        if missing:
            with engine.begin() as conn:
                for c in missing:
                    conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {c} TEXT")


def pseudonym_salt(engine: Engine) -> str:
    """The store's salt for pseudonymous ids: created once, then stable."""
    return stored_secret(engine, "pseudonym_salt", 16)


def stored_secret(engine: Engine, name: str, nbytes: int = 32) -> str:
    """A random secret kept in ``api_meta`` under ``name``: created once, then stable
    (every worker process of one store shares it)."""
    ensure_tables(engine)
    with engine.begin() as conn:
        got = conn.execute(
            sa.select(API_META.c.value).where(API_META.c.name == name)
        ).scalar_one_or_none()
        if got is not None:
            return got
        value = secrets.token_hex(nbytes)
        try:
            conn.execute(sa.insert(API_META).values(name=name, value=value))
            return value
        except sa.exc.IntegrityError:  # another worker created it first
            pass
    with engine.connect() as conn:
        return conn.execute(sa.select(API_META.c.value).where(API_META.c.name == name)).scalar_one()
