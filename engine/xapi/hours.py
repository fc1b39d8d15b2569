"""Hour accounting (学时) for online study, from the policy's ``[online_hours]`` table.

A completed course counts the 学时 of the first step its duration reaches, e.g. the
Yunnan rule (DOMAIN.md, cadre network academies): ≥ 30 minutes → 1 学时, 15–30
minutes → 0.5, shorter (a micro-course) → 0.25.  ``yearly_cap`` bounds the online
学时 one person is credited in a calendar year: completions are counted in date order
and the one that crosses the cap is credited only what is left.
"""

from __future__ import annotations

from collections import defaultdict

from engine.policy import OnlineHours

__all__ = ["cap_yearly", "hours_for"]


def hours_for(minutes: float, rules: OnlineHours) -> float:
    """The 学时 a course of ``minutes`` counts."""
    for threshold, value in rules.steps:
        if minutes >= threshold:
            return float(value)
    return 0.0


def cap_yearly(parts: list[dict], cap: float | None) -> list[dict]:
    """``parts`` with the hours of completions beyond ``cap`` a person-year cut."""
    if cap is None:
        return parts
    used: dict[tuple[str, int], float] = defaultdict(float)
    done = sorted(
        (p for p in parts if p["completed_on"] is not None),
        key=lambda p: (p["completed_on"], p["participation_id"]),
    )
    for p in done:
        key = (p["staff_id"], p["completed_on"].year)
        credit = max(0.0, min(p["hours"], cap - used[key]))
        used[key] += credit
        p["hours"] = round(credit, 6)
    return parts
