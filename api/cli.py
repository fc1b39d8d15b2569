"""API commands added to ``learnmap``: ``serve``, ``audit`` and ``keys create|revoke|list``.

Registered through the ``learnmap.commands`` entry point (``api = api.cli:register``).
What people read is in the label catalogue's words (Chinese by default, ``--lang en``):
roles, scopes, audit actions and outcomes by their labels, ids and dates as they are.
Kept for scripts: ``keys create`` prints the key alone on its last line, ``keys list
--json`` and the ``audit --out`` file keep their codes.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from api.serve import add_parser as add_serve_parser
from engine.labels import display_width, enum_labels, label, pad, text


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

    table, column = {
        "org_manager": ("organizations", "org_id"),
        "staff": ("staff", "staff_id"),
    }.get(args.role, (None, None))
    value = args.org if table == "organizations" else args.staff
    if table is None or column is None or not value:
        return
    require_store()
    if Store().lookup(table, [column], column, [value]).empty:
        key = "keys_no_org" if table == "organizations" else "keys_no_staff"
        raise NotFoundError(text(key, **{column: repr(value)}))


def _scope(org_id: str | None, staff_id: str | None) -> str:
    """A key's scope as people read it: 全部, 机构 ORG…, 人员 ST…."""
    if org_id:
        return text("scope_org", id=org_id)
    if staff_id:
        return text("scope_staff", id=staff_id)
    return label("scope", "all")


def _cmd_keys_create(args: argparse.Namespace) -> int:
    from api import audit
    from api.keys import create_key

    _check_scope(args)
    engine = _engine()
    key, who = create_key(engine, args.role, args.org, args.staff, args.label)
    scope = who.org_id or who.staff_id or "all"
    audit.record(engine, None, "keys create", f"{who.key_id} role={who.role} scope={scope}", 1)
    role, shown = label("api_role", who.role), _scope(who.org_id, who.staff_id)
    print(text("keys_created", key_id=who.key_id, role=role, scope=shown))
    print(key)  # alone on the last line: scripts read it with `tail -n 1`
    return 0


def _cmd_keys_revoke(args: argparse.Namespace) -> int:
    from api import audit
    from api.keys import revoke_key

    engine = _engine()
    if not revoke_key(engine, args.key_id):
        message = text("keys_no_active", key_id=repr(args.key_id))
        print(text("error_line", message=message), file=sys.stderr)
        return 2
    audit.record(
        engine,
        None,
        "keys revoke",
        args.key_id.split("_")[1] if args.key_id.startswith("lm_") else args.key_id,
        1,
    )
    print(text("keys_revoked", key_id=args.key_id))
    return 0


def _cmd_keys_list(args: argparse.Namespace) -> int:
    from api.keys import list_keys

    rows = list_keys(_engine())
    if args.json:
        print(json.dumps(rows, default=str, ensure_ascii=False, indent=1))
        return 0
    shown = [
        (
            r["key_id"],
            label("api_role", r["role"]),
            _scope(r["org_id"], r["staff_id"]),
            text("keys_revoked_on", day=f"{r['revoked_at']:%Y-%m-%d}")
            if r["revoked_at"]
            else text("keys_active"),
            r["label"] or "",
        )
        for r in rows
    ]
    widths = [max((display_width(row[i]) for row in shown), default=0) for i in range(4)]
    for row in shown:
        print("  ".join([*(pad(v, w) for v, w in zip(row, widths, strict=False)), row[4]]).rstrip())
    if not rows:
        print(text("keys_none"))
    return 0


def _cmd_audit(args: argparse.Namespace) -> int:
    """Show (newest first) or export the audit trail: who read or changed whose data,
    when, with what key and scope, and every refused attempt."""
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
        print(text("audit_written", n=f"{len(frame):,}", path=args.out))
        return 0
    if frame.empty:
        print(text("audit_none"))
        return 0
    for r in frame.itertuples(index=False):
        print(_audit_line(r))
    return 0


def _audit_line(row: Any) -> str:  # noqa: ANN401 - a row of the audit frame
    """One audit row as people read it: when, who (key or operator), role and scope,
    action, whose data, outcome — codes by their labels, ids as they are.  Empty cells
    (NaN once in a frame) show as nothing, never ``nan``."""
    r = {k: None if pd.isna(v) else v for k, v in row._asdict().items()}
    return text(
        "audit_line",
        at=str(r["at"])[:19],
        who=r["key_id"] or text("audit_operator", name=r["operator"]),
        role=label("api_role", r["role"]) if r["role"] else "-",
        scope=_audit_scope(r["scope"]),
        action=_audit_action(str(r["action"])),
        subject=text("audit_subject", subject=r["subject"]) if r["subject"] else "",
        outcome=_audit_outcome(str(r["outcome"])),
    )


def _audit_scope(scope: str | None) -> str:
    """``all``, ``org:ID``, ``staff:ID`` or ``operator`` (``api.audit.scope_of``)."""
    if not scope:
        return "-"
    if scope == "operator":
        return text("scope_operator")
    kind, _, rest = scope.partition(":")
    if kind in ("org", "staff") and rest:
        return _scope(rest if kind == "org" else None, rest if kind == "staff" else None)
    return label("scope", scope)


def _audit_action(action: str) -> str:
    """The action's label; an action that starts with a labelled one (``refused 403 GET
    /v1/…``, ``write records/staff``) shows that label and the rest as recorded."""
    known = enum_labels("audit_action")
    if action in known:
        return known[action]
    for code in sorted(known, key=len, reverse=True):
        if action.startswith(code) and action[len(code)] in " /":
            return known[code] + action[len(code) :]
    return action


def _audit_outcome(outcome: str) -> str:
    """``ok`` and ``refused`` by their labels; ``refused: detail`` keeps the detail (as
    the API answered it)."""
    head, sep, detail = outcome.partition(": ")
    if sep and head == "refused":
        return text("audit_refused", detail=detail)
    return label("audit_outcome", outcome)


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
