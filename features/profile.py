"""Learner profiles: one row per staff member as of a date — the standardized data on
participation behaviour (参训行为), performance (参训表现) and effect (参训效果).

Columns
-------
person_times, person_times_offline, person_times_online
    completed participations in the window of ``window_policy`` (default the 2025–2027
    plan), up to the as-of date; offline = offline/blended modules.
hours_window, hours_12m, hours_<year>
    hours of completed participations in the window, in the trailing 365 days, and per
    calendar year of the window that has begun on the as-of date (a later year is left
    out, not shown as 0 hours).
credits_window, credits_available
    credits earned in the ``credits`` policy's window, and this year's credits with
    the surplus carried over from earlier years (``features.compliance``).
days_since_last, long_untrained
    days since the last completion (empty if none); ``long_untrained`` (长期不训) = no
    completion in the trailing 365 days, for staff employed at least that long.
enrolments, completions, drops, no_shows, completion_rate
    every participation record known as of the date; completion rate = completed /
    (completed + dropped + no-show), empty while nothing is resolved.
score_mean, score_trend, n_scores
    mean assessment score, and its least-squares slope in points per year (empty unless
    the scores' dates spread by at least ``MIN_TREND_SPREAD_YEARS``, about five weeks).
mastery_required, required_coverage, required_skills, required_assessed
    mean mastery (``features.mastery``) over the skills the person's roles require, and
    the share of those skills where mastery reaches the required level with at least
    ``MIN_EVIDENCE`` of evidence (a person never assessed on a skill has not shown it);
    how many skills the roles require, and on how many the person has any evidence.  A
    skill with none counts in the mean at its population estimate (the prior): where
    ``required_assessed`` < ``required_skills`` the mean is partly, and at 0 wholly, an
    estimate — what people read says so (``learnmap profile``).
gain_post_pre, gain_followup
    mean self-assessed gain post − pre, and follow-up − pre, over modules with both.
satisfaction_mean
    mean satisfaction the person gave (effect evaluation, source 004 §6.3).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from engine.schema import PARTICIPATION_STATUSES
from features.mastery import MasteryTable, skill_mastery
from features.snapshot import Snapshot

if TYPE_CHECKING:  # engine.policy (pydantic) is imported by ``learner_profiles`` itself,
    # so the learning map (which only needs ``MIN_EVIDENCE``) does not load it
    from engine.policy import Policy

DAY = np.timedelta64(1, "D")
MIN_EVIDENCE = 0.5
#: a score trend needs dates spread by at least this sd (≈ 5 weeks), else it is noise
MIN_TREND_SPREAD_YEARS = 0.1


def required_skills(snap: Snapshot) -> pd.DataFrame:
    """Per staff code ``s``: required skill codes ``k`` and target ``level`` (max over roles)."""
    roles = snap.staff["role"].str.split("|").explode()
    pairs = pd.DataFrame({"s": roles.index.to_numpy(), "role": roles.to_numpy()})
    req = snap.role_requirements
    k = pd.Index(snap.skills["skill_id"]).get_indexer(req["skill_id"])
    req = pd.DataFrame({"role": req["role"].to_numpy(), "k": k, "level": req["level"].to_numpy()})
    out = pairs.merge(req, on="role")
    return out.groupby(["s", "k"], as_index=False)["level"].max()


def _bincount(s: np.ndarray, n: int, weights: np.ndarray | None = None) -> np.ndarray:
    return np.bincount(s, weights=weights, minlength=n)


def _score_stats(snap: Snapshot) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = snap.n_staff
    a = snap.assess
    s = a["s"].to_numpy()
    y = a["score"].to_numpy()
    t = (a["taken_on"].to_numpy() - snap.as_of.to_datetime64()) / DAY / 365.25
    cnt = _bincount(s, n)
    sy, st = _bincount(s, n, y), _bincount(s, n, t)
    stt, sty = _bincount(s, n, t * t), _bincount(s, n, t * y)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(cnt > 0, sy / cnt, np.nan)
        denom = cnt * stt - st * st
        spread = denom / np.maximum(cnt, 1) ** 2  # variance of the dates, in years²
        ok = (cnt >= 2) & (spread >= MIN_TREND_SPREAD_YEARS**2)
        slope = np.where(ok, (cnt * sty - st * sy) / denom, np.nan)
    return mean, slope, cnt


def _gains(snap: Snapshot) -> tuple[np.ndarray, np.ndarray]:
    o = snap.outcomes
    o = o[o["kind"].isin(["pre", "post", "followup"])]
    wide = o.pivot_table(index=["s", "m"], columns="kind", values="value", aggfunc="last")
    for kind in ("pre", "post", "followup"):
        if kind not in wide.columns:
            wide[kind] = np.nan
    s = wide.index.get_level_values("s").to_numpy()
    out = []
    for diff in (wide["post"] - wide["pre"], wide["followup"] - wide["pre"]):
        ok = diff.notna().to_numpy()
        tot = _bincount(s[ok], snap.n_staff, diff.to_numpy()[ok])
        cnt = _bincount(s[ok], snap.n_staff)
        with np.errstate(invalid="ignore", divide="ignore"):
            out.append(np.where(cnt > 0, tot / cnt, np.nan))
    return out[0], out[1]


def learner_profiles(
    snap: Snapshot,
    window_policy: Policy | None = None,
    credits_policy: Policy | None = None,
    mastery: MasteryTable | None = None,
) -> pd.DataFrame:
    """One row per staff member (see the module docstring for the columns)."""
    from engine.policy import load_policy
    from features.compliance import credits_status

    window_policy = window_policy or load_policy("national-2025")
    credits_policy = credits_policy or load_policy("credits")
    mastery = mastery or skill_mastery(snap)
    n = snap.n_staff
    as_of = snap.as_of.to_datetime64()
    start = np.datetime64(window_policy.start, "D")
    end = np.datetime64(window_policy.end, "D")
    p = snap.part
    done = snap.done()
    s = done["s"].to_numpy()
    c = done["completed_on"].to_numpy()
    hrs = done["hours"].to_numpy(float)
    off = done["offline"].to_numpy(float)
    in_win = (c >= start) & (c <= end)
    out = pd.DataFrame(
        {
            "staff_id": snap.staff["staff_id"].to_numpy(),
            "org_id": snap.staff["org_id"].to_numpy(),
            "role": snap.staff["role"].to_numpy(),
            "employed": snap.employed,
        }
    )
    out["person_times"] = _bincount(s[in_win], n).astype(int)
    out["person_times_offline"] = _bincount(s[in_win], n, off[in_win]).astype(int)
    out["person_times_online"] = out["person_times"] - out["person_times_offline"]
    out["hours_window"] = np.round(_bincount(s[in_win], n, hrs[in_win]), 2)
    recent = c > as_of - 365 * DAY
    out["hours_12m"] = np.round(_bincount(s[recent], n, hrs[recent]), 2)
    years = pd.DatetimeIndex(c).year.to_numpy()
    for y in window_policy.years:
        if np.datetime64(f"{y}-01-01") > as_of:  # not begun on the date: not reported
            continue
        sel = in_win & (years == y)
        out[f"hours_{y}"] = np.round(_bincount(s[sel], n, hrs[sel]), 2)
    credits = credits_status(snap, credits_policy)
    out["credits_window"] = credits["cycle_done"].to_numpy()
    out["credits_available"] = credits["done"].to_numpy()
    last = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    if len(s):
        order = np.argsort(c, kind="stable")
        last[s[order]] = c[order]  # later dates overwrite earlier ones
    days = (as_of - last) / DAY
    out["days_since_last"] = pd.array(np.where(np.isnat(last), np.nan, days)).astype("Int64")
    tenure = (as_of - snap.staff["hired_on"].to_numpy()) / DAY
    out["long_untrained"] = out["employed"] & (tenure >= 365) & ~(days < 365)
    code = p["status"].cat.codes.to_numpy()
    ps = p["s"].to_numpy()
    out["enrolments"] = _bincount(ps, n).astype(int)
    for col, name in (("completions", "completed"), ("drops", "dropped"), ("no_shows", "no_show")):
        out[col] = _bincount(ps[code == PARTICIPATION_STATUSES.index(name)], n).astype(int)
    resolved = out["completions"] + out["drops"] + out["no_shows"]
    out["completion_rate"] = np.round(out["completions"] / resolved.where(resolved > 0), 4)
    mean, slope, cnt = _score_stats(snap)
    out["score_mean"] = np.round(mean, 2)
    out["score_trend"] = np.round(slope, 2)
    out["n_scores"] = cnt.astype(int)
    req = required_skills(snap)
    m, ev = mastery.lookup(req["s"].to_numpy(), req["k"].to_numpy())
    covered = (m >= req["level"].to_numpy()) & (ev >= MIN_EVIDENCE)
    rs = req["s"].to_numpy()
    n_req = _bincount(rs, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["mastery_required"] = np.round(
            np.where(n_req > 0, _bincount(rs, n, m) / n_req, np.nan), 4
        )
        out["required_coverage"] = np.round(
            np.where(n_req > 0, _bincount(rs, n, covered.astype(float)) / n_req, np.nan), 4
        )
    out["required_skills"] = n_req.astype(int)
    out["required_assessed"] = _bincount(rs, n, (ev > 0).astype(float)).astype(int)
    gain, follow = _gains(snap)
    out["gain_post_pre"] = np.round(gain, 2)
    out["gain_followup"] = np.round(follow, 2)
    sat = snap.outcomes[(snap.outcomes["kind"] == "satisfaction").to_numpy()]
    n_sat = _bincount(sat["s"].to_numpy(), n)
    with np.errstate(invalid="ignore", divide="ignore"):
        total = _bincount(sat["s"].to_numpy(), n, sat["value"].to_numpy(float))
        out["satisfaction_mean"] = np.round(np.where(n_sat > 0, total / n_sat, np.nan), 2)
    return out
