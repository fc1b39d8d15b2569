"""Sizes of the latent effects the demo generator plants (see ``engine.demo``).

Every effect can be switched off by setting its size to 0, which is how the tests
prove each one is really there: a statistic that shows the effect in the default
data must vanish in data generated without it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Effects:
    #: sd of an organization's training culture (log enrolment rate, completion logit)
    culture_sd: float = 0.7
    #: culture shift per rating point above 3 (unrated = −0.5 points)
    rating_culture: float = 0.15
    #: multiplier on each region's log access to offline sessions (REGIONS table)
    region_access: float = 1.0
    #: sd of individual diligence (log enrolment rate, completion logit, score points / 4)
    diligence_sd: float = 0.6
    #: odds multiplier − 1 for choosing a module that teaches a skill the role requires
    role_focus: float = 4.0
    #: sd of a person's skill-specific mastery, in score points
    mastery_sd: float = 10.0
    #: score points for having completed all of a module's prerequisites beforehand
    prereq_bonus: float = 8.0
    #: mean self-assessed gain post − pre, and the extra for offline/blended training
    training_gain: float = 10.0
    offline_gain_extra: float = 5.0
    #: share of the gain still there at the one-year follow-up
    retention: float = 0.7
    #: sd of a module's latent quality, in satisfaction points
    quality_sd: float = 5.0
    #: measurement noise of an assessment score (points)
    score_noise: float = 6.0


NO_EFFECTS = Effects(
    culture_sd=0.0,
    rating_culture=0.0,
    region_access=0.0,
    diligence_sd=0.0,
    role_focus=0.0,
    mastery_sd=0.0,
    prereq_bonus=0.0,
    training_gain=0.0,
    offline_gain_extra=0.0,
    retention=0.0,
    quality_sd=0.0,
)
