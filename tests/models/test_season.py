"""Calendar intensity (models.risk.season) and the seasonal history rates of StaffRisk."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.policy import load_policy
from features.snapshot import snapshot
from models.risk.features import features
from models.risk.season import Season, season_profile
from tests.models.test_risk import END, START, synthetic_world

#: a year-end rush: December three times as busy as August
PROFILE = np.array([0.5, 0.5, 0.7, 0.8, 0.8, 0.7, 0.6, 0.6, 0.9, 1.3, 1.8, 2.8])
PROFILE = PROFILE / PROFILE.mean()


def seasonal_world(n: int = 700, seed: int = 1) -> tuple[dict[str, pd.DataFrame], np.ndarray]:
    """synthetic_world's people and counts, each completion dated by the calendar
    intensity PROFILE instead of uniformly."""
    tables, rate = synthetic_world(n, seed)
    rng = np.random.default_rng(seed + 100)
    days = pd.date_range(START, END, freq="D")
    w = PROFILE[days.month - 1]
    p = tables["participations"]
    when = days[rng.choice(len(days), len(p), p=w / w.sum())]
    p = p.assign(completed_on=when, enrolled_on=when)  # the record starts with 2025
    return {**tables, "participations": p}, rate


dates = st.dates(
    min_value=pd.Timestamp("2020-01-01").date(), max_value=pd.Timestamp("2030-12-31").date()
)
profiles = st.lists(st.floats(0.2, 5.0), min_size=12, max_size=12).map(np.array)


@settings(max_examples=60, deadline=None)
@given(profiles, dates, dates, dates)
def test_seasonal_days_add_up_and_a_flat_season_counts_plain_days(prof, a, b, c) -> None:
    a, b, c = sorted(np.datetime64(x) for x in (a, b, c))
    s = Season(prof / prof.mean())
    ab, bc, ac = (float(s.exposure(x, y)) for x, y in ((a, b), (b, c), (a, c)))
    assert ab >= 0 and bc >= 0
    assert abs(ab + bc - ac) < 1e-6 * max(ac, 1)
    assert float(s.exposure(c, a)) == 0.0  # a span that ends before it starts is empty
    assert float(Season.flat().exposure(a, c)) == (c - a).astype(int)
    # a whole year weighs what a year does, whatever the season (within month lengths)
    year = float(s.exposure(np.datetime64("2025-01-01"), np.datetime64("2026-01-01")))
    assert 365 * min(prof / prof.mean()) <= year and abs(year - 365) < 365 * 0.12
    assert np.isnan(s.exposure(np.datetime64("NaT"), a))


def _completions(profile: np.ndarray, staff: np.ndarray, seed: int = 0):  # noqa: ANN202
    """Completions per day ∝ profile[month] × staff employed that month (per capita)."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2024-01-01", "2025-12-31", freq="D")
    lam = profile[days.month - 1] * staff[(days.year - 2024) * 12 + days.month - 1] * 0.05
    k = rng.poisson(lam)
    return np.repeat(days.to_numpy(), k), np.ones(int(k.sum()))


def _employment(staff: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hire dates giving ``staff[m]`` people employed in month m (never leaving)."""
    starts = pd.date_range("2024-01-01", periods=len(staff), freq="MS").to_numpy()
    hires = np.repeat(starts, np.diff(np.concatenate([[0], staff]).astype(int)))
    return hires, np.full(len(hires), np.datetime64("NaT"), "datetime64[ns]")


def _estimate(
    profile: np.ndarray,
    staff: np.ndarray,
    until: str = "2025-12-31",
    n: int | None = None,
    seed: int = 0,
) -> Season:  # noqa: E501
    """The season estimated from planted completions (the first ``n`` of them)."""
    when, units = _completions(profile, staff, seed)
    hired, left = _employment(staff)
    first, last = pd.Timestamp("2024-01-01"), pd.Timestamp(until)
    return season_profile(when[:n], units[:n], hired, left, first, last)


def test_profile_recovers_a_planted_calendar_per_person_employed() -> None:
    s = _estimate(PROFILE, np.full(24, 400))
    assert np.allclose(s.month, PROFILE, rtol=0.12), np.round(s.month, 2)
    # a workforce that triples over two years at a flat per-person rate has no season
    s = _estimate(np.ones(12), np.linspace(200, 600, 24).astype(int), seed=1)
    assert np.allclose(s.month, 1.0, atol=0.12), np.round(s.month, 2)


def test_too_little_record_means_no_season() -> None:
    # eleven whole months: a month of the year never seen
    assert _estimate(PROFILE, np.full(24, 400), until="2024-12-30").is_flat
    # too few completions to tell a season from noise
    assert _estimate(PROFILE, np.full(24, 400), n=300).is_flat


def test_half_a_year_of_quiet_months_is_not_read_as_a_low_rate() -> None:
    """Six months of history in the quiet season: without the season a steady person's
    rate reads about 35 % low; with it, about right."""
    tables, rate = seasonal_world()
    t = pd.Timestamp("2025-06-30")
    snap = snapshot(tables, t)
    policy = load_policy("national-2025")
    idx = snap.staff["staff_id"].str[1:].astype(int).to_numpy()
    plain = features(snap, policy)["rate_all"].to_numpy()
    adjusted = features(snap, policy, season=Season(PROFILE))["rate_all"].to_numpy()
    ratio = lambda r: r.sum() / rate[idx].sum()  # noqa: E731
    assert ratio(plain) < 0.75
    assert abs(ratio(adjusted) - 1) < 0.1, ratio(adjusted)
    # colleagues' rates follow the same calendar
    org_plain = features(snap, policy)["org_rate"].mean()
    org_adj = features(snap, policy, season=Season(PROFILE))["org_rate"].mean()
    assert org_adj > org_plain * 1.25
