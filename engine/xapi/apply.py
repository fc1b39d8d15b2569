"""Statements → canonical records (the projection), and the holding of the unmapped.

How a statement counts (verbs by their ADL / cmi5 IRIs; ``VERBS`` below):

============  ==============================================================
verb          effect
============  ==============================================================
registered    an enrolment: a participation (status ``enrolled``) dated by
              the statement's ``timestamp``
launched,     activity: the same participation (it exists from the first
initialized,  statement of any of these verbs on the module)
attempted
completed     a completion: ``status = completed``, ``completed_on`` its date,
              ``hours`` from ``result.duration`` by the policy's online-hour
              rules (``engine.xapi.hours``); no duration → the module's hours
passed,       an assessment (``assessment_id = xapi-<statement id>``) with
failed        ``result.score`` on 0–100 (``scaled`` × 100, or ``raw`` between
              ``min`` and ``max``); no score → no assessment (the verb alone
              says nothing learnmap can store); the participation exists
satisfied     the requirement met: the participation is completed (dated by
              this statement when no ``completed`` came first)
voided        the target statement's effect is withdrawn (records rebuilt
              without it)
============  ==============================================================

Other verbs are kept (queries return them) and change nothing (state ``ignored``).

One participation per person, module and ``context.registration`` (none = one per
person and module): ``participation_id = xapi-`` + 24 hex of SHA-256 of the three, so
rebuilding gives the same ids.  Learners are matched by ``actor.account``
(``homePage`` + ``name``) through the ``accounts`` table, activities by IRI through
``activities``; a statement whose account or activity is not mapped yet is kept as
``pending`` and applied by the next ``apply`` after the maps know it (``learnmap
ingest`` of the map tables, or ``learnmap xapi apply``).

Dates: a statement's ``timestamp`` is read in the time zone ``tz`` (default
``Asia/Shanghai``: a platform's 23:30 UTC is the next day in Beijing).

Records are a projection: every ``apply`` rebuilds the xAPI records of each person it
touches from all of that person's statements that are not voided, then writes them
after checking the rules such records can break (``engine.xapi.write``); records of that person whose evidence is
gone (voided) are deleted.  Mapped statements whose records break a rule of the store
(a completion before the person was hired) are ``held`` with the rule in ``note``.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pandas as pd
import sqlalchemy as sa

from engine.policy import OnlineHours
from engine.store import Store
from engine.xapi.hours import cap_yearly, hours_for
from engine.xapi.lrs import STATEMENTS, ensure
from engine.xapi.model import VOIDED, parse_duration
from engine.xapi.write import broken_rules, replace_records, select_in

__all__ = ["VERBS", "Applied", "after_ingest", "apply", "pending"]

log = logging.getLogger(__name__)

_ADL = "http://adlnet.gov/expapi/verbs/"
_CMI5 = "https://w3id.org/xapi/adl/verbs/"
#: verb IRI → its effect
VERBS: dict[str, str] = {
    _ADL + "registered": "enrol",
    _ADL + "launched": "activity",
    _ADL + "initialized": "activity",
    _ADL + "attempted": "activity",
    _ADL + "completed": "complete",
    _ADL + "passed": "assess",
    _ADL + "failed": "assess",
    _CMI5 + "satisfied": "satisfy",
    _ADL + "satisfied": "satisfy",
    VOIDED: "void",
}
_PREFIX = "xapi-"
_WAITING = ("new", "pending", "held")


@dataclass
class Applied:
    """What one ``apply`` did."""

    applied: int = 0
    pending: int = 0
    held: int = 0
    ignored: int = 0
    people: int = 0
    participations: int = 0
    assessments: int = 0
    deleted: int = 0
    notes: list[str] = field(default_factory=list)


def _pid(staff_id: str, module_id: str, registration: str | None) -> str:
    text = f"{staff_id}\x1f{module_id}\x1f{registration or ''}"
    return _PREFIX + hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def _day(timestamp: str, tz: ZoneInfo) -> date:
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).astimezone(tz).date()


def _maps(
    conn: sa.Connection, accounts: Iterable[str], activities: Iterable[str]
) -> tuple[dict, dict]:
    """account key → staff_id, activity IRI → module_id, for the keys given."""
    names = {a.split("\x1f", 1)[1] for a in accounts if a}
    acc = select_in(conn, "accounts", ["home_page", "name", "staff_id"], "name", names)
    amap = {f"{h}\x1f{n}": s for h, n, s in acc}
    act = select_in(conn, "activities", ["activity_id", "module_id"], "activity_id", activities)
    return amap, dict(act)


def _mark_voided(conn: sa.Connection) -> None:
    t = STATEMENTS
    targets = sa.select(t.c.target_id).where(t.c.verb_id == VOIDED, t.c.target_id.is_not(None))
    conn.execute(
        sa.update(t)
        .where(t.c.statement_id.in_(targets), t.c.verb_id != VOIDED, t.c.voided.is_(False))
        .values(voided=True)
    )


def _set_state(conn: sa.Connection, ids: list[str], state: str, note: str | None = None) -> None:
    t = STATEMENTS
    for i in range(0, len(ids), 500):
        conn.execute(
            sa.update(t)
            .where(t.c.statement_id.in_(ids[i : i + 500]))
            .values(state=state, note=note)
        )


def apply(
    store: Store,
    hours: OnlineHours,
    tz: str = "Asia/Shanghai",
    states: tuple[str, ...] = _WAITING,
) -> Applied:
    """Apply the statements in ``states`` (default: every one not yet applied —
    ``new``, ``pending`` and ``held``; the API passes ``("new",)`` so that a request
    does not re-examine everything waiting for a mapping)."""
    zone = ZoneInfo(tz)
    store.create()
    ensure(store.engine)
    done = Applied()
    with store.engine.begin() as conn:  # one transaction: records and states agree
        _apply(conn, hours, zone, states, done)
    if done.participations or done.assessments or done.deleted:
        store.forget_plans()
    return done


def _apply(
    conn: sa.Connection, hours: OnlineHours, zone: ZoneInfo, states: tuple[str, ...], done: Applied
) -> None:
    t = STATEMENTS
    waiting = conn.execute(
        sa.select(t.c.statement_id, t.c.verb_id, t.c.account, t.c.activity_id, t.c.target_id).where(
            t.c.state.in_(states)
        )
    ).all()
    if not waiting:
        return
    targets = [w.target_id for w in waiting if w.verb_id == VOIDED and w.target_id]
    voided_rows = []
    if targets:
        _mark_voided(conn)
        voided_rows = conn.execute(
            sa.select(t.c.account, t.c.activity_id).where(t.c.statement_id.in_(targets))
        ).all()
    accounts = {w.account for w in waiting if w.account} | {
        v.account for v in voided_rows if v.account
    }
    activities = {w.activity_id for w in waiting if w.activity_id} | {
        v.activity_id for v in voided_rows if v.activity_id
    }
    amap, mmap = _maps(conn, accounts, activities)
    state: dict[str, tuple[str, str | None]] = {}
    people: set[str] = set()
    for w in waiting:
        effect = VERBS.get(w.verb_id)
        if effect is None:
            state[w.statement_id] = ("ignored", "a verb with no effect on records")
        elif effect == "void":
            state[w.statement_id] = ("applied", None)
        elif w.account is None:
            state[w.statement_id] = (
                "pending",
                "the actor has no account (only accounts are mapped)",
            )
        elif w.account not in amap:
            state[w.statement_id] = (
                "pending",
                f"no staff_id for account {w.account.replace(chr(31), ' ')}",
            )
        elif w.activity_id is None or w.activity_id not in mmap:
            state[w.statement_id] = ("pending", f"no module_id for activity {w.activity_id}")
        else:
            state[w.statement_id] = ("applied", None)
            people.add(amap[w.account])
    people |= {amap[v.account] for v in voided_rows if v.account in amap}
    held = _rebuild(conn, sorted(people), hours, zone, done) if people else {}
    for sid, note in held.items():
        state[sid] = ("held", note)
    by_state: dict[tuple[str, str | None], list[str]] = defaultdict(list)
    for sid, st in state.items():
        by_state[st].append(sid)
    for (st, note), ids in by_state.items():
        _set_state(conn, ids, st, note)
    for st, _ in state.values():
        setattr(done, st, getattr(done, st) + 1)
    done.people = len(people)


def _statements_of(conn: sa.Connection, staff_ids: list[str]) -> list[dict]:
    """Every effective (mapped, not voided) statement of these people, oldest first."""
    acc = select_in(conn, "accounts", ["home_page", "name", "staff_id"], "staff_id", staff_ids)
    amap = {f"{h}\x1f{n}": s for h, n, s in acc}
    t = STATEMENTS
    effective = [v for v, e in VERBS.items() if e != "void"]
    rows: list = []
    keys = list(amap)
    for i in range(0, len(keys), 500):
        rows += conn.execute(
            sa.select(t.c.seq, t.c.statement_id, t.c.account, t.c.activity_id, t.c.raw).where(
                t.c.account.in_(keys[i : i + 500]),
                t.c.voided.is_(False),
                t.c.verb_id.in_(effective),
                t.c.state.not_in(("pending",)) | t.c.activity_id.is_not(None),
            )
        ).all()
    mmap = dict(
        select_in(conn, "activities", ["activity_id", "module_id"], "activity_id",
                  {r.activity_id for r in rows})
    )  # fmt: skip
    out = []
    for r in rows:
        if r.activity_id not in mmap:
            continue
        st = json.loads(r.raw)
        out.append(
            {
                "seq": r.seq,
                "id": r.statement_id,
                "staff_id": amap[r.account],
                "module_id": mmap[r.activity_id],
                "st": st,
            }
        )
    out.sort(key=lambda s: (s["st"]["timestamp"], s["seq"]))
    return out


def build_records(
    statements: list[dict], module_hours: dict[str, float], hours: OnlineHours, tz: ZoneInfo
) -> tuple[list[dict], list[dict], dict[str, list[str]]]:
    """Participations and assessments of these statements (oldest first), and for each
    record id the statements behind it."""
    groups: dict[str, dict] = {}
    sources: dict[str, list[str]] = defaultdict(list)
    assessments: list[dict] = []
    for s in statements:
        st = s["st"]
        effect = VERBS[st["verb"]["id"]]
        reg = (st.get("context") or {}).get("registration")
        pid = _pid(s["staff_id"], s["module_id"], reg)
        day = _day(st["timestamp"], tz)
        g = groups.setdefault(
            pid,
            {
                "participation_id": pid,
                "staff_id": s["staff_id"],
                "module_id": s["module_id"],
                "session_id": None,
                "enrolled_on": day,
                "completed_on": None,
                "status": "enrolled",
                "hours": 0.0,
            },
        )
        sources[pid].append(s["id"])
        result = st.get("result") or {}
        if effect in ("complete", "satisfy") and g["completed_on"] is None:
            g["completed_on"] = day
            g["status"] = "completed"
            duration = result.get("duration") if effect == "complete" else None
            if duration is not None:
                g["hours"] = hours_for(parse_duration(duration), hours)
            else:
                g["hours"] = float(module_hours.get(s["module_id"], 0.0))
        elif effect == "assess":
            pct = _percent(result.get("score"))
            if pct is not None:
                aid = _PREFIX + s["id"]
                assessments.append(
                    {
                        "assessment_id": aid,
                        "staff_id": s["staff_id"],
                        "module_id": s["module_id"],
                        "taken_on": day,
                        "score": round(min(100.0, max(0.0, pct)), 4),
                    }
                )
                sources[aid].append(s["id"])
    parts = cap_yearly(list(groups.values()), hours.yearly_cap)
    return parts, assessments, sources


def _percent(score: dict | None) -> float | None:
    if not score:
        return None
    if score.get("scaled") is not None:
        return max(0.0, float(score["scaled"]) * 100)
    raw, lo, hi = score.get("raw"), score.get("min"), score.get("max")
    if raw is None:
        return None
    if lo is not None and hi is not None:
        return (float(raw) - lo) / (hi - lo) * 100
    return float(raw) if 0 <= raw <= 100 else None


def _rebuild(
    conn: sa.Connection, people: list[str], hours: OnlineHours, tz: ZoneInfo, done: Applied
) -> dict[str, str]:
    """Rewrite the xAPI records of ``people``; statement id → note for those held."""
    statements = _statements_of(conn, people)
    module_hours = dict(
        select_in(conn, "modules", ["module_id", "hours"], "module_id",
                  {s["module_id"] for s in statements})
    )  # fmt: skip
    held: dict[str, str] = {}
    while True:
        keep = [s for s in statements if s["id"] not in held]
        parts, assess, sources = build_records(keep, module_hours, hours, tz)
        bad = broken_rules(conn, parts, assess)
        if not bad:
            break
        for rid, rule in bad.items():
            for sid in sources[rid]:
                held[sid] = rule
    done.deleted += replace_records(conn, people, parts, assess)
    done.participations += len(parts)
    done.assessments += len(assess)
    return held


def pending(store: Store) -> pd.DataFrame:
    """Statements waiting for a mapping or held by a rule: id, state, account,
    activity, verb, timestamp, note."""
    store.create()
    ensure(store.engine)
    t = STATEMENTS
    q = (
        sa.select(
            t.c.statement_id, t.c.state, t.c.account, t.c.activity_id, t.c.verb_id,
            t.c.timestamp, t.c.note,
        )
        .where(t.c.state.in_(("pending", "held", "new")), t.c.voided.is_(False))
        .order_by(t.c.seq)
    )  # fmt: skip
    with store.engine.connect() as conn:
        frame = pd.read_sql(q, conn)
    frame["account"] = frame["account"].str.replace("\x1f", " ", regex=False)
    return frame


#: Tables whose new rows can let a waiting statement apply.
MAP_TABLES = ("accounts", "activities", "staff", "modules")


def after_ingest(
    store: Store, changed: Iterable[str], hours: OnlineHours, tz: str
) -> Applied | None:
    """After ``changed`` tables were written: apply the statements that waited for them
    (None when no statement waits or no map table changed)."""
    if not set(changed) & set(MAP_TABLES):
        return None
    if not sa.inspect(store.engine).has_table(STATEMENTS.name):
        return None
    t = STATEMENTS
    with store.engine.connect() as conn:
        waiting = conn.execute(
            sa.select(sa.func.count()).select_from(t).where(t.c.state.in_(_WAITING))
        ).scalar_one()
    return apply(store, hours, tz) if waiting else None
