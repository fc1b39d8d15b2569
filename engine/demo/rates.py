"""Enrolment rates of the simulation: per person and year, draws per employed day and
completion probability (scaled to the scenario's yearly targets), units' call-up rates,
and the online-rate multiplier of target seeking."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from engine.demo.choice import ChoiceModel
from engine.demo.effects import Effects
from engine.demo.months import DAY, employed_days, months_of
from engine.demo.population import Population
from engine.demo.scenario import Scenario
from engine.schema import ROLES

NATIONAL_ORGS = 2300
#: Allowance for enrolments lost to leavers and classes past the window's end.
LOSS_ALLOWANCE = 1.03
#: log enrolment-rate shift by primary role (demand-oriented: specialists train more)
ROLE_RATE = {
    "head": 0.1,
    "branch_manager": 0.0,
    "spokesperson": -0.2,
    "supervisor": 0.2,
    "project_manager": 0.3,
    "finance": 0.3,
    "membership": 0.2,
    "hr": 0.2,
    "party_worker": 0.1,
    "other": -0.6,
}


@dataclass
class Rates:
    """Per person and window year: draws per employed day and completion probability."""

    lam: np.ndarray  # persons × years × 2 (pool)
    p_complete: np.ndarray  # persons × years × 2
    callup: np.ndarray  # orgs × years: call-ups a year


def build_rates(
    pop: Population, model: ChoiceModel, sc: Scenario, fx: Effects, start, end
) -> Rates:  # noqa: ANN001
    n, years = len(pop.staff), sorted(set(months_of(start, end).year))
    hired, left = pop.hired, pop.left
    culture = pop.culture[pop.org_of]
    role_rate = sc.role_rate_scale * np.array([ROLE_RATE[r] for r in ROLES])[pop.primary_role]
    lam = np.zeros((n, len(years), 2))
    pc = np.zeros((n, len(years), 2))
    callup = np.zeros((len(pop.orgs), len(years)))
    scale = len(pop.orgs) / NATIONAL_ORGS
    for yi, y in enumerate(years):
        y0 = max(start, np.datetime64(f"{y}-01-01"))
        y1 = min(end, np.datetime64(f"{y}-12-31"))
        span = float((y1 - y0) / DAY + 1)
        emp = employed_days(hired, left, y0, y1)
        for p, target in ((0, sc.online_per_year), (1, sc.offline_per_year)):
            access = pop.access[pop.org_of] if p == 1 else 0.0
            rate = np.exp(culture + pop.diligence + role_rate + access)
            pc[:, yi, p] = expit(sc.complete_logit[p] + 0.8 * culture + pop.diligence)
            if sc.per_person:
                lam[:, yi, p] = target / 365.0 * rate
                continue
            share = 1.0 - fx.callup_share if p == 1 else 1.0
            want = target * scale * span / 365.0 * LOSS_ALLOWANCE * share
            lam[:, yi, p] = rate * want / max(float((rate * pc[:, yi, p] * emp).sum()), 1e-9)
        org_rate = np.exp(pop.culture + pop.access)  # far regions send fewer to classes
        if sc.per_person:
            callup[:, yi] = sc.callups_per_org * (fx.callup_share / 0.35) * org_rate * span / 365
        elif fx.callup_share > 0:
            want = sc.offline_per_year * scale * span / 365.0 * LOSS_ALLOWANCE * fx.callup_share
            per_org = np.bincount(
                pop.org_of, weights=emp / span * pc[:, yi, 1], minlength=len(pop.orgs)
            )
            callup[:, yi] = (
                org_rate * want / max(float((org_rate * sc.p_send * per_org).sum()), 1e-9)
            )
    return Rates(lam, pc, callup)


def target_multiplier(sc: Scenario, ytd: np.ndarray, target: np.ndarray, month: int) -> np.ndarray:
    """Online-rate multiplier of target seeking (1 where the scenario has none)."""
    if sc.target_hours <= 0:
        return np.ones_like(ytd)
    mult = np.where(ytd >= target, sc.after_target, 1.0)
    if month >= sc.catch_up_from:
        mult = np.where(ytd < target, sc.catch_up, mult)
    return mult


def person_targets(pop: Population, sc: Scenario) -> np.ndarray:
    leader = pop.primary_role == ROLES.index("head")
    return np.where(leader, sc.leader_target_hours, sc.target_hours)
