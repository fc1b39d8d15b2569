"""Month-by-month simulation of enrolments under the choice model (``engine.demo.choice``).

Each month ``t``, for every employed person: ``Poisson`` numbers of online and offline draws
(rate × employed days × season × target seeking), each draw one module from the choice model
given the person's state; then units' call-ups (each employed staff member of the unit is
sent with probability ``p_send`` to the call-up's offline module, unless already enrolled in
it).  Completion is decided at enrolment (Bernoulli, ``rates``), dated by the module's mode
(online: enrolment + geometric days; offline/blended/live: the class scheduled the next month
for that module), and enters the state from the month after it happens.

Modules: ``engine.demo.months`` (the calendar and class dates), ``engine.demo.rates``
(enrolment and call-up rates, target seeking), ``engine.demo.simulation`` (the state of
the draw); here the month loop and the call-ups.  The names this module held before
the split are re-exported here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from engine.demo.choice import ChoiceModel, csr, draw_rows, expand
from engine.demo.effects import Effects
from engine.demo.months import (
    DAY,
    Months,
    class_dates,
    class_period,
    employed_days,
    month_index,
    months_of,
)
from engine.demo.population import Population
from engine.demo.rates import (
    LOSS_ALLOWANCE,
    NATIONAL_ORGS,
    ROLE_RATE,
    Rates,
    build_rates,
    person_targets,
    target_multiplier,
)
from engine.demo.scenario import Scenario
from engine.demo.simulation import Simulation
from engine.progress import words as bar_words

__all__ = [
    "DAY",
    "LOSS_ALLOWANCE",
    "NATIONAL_ORGS",
    "ROLE_RATE",
    "Months",
    "Rates",
    "Simulation",
    "build_rates",
    "class_dates",
    "class_period",
    "employed_days",
    "month_index",
    "months_of",
    "person_targets",
    "simulate",
    "target_multiplier",
]


def simulate(
    rng: np.random.Generator,
    pop: Population,
    model: ChoiceModel,
    sc: Scenario,
    fx: Effects,
    theta: np.ndarray,
    start: np.datetime64,
    end: np.datetime64,
    seed: int,
    org_mu: np.ndarray,
    progress: bool = False,
) -> tuple[dict[str, np.ndarray], Rates, pd.DataFrame]:
    """All enrolments (columns; internal module indices), sorted by enrolment date, staff
    and module; the rates and the call-ups."""
    rates = build_rates(pop, model, sc, fx, start, end)
    sim = Simulation(rng, pop, model, sc, rates, theta, start, end, seed)
    mo = sim.mo
    callups = _callups(rng, pop, model, sc, fx, rates, mo, org_mu)
    by_month = callups.groupby("t").indices if len(callups) else {}
    members = [np.zeros(0, np.int64)] * len(pop.orgs)
    for o, idx in pd.Series(np.arange(len(pop.staff))).groupby(pop.org_of).indices.items():
        members[int(o)] = idx
    org_ptr, org_members = csr(members)
    offline = model.pool == 1
    for t in tqdm(
        range(len(mo.first)), desc=bar_words("months"), disable=not progress, unit="month"
    ):
        if t:
            sim.new_month(t, int(mo.year_index[t]), mo.year_index[t] != mo.year_index[t - 1])
        sim.apply_events(t)
        yi = int(mo.year_index[t])
        days = employed_days(pop.hired, pop.left, mo.first[t], mo.last[t])
        season = sc.season[int(mo.month[t]) - 1]
        mult = target_multiplier(sc, sim.ytd, sim.target, int(mo.month[t]))
        n_on = rng.poisson(rates.lam[:, yi, 0] * days * season * mult)
        n_off = rng.poisson(rates.lam[:, yi, 1] * days * season)
        total = n_on + n_off
        for r in range(int(total.max(initial=0))):
            who = np.flatnonzero(total > r)
            sim.draw(t, who, (r < n_off[who]).astype(int))
        rows = by_month.get(t)
        if rows is not None and len(rows):
            org = callups["org"].to_numpy()[rows]
            mod = callups["module"].to_numpy()[rows]
            pos, member = expand(org_ptr, org_members, org)
            m = mod[pos]
            key = np.unique(member.astype(np.int64) * len(model.module_ids) + m)
            member, m = key // len(model.module_ids), key % len(model.module_ids)
            ok = (days[member] > 0) & ~sim.taken[member, m] & offline[m]
            ok &= rng.random(len(member)) < sc.p_send
            if ok.any():
                sim.take(t, member[ok], m[ok], callup=True)
        sim.close_month()
    sim.release()
    keys = list(sim.months[0]) if sim.months else []
    rows = {}
    for k in keys:
        rows[k] = np.concatenate([r.pop(k) for r in sim.months])
    del sim
    return rows, rates, callups


def _callups(
    rng: np.random.Generator,
    pop: Population,
    model: ChoiceModel,
    sc: Scenario,
    fx: Effects,
    rates: Rates,
    mo: Months,
    org_mu: np.ndarray,
) -> pd.DataFrame:
    """Each unit's call-ups: (org, month, offline module), the module drawn among the offline
    modules without prerequisites offered that month with weights exp(μ_type · τ_m + a_m) (the interest mean of the
    unit's organization type, ``engine.demo.choice``)."""
    frames = []
    offline = np.flatnonzero((model.pool == 1) & (model.n_prereq == 0))
    org_type = pop.org_type_index
    appeal = model.appeal[offline]
    for yi in range(rates.callup.shape[1]):
        n = rng.poisson(rates.callup[:, yi])
        org = np.repeat(np.arange(len(n)), n)
        if not len(org):
            continue
        months = np.flatnonzero(mo.year_index == yi)
        t = rng.choice(months, size=len(org))
        w = np.exp(org_mu[org_type[org]] @ model.tau[offline].T + appeal[None, :])
        w *= model.avail[offline][:, t].T
        ok = w.sum(axis=1) > 0
        m = offline[draw_rows(rng, w[ok])]
        frames.append(pd.DataFrame({"org": org[ok], "t": t[ok], "module": m}))
    if not frames:
        return pd.DataFrame({"org": [], "t": [], "module": []}, dtype=np.int64)
    return pd.concat(frames, ignore_index=True).sort_values(["t", "org"]).reset_index(drop=True)
