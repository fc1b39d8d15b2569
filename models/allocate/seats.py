"""Seat allocation for offline classes (名额分配调训): who gets the scarce seats.

``allocate(tables, start, end, policy)`` assigns the free seats of the offline
sessions (modes ``offline`` / ``blended``) starting in ``[start, end]`` to staff, so that
the total *need* of the people seated is as large as possible (solved exactly, see
``models.allocate_solver``).  Everything is judged as of ``start``: only records known
that day count (compliance, completions, enrolments already made).

Need of a person (``need_scores``; all employed staff, weight > 0):

``3 × behind``              share of their requirement still missing (0..1), from
                            ``features.compliance`` (``required`` / ``done``);
``+ 2 × behind × urgency``  urgency = 1 − days to deadline / 730, clipped to 0..1;
``+ 1.5 × untrained``       long-term untrained (长期不训): no completed training in the
                            365 days before ``start`` (or never);
``+ 2 × remedial``          补训: overdue, or a closed year of the policy not qualified
                            (``qualified_<year>`` false) within the last 365 days;
``− 0.5 × often``           trained often (培训专业户): offline completions in the last
                            365 days, at most 4 counted;
``+ 0.05 × head``           heads first when equally behind;
floored at ``MIN_WEIGHT`` (0.05) so that seats still fill once everyone in need is seated.
The reason beside each weight says these parts in the label catalogue's words
(``alloc_*`` of ``engine.labels``: Chinese by default, English with ``LEARNMAP_LANG=en``).

Eligible: employed on ``start``, not having completed the session's module, not already
enrolled in that module (an ``enrolled`` record as of ``start``), not already holding a
seat in the session.  Free seats = capacity − enrolments known as of ``start``
(unlimited capacity = everyone eligible).

Settings (``AllocationSettings``): ``seats_per_org`` = seats one organization may hold
in one session (default 2; None = no cap) and ``seats_per_person`` in the period
(default 1).  A policy may carry them as an ``allocation`` table (``seats_per_org``,
``seats_per_person``) once ``engine.policy.Policy`` has that field; until then they come
from the caller (CLI options).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import scipy.sparse as sp

from engine.errors import LearnmapError, Rule
from engine.labels import get_lang, text
from engine.policy import Policy
from engine.schema import OFFLINE_MODES
from features.compliance import compliance
from features.snapshot import snapshot
from models.allocate.solver import SCALE, SeatProblem, solve, solve_greedy

log = logging.getLogger(__name__)

__all__ = [
    "ALLOCATION_COLUMNS",
    "MIN_WEIGHT",
    "AllocationSettings",
    "allocate",
    "by_org",
    "need_scores",
    "settings_from_policy",
]

ALLOCATION_COLUMNS = ["session_id", "module_id", "staff_id", "org_id", "weight", "reason"]
MIN_WEIGHT = 0.05
_YEAR = np.timedelta64(365, "D")


@dataclass(frozen=True)
class AllocationSettings:
    """seats_per_org: seats per organization per session (None = unlimited);
    seats_per_person: seats per person in the period."""

    seats_per_org: int | None = 2
    seats_per_person: int = 1


def settings_from_policy(
    policy: Policy, seats_per_org: int | None = None, seats_per_person: int | None = None
) -> AllocationSettings:
    """Explicit values win; then a policy ``allocation`` table if the policy has one;
    then the defaults of ``AllocationSettings``."""
    base = AllocationSettings()
    table = getattr(policy, "allocation", None)
    if table is not None:
        get = table.get if isinstance(table, dict) else lambda k, d: getattr(table, k, d)
        base = AllocationSettings(
            get("seats_per_org", base.seats_per_org),
            get("seats_per_person", base.seats_per_person),
        )
    return AllocationSettings(
        base.seats_per_org if seats_per_org is None else seats_per_org,
        base.seats_per_person if seats_per_person is None else seats_per_person,
    )


def _num(frame: pd.DataFrame, col: str, default: float = 0.0) -> np.ndarray:
    if col not in frame:
        return np.full(len(frame), default)
    return pd.to_numeric(frame[col], errors="coerce").fillna(default).to_numpy(float)


def need_scores(tables: dict[str, pd.DataFrame], as_of: date, policy: Policy) -> pd.DataFrame:
    """Per employed staff member: ``staff_id, org_id, weight, reason`` (see the module
    docstring for the formula)."""
    snap = snapshot(tables, as_of)
    comp = compliance(snap, policy).reset_index(drop=True)
    t = np.datetime64(pd.Timestamp(as_of).date(), "D")
    n = len(comp)
    required = _num(comp, "required")
    done = _num(comp, "done")
    behind = np.where(
        required > 0, np.clip((required - done) / np.maximum(required, 1e-9), 0, 1), 0
    )
    if "deadline" in comp:
        dl = pd.to_datetime(comp["deadline"]).to_numpy().astype("datetime64[D]")
        days = np.where(np.isnat(dl), 730, (dl - t) / np.timedelta64(1, "D")).astype(float)
    else:
        days = np.full(n, 730.0)
    urgency = np.clip(1 - days / 730, 0, 1)
    status = comp["status"].astype(str).to_numpy() if "status" in comp else np.full(n, "")
    remedial = status == "overdue"
    year_ago = t - _YEAR
    for col in comp.columns:
        if col.startswith("qualified_") and col[10:].isdigit():
            year_end = np.datetime64(f"{int(col[10:])}-12-31", "D")
            if year_end >= year_ago and year_end < t:
                remedial |= ~comp[col].fillna(True).astype(bool).to_numpy()
    # completions as of ``as_of``, per staff code
    done_rows = snap.done()
    s = done_rows["s"].to_numpy()
    comp_on = done_rows["completed_on"].to_numpy().astype("datetime64[D]")
    recent = comp_on > year_ago
    any_recent = np.bincount(s[recent], minlength=snap.n_staff) > 0
    off = done_rows["offline"].to_numpy(bool) if "offline" in done_rows else np.zeros(len(s), bool)
    often = np.minimum(np.bincount(s[recent & off], minlength=snap.n_staff), 4)
    last = pd.Series(comp_on).groupby(s).max()
    # align snapshot staff codes with the compliance rows by id
    pos = pd.Index(snap.staff["staff_id"].astype(str)).get_indexer(comp["staff_id"].astype(str))
    untrained = ~any_recent[pos]
    often = often[pos]
    roles = snap.staff["role"].astype(str).to_numpy()[pos]
    head = np.array(["head" in r.split("|") for r in roles], dtype=bool)
    weight = (
        3 * behind
        + 2 * behind * urgency
        + 1.5 * untrained
        + 2 * remedial
        - 0.5 * often
        + 0.05 * head
    )
    weight = np.maximum(np.round(weight, 3), MIN_WEIGHT)
    employed = snap.employed[pos]
    reasons = _reasons(required, done, behind, days, remedial, untrained, pos, last, often, head)
    out = pd.DataFrame(
        {
            "staff_id": comp["staff_id"].astype(str).to_numpy(),
            "org_id": comp["org_id"].astype(str).to_numpy(),
            "weight": weight,
            "reason": reasons,
        }
    )
    return out[employed].reset_index(drop=True)


def _reasons(
    required: np.ndarray,
    done: np.ndarray,
    behind: np.ndarray,
    days: np.ndarray,
    remedial: np.ndarray,
    untrained: np.ndarray,
    pos: np.ndarray,
    last: pd.Series,
    often: np.ndarray,
    head: np.ndarray,
) -> list[str]:
    """Each person's reason in the catalogue's words (``alloc_*``; Chinese by default,
    English with ``LEARNMAP_LANG=en``), parts joined by ``reason_join``.  The language is
    read once, so a table is never half in one language."""
    lang = get_lang()
    join = text("reason_join", lang)
    reasons = []
    for i in range(len(required)):
        parts = []
        if required[i] > 0:
            left = int(days[i]) if days[i] >= 0 else 0
            counts = {"done": _fmt(done[i]), "required": _fmt(required[i])}
            if behind[i] > 0:
                key = "alloc_behind_one" if left == 1 else "alloc_behind"
                parts.append(text(key, lang, days=left, **counts))
            else:
                parts.append(text("alloc_met", lang, **counts))
        if remedial[i]:
            parts.append(text("alloc_remedial", lang))
        if untrained[i]:
            code = pos[i]
            parts.append(
                text("alloc_since", lang, day=pd.Timestamp(last[code]).date())
                if code in last.index
                else text("alloc_never", lang)
            )
        if often[i]:
            key = "alloc_often_one" if often[i] == 1 else "alloc_often"
            parts.append(text(key, lang, n=int(often[i])))
        if head[i]:
            parts.append(text("alloc_head", lang))
        reasons.append(join.join(parts) or text("alloc_open_seat", lang))
    return reasons


def _fmt(x: float) -> str:
    return f"{x:g}" if abs(x - round(x)) > 1e-9 else str(int(round(x)))


def allocate(
    tables: dict[str, pd.DataFrame],
    start: date,
    end: date,
    policy: Policy,
    settings: AllocationSettings | None = None,
    exact: bool = True,
) -> pd.DataFrame:
    """The seats: one row per (session, person), columns ``ALLOCATION_COLUMNS``, sorted by
    session then weight (highest first).  ``exact=False`` (one seat per person only):
    neediest first into the emptiest open class, nobody moved — not optimal, the
    benchmark's baseline."""
    settings = settings or AllocationSettings()
    if end < start:
        raise LearnmapError(Rule("allocate_window", end=end, start=start))
    t0, t1 = pd.Timestamp(start), pd.Timestamp(end)
    modules = tables["modules"]
    mode = modules.set_index(modules["module_id"].astype(str))["mode"].astype(str)
    ses = tables["sessions"].copy()
    ses["module_id"] = ses["module_id"].astype(str)
    ses = ses[
        (ses["starts_on"] >= t0)
        & (ses["starts_on"] <= t1)
        & ses["module_id"].map(mode).isin(OFFLINE_MODES).to_numpy()
    ].reset_index(drop=True)
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in ALLOCATION_COLUMNS})
    need = need_scores(tables, start, policy)
    if ses.empty or need.empty:
        return empty
    part = tables["participations"]
    known = part[(part["enrolled_on"] <= t0).to_numpy()]
    active = known[known["status"].astype(str).isin(["enrolled", "completed"]).to_numpy()]
    taken = active["session_id"].astype(str).value_counts()
    ses["session_id"] = ses["session_id"].astype(str)
    cap = pd.to_numeric(ses["capacity"], errors="coerce")
    free = (cap - ses["session_id"].map(taken).fillna(0)).clip(lower=0)
    free = free.fillna(len(need)).astype(int).to_numpy()
    # completed or ongoing (enrolled) modules per person, as of start → ineligible
    blocked = known[
        (known["status"].astype(str) == "completed") & (known["completed_on"] <= t0).fillna(False)
        | (known["status"].astype(str) == "enrolled")
    ]
    blocked = blocked[blocked["module_id"].astype(str).isin(ses["module_id"]).to_numpy()]
    if settings.seats_per_person == 1:
        return _allocate_one_each(need, ses, free, blocked, settings.seats_per_org, exact)
    blocked_pairs = set(
        zip(blocked["staff_id"].astype(str), blocked["module_id"].astype(str), strict=True)
    )
    # eligible pairs: every person × every session whose module they may take
    n_p, n_s = len(need), len(ses)
    p = np.repeat(np.arange(n_p), n_s)
    s = np.tile(np.arange(n_s), n_p)
    staff = need["staff_id"].to_numpy()
    mods = ses["module_id"].to_numpy()
    if blocked_pairs:
        key = pd.MultiIndex.from_arrays([staff[p], mods[s]])
        bad = key.isin(list(blocked_pairs))
        p, s = p[~bad], s[~bad]
    keep = free[s] > 0
    p, s = p[keep], s[keep]
    pairs = pd.DataFrame({"person": p, "session": s, "weight": need["weight"].to_numpy()[p]})
    org_codes, _ = pd.factorize(need["org_id"])
    day = np.datetime64("1970-01-01", "D")
    starts = (ses["starts_on"].to_numpy().astype("datetime64[D]") - day) / np.timedelta64(1, "D")
    ends_raw = pd.to_datetime(ses["ends_on"]).fillna(ses["starts_on"])
    ends = (ends_raw.to_numpy().astype("datetime64[D]") - day) / np.timedelta64(1, "D")
    problem = SeatProblem(
        pairs=pairs,
        org=org_codes,
        capacity=free,
        module=pd.factorize(mods)[0],
        starts=starts.astype(np.int64),
        ends=ends.astype(np.int64),
        org_cap=settings.seats_per_org,
        per_person=settings.seats_per_person,
    )
    log.info("allocating %d sessions among %d eligible pairs", n_s, len(pairs))
    chosen = solve(problem)
    got = pairs.iloc[chosen]
    out = pd.DataFrame(
        {
            "session_id": ses["session_id"].to_numpy()[got["session"].to_numpy()],
            "module_id": mods[got["session"].to_numpy()],
            "staff_id": staff[got["person"].to_numpy()],
            "org_id": need["org_id"].to_numpy()[got["person"].to_numpy()],
            "weight": got["weight"].to_numpy(),
            "reason": need["reason"].to_numpy()[got["person"].to_numpy()],
        }
    )
    return out.sort_values(
        ["session_id", "weight", "staff_id"], ascending=[True, False, True]
    ).reset_index(drop=True)


def _allocate_one_each(
    need: pd.DataFrame,
    ses: pd.DataFrame,
    free: np.ndarray,
    blocked: pd.DataFrame,
    org_cap: int | None,
    exact: bool = True,
) -> pd.DataFrame:
    """One seat per person: ``solve_greedy`` on the implicit pairs (everyone × every
    session, less the modules each person completed or is enrolled in: ``blocked``
    rows ``staff_id, module_id``) — exact, and it never lists the people × sessions
    pairs (100,000 × 2,000 would not fit)."""
    staff = need["staff_id"].to_numpy()
    mods = ses["module_id"].to_numpy()
    mod_codes, mod_uniq = pd.factorize(mods)
    r = pd.Index(staff).get_indexer(blocked["staff_id"].astype(str))
    c = pd.Index(mod_uniq).get_indexer(blocked["module_id"].astype(str))
    ok = (r >= 0) & (c >= 0)
    bl = sp.csr_matrix(
        (np.ones(int(ok.sum()), bool), (r[ok], c[ok])), shape=(len(staff), len(mod_uniq))
    )
    # sessions of each module, to knock out a person's blocked modules
    by_mod = sp.csr_matrix(
        (np.ones(len(mods), bool), (mod_codes, np.arange(len(mods)))),
        shape=(len(mod_uniq), len(mods)),
    )
    n_s = len(mods)

    def eligible(x: int) -> np.ndarray:
        m = np.ones(n_s, bool)
        for j in bl.indices[bl.indptr[x] : bl.indptr[x + 1]].tolist():
            m[by_mod.indices[by_mod.indptr[j] : by_mod.indptr[j + 1]]] = False
        return m

    w = np.round(need["weight"].to_numpy(float) * SCALE)
    assign = solve_greedy(w, need["org_id"].to_numpy(), free, eligible, org_cap, augment=exact)
    who = np.flatnonzero(assign >= 0)
    got = assign[who]
    out = pd.DataFrame(
        {
            "session_id": ses["session_id"].to_numpy()[got],
            "module_id": mods[got],
            "staff_id": staff[who],
            "org_id": need["org_id"].to_numpy()[who],
            "weight": need["weight"].to_numpy()[who],
            "reason": need["reason"].to_numpy()[who],
        }
    )
    log.info("seated %d of %d people in %d sessions", len(out), len(staff), n_s)
    return out.sort_values(
        ["session_id", "weight", "staff_id"], ascending=[True, False, True]
    ).reset_index(drop=True)


def by_org(seats: pd.DataFrame, need: pd.DataFrame | None = None) -> pd.DataFrame:
    """Roll-up per organization: ``org_id, seats, people, sessions, total_weight`` and,
    given ``need_scores``, ``in_need`` (staff with weight above the floor) and
    ``in_need_seated``."""
    g = seats.groupby("org_id")
    out = pd.DataFrame(
        {
            "seats": g.size(),
            "people": g["staff_id"].nunique(),
            "sessions": g["session_id"].nunique(),
            "total_weight": g["weight"].sum().round(3),
        }
    )
    if need is not None:
        needy = need[need["weight"] > MIN_WEIGHT]
        out = out.reindex(sorted(set(out.index) | set(needy["org_id"])), fill_value=0)
        out["in_need"] = needy.groupby("org_id").size().reindex(out.index, fill_value=0)
        seated = needy[needy["staff_id"].isin(seats["staff_id"])]
        out["in_need_seated"] = seated.groupby("org_id").size().reindex(out.index, fill_value=0)
    out.index.name = "org_id"
    return out.reset_index().sort_values("org_id").reset_index(drop=True)
