"""API commands added to ``learnmap``: ``serve`` and ``keys create|revoke|list``.

Registered through the ``learnmap.commands`` entry point (``api = api.cli:register``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from api.serve import add_parser as add_serve_parser


def _engine():  # noqa: ANN202
    from engine.store import Store

    store = Store()
    store.create()
    return store.engine


def _check_scope(args: argparse.Namespace) -> None:
    """A scoped key must name an organization or person the store has: a key for a
    mistyped id would be valid and see nothing.  The id is checked only for the role
    it applies to (``create_key`` refuses the other combinations), and before the
    store is opened, so a refusal creates neither a key nor a database file."""
    from engine.cli import require_store
    from engine.errors import NotFoundError
    from engine.store import Store

    table, column, value, what = {
        "org_manager": ("organizations", "org_id", args.org, "organization"),
        "staff": ("staff", "staff_id", args.staff, "staff member"),
    }.get(args.role, (None, None, None, None))
    if table is None or not value:
        return
    require_store()
    if Store().lookup(table, [column], column, [value]).empty:
        raise NotFoundError(
            f"no {what} {value!r} in the store ({table}); ingest it first or check the id"
        )


def _cmd_keys_create(args: argparse.Namespace) -> int:
    from api import audit
    from api.keys import create_key

    _check_scope(args)
    engine = _engine()
    key, who = create_key(engine, args.role, args.org, args.staff, args.label)
    scope = who.org_id or who.staff_id or "all"
    audit.record(engine, None, "keys create", f"{who.key_id} role={who.role} scope={scope}", 1)
    print(f"created key {who.key_id} (role {who.role}, scope {scope}); it is shown only once:")
    print(key)
    return 0


def _cmd_keys_revoke(args: argparse.Namespace) -> int:
    from api import audit
    from api.keys import revoke_key

    engine = _engine()
    if not revoke_key(engine, args.key_id):
        print(f"error: no active key {args.key_id!r}", file=sys.stderr)
        return 2
    audit.record(
        engine,
        None,
        "keys revoke",
        args.key_id.split("_")[1] if args.key_id.startswith("lm_") else args.key_id,
        1,
    )
    print(f"revoked {args.key_id}")
    return 0


def _cmd_keys_list(args: argparse.Namespace) -> int:
    from api.keys import list_keys

    rows = list_keys(_engine())
    if args.json:
        print(json.dumps(rows, default=str, ensure_ascii=False, indent=1))
        return 0
    for r in rows:
        state = f"revoked {r['revoked_at']:%Y-%m-%d}" if r["revoked_at"] else "active"
        scope = r["org_id"] or r["staff_id"] or "all"
        print(f"{r['key_id']}  {r['role']:<12} {scope:<14} {state:<18} {r['label'] or ''}")
    if not rows:
        print("no keys yet: learnmap keys create --role admin")
    return 0


def _cmd_audit(args: argparse.Namespace) -> int:
    """Show (newest first) or export the audit trail: who read or changed whose data,
    when, with what key and scope, and every refused attempt."""
    import pandas as pd

    from api import audit
    from api.db import ensure_tables
    from engine.cli import require_store
    from engine.outputs import write_table

    require_store()
    engine = _engine()
    ensure_tables(engine)
    rows = audit.entries(engine, limit=None if args.out else args.limit)
    frame = pd.DataFrame(rows, columns=["id", *audit.FIELDS])
    if args.subject:
        frame = frame[frame["subject"] == args.subject]
    if args.out:
        frame = frame.sort_values("id")
        frame["at"] = frame["at"].astype(str)
        write_table(frame, args.out)
        audit.record(engine, None, "audit export", str(args.out), len(frame))
        print(f"wrote {len(frame):,} audit rows to {args.out}")
        return 0
    if frame.empty:
        print("no audit rows yet")
        return 0
    for r in frame.itertuples(index=False):
        who = r.key_id or f"operator {r.operator}"
        subject = f" subject {r.subject}" if r.subject else ""
        print(f"{str(r.at)[:19]}  {who} ({r.role or '-'}, {r.scope or '-'})  {r.action}"
              f"{subject}  {r.outcome}")  # fmt: skip
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    add_serve_parser(sub)

    p = sub.add_parser(
        "audit",
        help="show or export the audit trail (who read or changed whose data)",
        description="The audit trail: every read of personal data through the API "
        "(profiles, learning maps, recommendations, staff lists), every write and export, "
        "refused attempts (401/403) and key changes, with who (key id, role, scope, or "
        "the operator's user name), when (UTC) and whose data. --out FILE exports all "
        "rows (.csv or .parquet), oldest first.",
    )
    p.add_argument("--out", type=Path, help="export every row to this file")
    p.add_argument("--limit", type=int, default=50, help="rows to show (default 50)")
    p.add_argument("--subject", help="only rows about this staff or organization id")
    p.set_defaults(func=_cmd_audit)

    p = sub.add_parser("keys", help="API keys: create, revoke, list")
    ksub = p.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    q = ksub.add_parser(
        "create",
        help="create an API key (printed alone on the last line, shown once)",
        description="Create an API key. admin: everything; org_manager (--org): one "
        "organization; staff (--staff): one person's own data; researcher: reports and "
        "pseudonymized data. Only a hash is stored.",
    )
    q.add_argument(
        "--role",
        required=True,
        choices=("admin", "org_manager", "staff", "researcher", "platform"),
        help="platform: a learning platform sending xAPI statements (statements only)",
    )
    q.add_argument("--org", help="organization id (org_manager)")
    q.add_argument("--staff", help="staff id (staff)")
    q.add_argument("--label", help="a note on who holds the key")
    q.set_defaults(func=_cmd_keys_create)
    q = ksub.add_parser("revoke", help="revoke a key by its id (or the whole key)")
    q.add_argument("key_id")
    q.set_defaults(func=_cmd_keys_revoke)
    q = ksub.add_parser("list", help="list keys (ids, roles, scopes; never secrets)")
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=_cmd_keys_list)
