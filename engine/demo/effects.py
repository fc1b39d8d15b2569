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
    # ---- choice structure (which module a person picks next; see ``engine.demo.choice``)
    #: sd of a person's latent interest in each topic (choice-logit points)
    interest_sd: float = 1.0
    #: year-to-year correlation of a person's interests (1 = fixed; they drift otherwise)
    interest_drift: float = 0.8
    #: interest shift (choice-logit points) on a topic all of whose linked skills the
    #: person's primary role requires (pro rata for a part of them)
    role_focus: float = 2.0
    #: the same for the skills a person's organization type emphasises
    org_emphasis: float = 1.2
    #: log odds boost of a successor (it lists a completed module as prerequisite, or it is
    #: the next part of the series) for ``seq_months`` months after that completion
    #: (0 in demo data III: the Hybrid reads predecessor recency directly)
    seq_boost: float = 0.0
    seq_months: int = 6
    #: odds multiplier of a module whose prerequisites are not all completed (1 = ignore them)
    prereq_skip: float = 0.005
    #: share of offline volume that comes from units sending several staff together to one
    #: session (名额分配调训); 0 = every offline enrolment is a personal choice
    callup_share: float = 0.35
    #: log uptake per sd of a module's latent quality (which also drives satisfaction)
    quality_uptake: float = 0.5
    # ---- catalogue views of the latent topics (``engine.demo.renewal``)
    #: probability that a title phrase comes from a random topic instead of the module's
    title_noise: float = 0.25
    #: probability that a module's skill is a random sub-skill instead of one its topic links
    skill_noise: float = 0.3


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
    interest_sd=0.0,
    interest_drift=1.0,
    seq_boost=0.0,
    prereq_skip=1.0,
    org_emphasis=0.0,
    callup_share=0.0,
    quality_uptake=0.0,
)
