"""Credits earned by completed participations under a ``credits`` policy (source 002).

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
from features.snapshot import Snapshot

_EPS = 1e-9


def training_days(hours: np.ndarray, rule: CreditsRule) -> np.ndarray:
    """Training days of offline modules of ``hours`` under ``rule.day_rule``."""
    days = np.asarray(hours, dtype=float) / rule.hours_per_day
    if rule.day_rule == "started":
        return np.ceil(days - _EPS)
    return np.floor(days + _EPS)


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


def _earned_on(snap: Snapshot, done: pd.DataFrame, pass_score: float) -> np.ndarray:
    """Per completed participation: the day its credits are earned (NaT: failed)."""
    completed = done["completed_on"].to_numpy().astype("datetime64[D]")
    a = snap.assess
    if a.empty or done.empty:
        return completed
    part = snap.part
    attempts = pd.DataFrame(
        {
            "s": part["s"].to_numpy(),
            "m": part["m"].to_numpy(),
            "enrolled_on": part["enrolled_on"].to_numpy().astype("datetime64[ns]"),
            "pid": part.index.to_numpy(),
        }
    ).sort_values("enrolled_on", kind="stable")
    scores = pd.DataFrame(
        {
            "s": a["s"].to_numpy(),
            "m": a["m"].to_numpy(),
            "taken_on": a["taken_on"].to_numpy().astype("datetime64[ns]"),
            "score": a["score"].to_numpy(float),
        }
    ).sort_values("taken_on", kind="stable")
    # a score belongs to the latest enrolment in the module on or before it; one taken
    # before any enrolment, to the first enrolment
    linked = pd.merge_asof(
        scores,
        attempts,
        left_on="taken_on",
        right_on="enrolled_on",
        by=["s", "m"],
        direction="backward",
    )
    early = linked["pid"].isna().to_numpy()
    if early.any():
        first = pd.merge_asof(
            scores[early],
            attempts,
            left_on="taken_on",
            right_on="enrolled_on",
            by=["s", "m"],
            direction="forward",
        )
        linked.loc[early, "pid"] = first["pid"].to_numpy()
    linked = linked.dropna(subset=["pid"])
    # position of each linked participation among the completed ones
    row_of = pd.Series(np.arange(len(done)), index=done.index)
    row = row_of.reindex(linked["pid"].astype(int).to_numpy()).to_numpy()
    ok = ~np.isnan(row)
    row = row[ok].astype(int)
    taken = linked["taken_on"].to_numpy()[ok].astype("datetime64[D]")
    score = linked["score"].to_numpy()[ok]
    comp_year = completed[row].astype("datetime64[Y]")
    passes = score >= pass_score
    failed = np.zeros(len(done), dtype=bool)
    failed[row[~passes & (taken.astype("datetime64[Y]") <= comp_year)]] = True
    first_pass = np.full(len(done), np.datetime64("NaT"), dtype="datetime64[D]")
    earliest = pd.Series(taken[passes]).groupby(row[passes]).min()
    first_pass[earliest.index.to_numpy()] = earliest.to_numpy().astype("datetime64[D]")
    retake = np.where(np.isnat(first_pass), first_pass, np.maximum(completed, first_pass))
    return np.where(failed, retake, completed)


def earned_credits(snap: Snapshot, policy: Policy) -> pd.DataFrame:
    """Credits earned as of the snapshot date: one row per completed participation of
    the policy's modes that earned any, with ``s``, ``m``, ``earned_on``, ``credits``."""
    rule = policy.credits
    if rule is None:
        raise ValueError(f"policy {policy.name!r} has no [credits] table")
    done = snap.done()
    m = done["m"].to_numpy()
    mode_ok = snap.modules["mode"].isin(policy.modes).to_numpy()[m]
    done, m = done[mode_ok], m[mode_ok]
    offline = snap.modules["mode"].isin(OFFLINE_MODES).to_numpy()[m]
    completed = done["completed_on"].to_numpy().astype("datetime64[D]")
    on = np.where(offline, completed, _earned_on(snap, done, rule.pass_score))
    out = pd.DataFrame(
        {
            "s": done["s"].to_numpy(),
            "m": m,
            "earned_on": pd.to_datetime(on),
            "credits": module_credits(snap, rule)[m],
        }
    )
    return out[~np.isnat(on)].reset_index(drop=True)
