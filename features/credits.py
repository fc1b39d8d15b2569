"""Credits under a ``credits`` policy (source 002): what each completed participation
earns (``earned_credits``) and the status per person (``credits_status``; the status
rules are those of ``features.compliance``).

The rules, their options and the reading of the source are documented with the policy
(``engine.policy``, ``[credits]``).  In short: offline training earns a rate per
training day from ``offline_min_days`` days up; an online course passed earns hours ×
rate clipped to [min, max]; a module's own ``credits`` value replaces the computed one.
A course is judged by the scores the person got between enrolling in it and their
next enrolment in the same module: it is failed if a score below ``pass_score`` was
taken by the end of its completion year and no score passes, and a failed course earns
its credits on the day of its first passing retake.  So a failed attempt followed by a
passing retake earns the pass's credits, and a failed score in a later year never
removes credits already earned.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.policy import CreditsRule, Policy
from engine.schema import OFFLINE_MODES
from features.periods import (
    ALL_STATUSES,
    EPS,
    applicable,
    base_frame,
    classify,
    current_year,
    data_start,
    day_of,
    employment,
    finish,
    per_year,
    prorate,
    qualified,
    year_bounds,
)
from features.snapshot import Snapshot


def training_days(hours: np.ndarray, rule: CreditsRule) -> np.ndarray:
    """Training days of offline modules of ``hours`` under ``rule.day_rule``."""
    days = np.asarray(hours, dtype=float) / rule.hours_per_day
    if rule.day_rule == "started":
        return np.ceil(days - EPS)
    return np.floor(days + EPS)


def module_credits(snap: Snapshot, rule: CreditsRule) -> np.ndarray:
    """Credits a pass of each module earns (row = module code ``m``)."""
    mods = snap.modules
    hours = mods["hours"].to_numpy(float)
    offline = mods["mode"].isin(OFFLINE_MODES).to_numpy()
    days = training_days(hours, rule)
    per_day = np.where(
        days >= rule.offline_min_days, rule.offline_per_day, rule.offline_short_per_day
    )
    online = np.clip(hours * rule.online_per_hour, rule.online_min, rule.online_max)
    credits = np.where(offline, days * per_day, online)
    if "credits" in mods.columns:
        given = mods["credits"].to_numpy(dtype=float, na_value=np.nan)
        credits = np.where(np.isnan(given), credits, given)
    return credits


def _days(values: pd.Series | np.ndarray) -> np.ndarray:
    return np.asarray(values).astype("datetime64[D]").astype(np.int64)


def _attempt_of(p_key: np.ndarray, p_day: np.ndarray, a_key: np.ndarray, a_day: np.ndarray):  # noqa: ANN202
    """Per assessment (person-module ``a_key``, day ``a_day``): the index of the attempt
    it belongs to among the enrolments (``p_key``, ``p_day``) — the latest enrolment in
    the module on or before it, or the first one if it came before any (−1: none)."""
    if len(p_key) == 0 or len(a_key) == 0:
        return np.full(len(a_key), -1, dtype=np.int64)
    lo = min(p_day.min(), a_day.min())
    span = max(p_day.max(), a_day.max()) - lo + 1
    if (int(p_key.max()) + 1) * int(span) >= 2**62:
        raise ValueError("too many staff × modules × days to index attempts")
    # one sortable number per (person, module, day)
    p_code, a_code = p_key * span + (p_day - lo), a_key * span + (a_day - lo)
    order = np.argsort(p_code, kind="stable")
    sorted_code, sorted_key = p_code[order], p_key[order]
    q = np.argsort(a_code)  # sorted queries: numpy's binary search reuses its last bound
    at = np.empty(len(a_code), dtype=np.int64)
    at[q] = np.searchsorted(sorted_code, a_code[q], side="right") - 1
    same = (at >= 0) & (sorted_key[np.maximum(at, 0)] == a_key)
    nxt = np.minimum(at + 1, len(order) - 1)
    early = ~same & (sorted_key[nxt] == a_key)
    at = np.where(same, at, np.where(early, nxt, -1))
    return np.where(at >= 0, order[np.maximum(at, 0)], -1)


def _earned_on(
    snap: Snapshot, rows: np.ndarray, completed: np.ndarray, pass_score: float
) -> np.ndarray:
    """For completed participations ``rows`` (positions in ``snap.part``) of online
    modules, completed on ``completed``: the day their credits are earned (NaT: failed)."""
    online = ~snap.modules["mode"].isin(OFFLINE_MODES).to_numpy()
    a = snap.assess
    a_s, a_m = a["s"].to_numpy(), a["m"].to_numpy()
    score = a["score"].to_numpy(float)
    fail = (score < pass_score) & online[a_m]
    if not fail.any() or len(rows) == 0:
        return completed
    # only a person-module with a failed score can have a course that earns late or never
    n_mod = np.int64(max(len(snap.modules), 1))
    doubt = pd.Index(a_s[fail].astype(np.int64) * n_mod + a_m[fail])
    who = np.zeros(snap.n_staff, dtype=bool)
    who[a_s[fail]] = True

    def select(s: np.ndarray, m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cand = np.flatnonzero(who[s])
        key = s[cand].astype(np.int64) * n_mod + m[cand]
        hit = pd.Series(key).isin(doubt).to_numpy()
        return cand[hit], key[hit]

    a_sel, a_key = select(a_s, a_m)
    part = snap.part
    kept, p_key = select(part["s"].to_numpy(), part["m"].to_numpy())  # enrolments, any status
    if len(kept) == 0:
        return completed
    score = score[a_sel]
    taken = a["taken_on"].to_numpy()[a_sel].astype("datetime64[D]")
    p_day = _days(part["enrolled_on"].to_numpy()[kept])
    attempt = _attempt_of(p_key, p_day, a_key, taken.astype(np.int64))
    # the position among ``rows`` of each assessment's attempt (−1: not one of them)
    pos = np.full(len(part), -1, dtype=np.int64)
    pos[rows] = np.arange(len(rows))
    row = np.where(attempt >= 0, pos[kept[np.maximum(attempt, 0)]], -1)
    ok = row >= 0
    row, taken, passes = row[ok], taken[ok], score[ok] >= pass_score
    failed = np.zeros(len(rows), dtype=bool)
    in_year = taken.astype("datetime64[Y]") <= completed[row].astype("datetime64[Y]")
    failed[row[~passes & in_year]] = True
    # the first passing score of each attempt
    first_pass = np.full(len(rows), np.datetime64("NaT"), dtype="datetime64[D]")
    pr, pd_ = row[passes], taken[passes]
    order = np.lexsort((pd_, pr))
    uniq, first = np.unique(pr[order], return_index=True)
    first_pass[uniq] = pd_[order][first]
    retake = np.where(np.isnat(first_pass), first_pass, np.maximum(completed, first_pass))
    return np.where(failed, retake, completed)


def earned_credits(snap: Snapshot, policy: Policy) -> pd.DataFrame:
    """Credits earned as of the snapshot date: one row per completed participation of
    the policy's modes that earned any, with ``s``, ``m``, ``earned_on``, ``credits``."""
    rule = policy.credits
    if rule is None:
        raise ValueError(f"policy {policy.name!r} has no [credits] table")
    part = snap.part
    status = part["status"]
    m_all = part["m"].to_numpy()
    mode_ok = snap.modules["mode"].isin(policy.modes).to_numpy()
    completed_code = status.cat.categories.get_loc("completed")
    rows = np.flatnonzero((status.cat.codes.to_numpy() == completed_code) & mode_ok[m_all])
    m = m_all[rows]
    offline = snap.modules["mode"].isin(OFFLINE_MODES).to_numpy()[m]
    on = part["completed_on"].to_numpy()[rows].astype("datetime64[D]")
    on[~offline] = _earned_on(snap, rows[~offline], on[~offline], rule.pass_score)
    keep = ~np.isnat(on)
    return pd.DataFrame(
        {
            "s": part["s"].to_numpy()[rows[keep]],
            "m": m[keep],
            "earned_on": on[keep].astype("datetime64[ns]"),
            "credits": module_credits(snap, rule)[m[keep]],
        }
    )


def _carry(available: np.ndarray, required: np.ndarray, earned: np.ndarray, policy: Policy):  # noqa: ANN202
    """Credits carried from a year into the next (第十五条; policy ``carry_over_horizon``)."""
    rule = policy.credits
    assert rule is not None
    if not rule.carry_over:
        return np.zeros_like(available)
    surplus = np.maximum(available - required, 0.0)
    if rule.carry_over_horizon == "next_year":
        # credits carried in are used first; only this year's own surplus moves on
        surplus = np.minimum(surplus, earned)
    return surplus


def credits_status(
    snap: Snapshot, policy: Policy, first: np.datetime64 | None = None
) -> pd.DataFrame:
    """This year's credits (with carry-over) against the yearly target, the ended years'
    ``credits_<year>`` / ``qualified_<year>``, and the ``cycle_*`` columns (``first``:
    the first day the records cover, as in ``features.compliance.compliance``)."""
    rule = policy.credits
    assert rule is not None
    start, end, as_of = day_of(policy.start), day_of(policy.end), day_of(snap.as_of)
    ev = earned_credits(snap, policy)
    on = ev["earned_on"].to_numpy().astype("datetime64[D]")
    ev = ev[(on >= start) & (on <= end)]
    earned = per_year(
        snap, ev["s"].to_numpy(), ev["earned_on"], ev["credits"].to_numpy(float), policy
    )
    bounds = year_bounds(policy)
    cy = current_year(policy, as_of)
    first = data_start(snap) if first is None else first
    out = base_frame(snap, policy)
    carry = np.zeros(snap.n_staff)
    for i, (y, a, b) in enumerate(bounds):
        e0, e1, frac = employment(snap, a, b)
        req = prorate(np.full(snap.n_staff, rule.annual), frac, policy.prorate)
        available = earned[:, i] + carry
        if i == cy:
            status = classify(req, available, np.full(snap.n_staff, b), as_of, e0, e1, policy.pace)
            current = (req, available, b, status)
        if b < as_of:
            out[f"credits_{y}"] = np.round(earned[:, i], 2)
            met = available >= req - EPS
            out[f"qualified_{y}"] = qualified(met, applicable(frac, b, first))
        if i >= cy:
            break
        carry = _carry(available, req, earned[:, i], policy)
    we0, we1, wfrac = employment(snap, start, end)
    req, available, b, status = current
    out = finish(out, req, np.round(available, 2), np.full(snap.n_staff, b), status, wfrac)
    out["carried_in"] = np.round(available - earned[:, cy], 2)
    cycle_req = prorate(np.full(snap.n_staff, rule.cycle), wfrac, policy.prorate)
    cycle_done = earned.sum(axis=1)
    out["cycle_required"] = cycle_req
    out["cycle_done"] = np.round(cycle_done, 2)
    out["cycle_status"] = pd.Categorical(
        classify(cycle_req, cycle_done, np.full(snap.n_staff, end), as_of, we0, we1, policy.pace),
        categories=ALL_STATUSES,
    )
    return out
