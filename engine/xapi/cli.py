"""``learnmap xapi pending`` and ``learnmap xapi apply`` (registered by ``engine.cli``).

What they print is in the label catalogue's words (Chinese by default, ``--lang en``);
the note of each waiting statement is shown as stored (the store keeps it in English,
e.g. ``no staff_id for account …``, with the account or activity it waits for)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from engine.labels import display_width, label, pad, text

__all__ = ["apply_after_ingest", "register"]


def apply_after_ingest(counts: dict) -> object | None:  # engine.xapi.apply.Applied
    """Apply waiting statements after ``learnmap ingest`` wrote map tables."""
    from engine.store import Store
    from engine.xapi.apply import after_ingest

    changed = [t for t, c in counts.items() if c.new or c.updated]
    tz = os.environ.get("LEARNMAP_XAPI_TZ", "Asia/Shanghai")
    return after_ingest(Store(), changed, _hours(None), tz)


def _hours(policy: str | None):  # noqa: ANN202 - engine.policy.OnlineHours
    from engine.policy import load_policy

    return load_policy(
        policy or os.environ.get("LEARNMAP_XAPI_POLICY", "cadre-online")
    ).online_hours


def _cmd_pending(args: argparse.Namespace) -> int:
    from engine.outputs import write_table
    from engine.store import Store
    from engine.xapi.apply import pending

    frame = pending(Store())
    if args.out:
        write_table(frame, args.out)
        print(text("xapi_written", n=f"{len(frame):,}", path=args.out))
        return 0
    if frame.empty:
        print(text("xapi_none"))
        return 0
    print(text("xapi_header", n=f"{len(frame):,}"))
    states = {s: label("xapi_state", s) for s in frame["state"].unique()}
    width = max(display_width(v) for v in states.values())
    for state, grp in frame.groupby("state", sort=False):
        for note, n in grp["note"].fillna(text("xapi_not_applied")).value_counts().items():
            print(f"  {pad(states[state], width)} {n:>7,}  {note}")
    print(text("xapi_next"))
    return 0


def _cmd_apply(args: argparse.Namespace) -> int:
    from engine.store import Store
    from engine.xapi.apply import apply

    tz = os.environ.get("LEARNMAP_XAPI_TZ", "Asia/Shanghai")
    done = apply(Store(), _hours(args.policy), tz)
    fields = ("applied", "pending", "held", "ignored", "people", "participations")
    fields += ("assessments", "deleted")
    print(text("xapi_applied", **{f: f"{getattr(done, f):,}" for f in fields}))
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "xapi",
        help="xAPI statements from learning platforms: what waits, apply",
        description="Statements arrive at POST /xAPI/statements (learnmap serve). "
        "Those whose account or activity is not mapped yet (tables accounts and "
        "activities) wait, never lost; `apply` applies them once the maps know them.",
    )
    xsub = p.add_subparsers(dest="xapi_command", metavar="ACTION", required=True)
    q = xsub.add_parser("pending", help="statements waiting for a mapping, or held by a rule")
    q.add_argument("--out", type=Path, help="write them to a file (.csv, .parquet or .xlsx)")
    q.set_defaults(func=_cmd_pending)
    q = xsub.add_parser("apply", help="apply every waiting statement the maps now know")
    q.add_argument(
        "--policy",
        help="policy whose [online_hours] rules count 学时 (default: LEARNMAP_XAPI_POLICY "
        "or cadre-online)",
    )
    q.set_defaults(func=_cmd_apply)
