"""Month-by-month simulation of enrolments under the choice model (``engine.demo.choice``).

Each month ``t``, for every employed person: ``Poisson`` numbers of online and offline draws
(rate × employed days × season × target seeking), each draw one module from the choice model
given the person's state; then units' call-ups (each employed staff member of the unit is
sent with probability ``p_send`` to the call-up's offline module, unless already enrolled in
it).  Completion is decided at enrolment (Bernoulli, ``rates``), dated by the module's mode
(online: enrolment + geometric days; offline/blended/live: the class scheduled the next month
for that module), and enters the state from the month after it happens.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit
from tqdm.auto import tqdm

from engine.demo.choice import ChoiceModel, csr, draw_rows, expand, pick_rows
from engine.demo.effects import Effects
from engine.demo.population import Population
from engine.demo.scenario import Scenario
from engine.schema import ROLES

DAY = np.timedelta64(1, "D")
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
class Months:
    first: np.ndarray  # datetime64[D] first day (clipped to the window)
    last: np.ndarray
    year: np.ndarray  # calendar year
    year_index: np.ndarray  # 0 for the window's first year
    month: np.ndarray  # 1..12


def months_of(start: np.datetime64, end: np.datetime64) -> Months:
    m0 = start.astype("datetime64[M]")
    m1 = end.astype("datetime64[M]")
    ms = np.arange(m0, m1 + 1)
    first = np.maximum(ms.astype("datetime64[D]"), start)
    last = np.minimum((ms + 1).astype("datetime64[D]") - 1, end)
    year = ms.astype("datetime64[Y]").astype(int) + 1970
    return Months(first, last, year, year - year[0], ms.astype(int) % 12 + 1)


def month_index(days: np.ndarray, start: np.datetime64) -> np.ndarray:
    """Months since the window's first month (dates as datetime64[D])."""
    return (days.astype("datetime64[M]") - start.astype("datetime64[M]")).astype(np.int64)


def employed_days(
    hired: np.ndarray, left: np.ndarray, a: np.datetime64, b: np.datetime64
) -> np.ndarray:
    e0, e1 = np.maximum(hired, a), np.minimum(left, b)
    return np.clip((e1 - e0) / DAY + 1, 0, None).astype(float)


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


def class_period(t: np.ndarray, every: int) -> np.ndarray:
    return np.asarray(t) // every


def class_dates(
    model: ChoiceModel, m: np.ndarray, t: np.ndarray, mo: Months, seed: int, every: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Start and end of the class of module ``m`` chosen in month ``t``: held in the month
    after the ``every``-month period of ``t``."""
    period = class_period(np.asarray(t, dtype=np.int64), every)
    m = np.asarray(m, dtype=np.int64)
    h = (m * 7919 + period * 104729 + seed * 31) % 9973
    nxt = (mo.first[0].astype("datetime64[M]") + (period + 1) * every).astype("datetime64[D]")
    live = model.mode[m] == "live"
    s0 = nxt + np.where(live, h % 14, h % 20) * DAY
    days = np.where(live, 1, np.ceil(model.hours[m] / 8.0).astype(int))
    return s0, s0 + (days - 1) * DAY


class Simulation:
    """Mutable state of the month-by-month draw (persons × modules matrices)."""

    def __init__(
        self,
        rng: np.random.Generator,
        pop: Population,
        model: ChoiceModel,
        sc: Scenario,
        rates: Rates,
        theta: np.ndarray,
        start: np.datetime64,
        end: np.datetime64,
        seed: int,
    ) -> None:
        self.rng, self.pop, self.model, self.sc, self.rates = rng, pop, model, sc, rates
        self.start, self.end, self.seed = start, end, seed
        self.theta = theta  # persons × years × T
        self.mo = months_of(start, end)
        n, M = len(pop.staff), len(model.module_ids)
        self.T = model.n_topics
        self.gs, self.ge = model.group_start, model.group_end
        self.gmax = max(int((self.ge - self.gs).max()), 1)
        self.taken = np.zeros((n, M), dtype=bool)
        self.cnt = np.zeros((n, M), dtype=np.uint8)
        self.unmet = np.repeat(model.n_prereq[None, :], n, axis=0)
        # one extra column that stays 0: group windows point their padding at it
        self.M, self.Mp = M, M + 1
        self._scheduled = model.mode != "online"
        self._has_prereq = model.n_prereq > 0
        self.W = np.zeros((n, M + 1), dtype=np.float32)
        span = np.arange(self.gmax)
        self._gidx = np.where(span < (self.ge - self.gs)[:, None], self.gs[:, None] + span, M)
        self.S = np.zeros((n, 2 * self.T), dtype=np.float32)
        # flat views: 1-d takes are much faster than 2-d fancy indexing
        self._Wf, self._Sf = self.W.reshape(-1), self.S.reshape(-1)
        self._taken_f, self._cnt_f = self.taken.reshape(-1), self.cnt.reshape(-1)
        self._unmet_f = self.unmet.reshape(-1)
        self.succ = csr(model.successors)
        self.dep = csr(model.dependents)
        self.events: dict[int, list[tuple[np.ndarray, ...]]] = {}
        self.credit: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {}
        self.ytd = np.zeros(n)
        self.target = person_targets(pop, sc)
        self.rows: list[dict[str, np.ndarray]] = []
        self.months: list[dict[str, np.ndarray]] = []
        self.t = 0
        self.theta_y = np.ascontiguousarray(theta[:, 0])
        self._recompute(0)

    def _recompute(self, t: int, cols: np.ndarray | None = None) -> None:
        """W of month ``t`` from the state — every module, or only ``cols`` — and the
        group sums (in blocks of people)."""
        model, M = self.model, self.M
        member = self._member()
        for a in range(0, len(self.W), 16384):
            b = min(len(self.W), a + 16384)
            if cols is None:
                u = model.utility(self.theta_y[a:b])
                self.W[a:b, :M] = model.weights(
                    u,
                    np.arange(M)[None, :],
                    t,
                    self.taken[a:b],
                    self.cnt[a:b] > 0,
                    self.unmet[a:b] > 0,
                )
                np.matmul(self.W[a:b], member, out=self.S[a:b])
                continue
            old = self.W[a:b, cols]
            u = np.exp(
                self.theta_y[a:b].astype(np.float32) @ model.tau[cols].T.astype(np.float32)
                + model.appeal[cols].astype(np.float32)
            )
            new = model.weights(
                u,
                cols[None, :],
                t,
                self.taken[a:b, cols],
                self.cnt[a:b, cols] > 0,
                self.unmet[a:b, cols] > 0,
            )
            self.W[a:b, cols] = new
            self.S[a:b] += (new - old) @ member[cols]
        np.maximum(self.S, 0.0, out=self.S)

    def new_month(self, t: int, yi: int, new_year: bool) -> None:
        """Move the state to month ``t``: a new year's interests (everything recomputed) or
        the modules whose availability changed."""
        self.t = t
        if new_year:
            self.theta_y = np.ascontiguousarray(self.theta[:, yi])
            self._recompute(t)
            self.ytd[:] = 0.0
            return
        av = self.model.avail
        changed = np.flatnonzero(av[:, t] != av[:, t - 1]) if t else np.zeros(0, np.int64)
        if len(changed):
            self._recompute(t, changed)

    def release(self) -> None:
        """Drop the persons × modules state (and its flat views) once the window is done."""
        for name in ("W", "S", "taken", "cnt", "unmet", "theta_y", "_Wf", "_Sf", "_taken_f"):
            setattr(self, name, None)
        self._cnt_f = self._unmet_f = None

    def close_month(self) -> None:
        """The month's enrolments, sorted by date, staff, module (all enrolment dates fall in
        the month, so months concatenated in order are sorted too)."""
        if not self.rows:
            return
        month = {k: np.concatenate([r[k] for r in self.rows]) for k in self.rows[0]}
        self.rows = []
        day = (month["enrolled_on"] - self.start).astype(np.int64)
        key = (day << 42) | (month["staff"].astype(np.int64) << 16) | month["module"]
        order = np.argsort(key)  # (date, staff, module) are unique: no repeats
        self.months.append({k: v[order] for k, v in month.items()})

    def _member(self) -> np.ndarray:
        """(M + 1) × groups indicator: W @ it gives every group sum (one BLAS call)."""
        member = np.zeros((self.Mp, 2 * self.T), dtype=np.float32)
        member[np.arange(self.M), self.model.group] = 1.0
        return member

    def _window(self, i: np.ndarray, g: np.ndarray) -> np.ndarray:
        """W of the modules of group ``g`` for each person ``i`` (``gmax`` wide, padded with
        the zero column)."""
        flat = self._gidx.take(g, axis=0)
        flat += (i.astype(np.int64) * self.Mp)[:, None]
        return self._Wf.take(flat)

    def _refresh(self, i: np.ndarray, m: np.ndarray) -> None:
        """Recompute W[i, m] and the sums of the groups they belong to.  Pairs may repeat:
        both are recomputed from the current state, so a repeat writes the same value."""
        G = 2 * self.T
        i64 = i.astype(np.int64)
        f = i64 * self.M + m
        u = self.model.utility(self.theta_y[i64], m)
        self._Wf[i64 * self.Mp + m] = self.model.weights(
            u, m, self.t, self._taken_f[f], self._cnt_f[f] > 0, self._unmet_f[f] > 0
        )
        g = self.model.group[m]
        self._Sf[i64 * G + g] = self._window(i, g).sum(axis=1)

    def apply_events(self, t: int) -> None:
        for i, h in self.credit.pop(t, []):
            np.add.at(self.ytd, i, h)
        ev = self.events.pop(t, [])
        if not ev:
            return
        i = np.concatenate([e[0] for e in ev])
        m = np.concatenate([e[1] for e in ev])
        dc = np.concatenate([e[2] for e in ev])
        du = np.concatenate([e[3] for e in ev])
        f = i.astype(np.int64) * self.M + m
        inc, dec = dc > 0, dc < 0
        # ufunc.at takes its fast path only with values of the array's own dtype
        one = np.ones(len(f), dtype=np.uint8)
        np.add.at(self._cnt_f, f[inc], one[inc])
        np.subtract.at(self._cnt_f, f[dec], one[dec])
        np.subtract.at(self._unmet_f, f[du > 0], one[du > 0])
        self._refresh(i, m)

    def draw(self, t: int, persons: np.ndarray, pool: np.ndarray) -> None:
        """One draw for each person (``pool`` 0 online / 1 offline)."""
        K = self.T
        e = self.S.reshape(-1, K).take(persons.astype(np.int64) * 2 + pool, axis=0)
        k, ok = pick_rows(self.rng, e)
        if not ok.all():
            persons, pool, k = persons[ok], pool[ok], k[ok]
        if not len(persons):
            return
        g = pool * K + k
        j, good = pick_rows(self.rng, self._window(persons, g))
        persons = persons[good]
        m = self._gidx[g[good], j[good]]
        self.take(t, persons, m, callup=False)

    def take(self, t: int, persons: np.ndarray, m: np.ndarray, callup: bool) -> None:
        mo, model, pop = self.mo, self.model, self.pop
        f = persons.astype(np.int64) * self.M + m
        self._taken_f[f] = True
        self._refresh(persons, m)
        a = np.maximum(pop.hired[persons], mo.first[t])
        b = np.minimum(pop.left[persons], mo.last[t])
        width = np.maximum((b - a) / DAY + 1, 1).astype(int)
        enrolled = a + (self.rng.random(len(persons)) * width).astype(int) * DAY
        scheduled = self._scheduled[m]
        s0, s1 = class_dates(model, m, np.full(len(m), t), mo, self.seed, self.sc.class_every)
        online_done = enrolled + self.rng.geometric(self.sc.online_days_p, len(m)) * DAY
        done_on = np.where(scheduled, s1, online_done)
        yi = mo.year_index[t]
        pc = self.rates.p_complete[persons, yi, model.pool[m]]
        success = self.rng.random(len(m)) < pc
        gone = done_on > pop.left[persons]
        completes = success & ~gone
        self.rows.append(
            {
                "staff": persons.astype(np.int32),
                "module": m.astype(np.int32),
                "t": np.full(len(m), t, dtype=np.int16),
                "enrolled_on": enrolled,
                "done_on": done_on,
                "success": success,
                "gone": gone,
                "callup": np.full(len(m), callup),
                # all prerequisites completed before the month of enrolment
                "prereq_met": self._has_prereq[m] & (self._unmet_f[f] == 0),
            }
        )
        cm = month_index(done_on, self.start)
        c = completes & (cm + 1 < len(mo.first))
        if not c.any():
            return
        i, m, cm = persons[c], m[c], cm[c]
        same_year = mo.year[np.minimum(cm + 1, len(mo.year) - 1)] == mo.year[cm]
        for month in np.unique(cm[same_year]):
            sel = same_year & (cm == month)
            self.credit.setdefault(int(month) + 1, []).append((i[sel], model.hours[m[sel]]))
        pos, s = expand(*self.succ, m)
        on, off = cm[pos] + 1, cm[pos] + 1 + model.fx.seq_months
        pos_d, d = expand(*self.dep, m)
        self._schedule(i[pos], s, on, 1, 0)
        self._schedule(i[pos], s, off, -1, 0)
        self._schedule(i[pos_d], d, cm[pos_d] + 1, 0, 1)

    def _schedule(self, i: np.ndarray, m: np.ndarray, when: np.ndarray, dc: int, du: int) -> None:
        keep = when < len(self.mo.first)
        i, m, when = i[keep], m[keep], when[keep]
        for month in np.unique(when):
            sel = when == month
            n = int(sel.sum())
            self.events.setdefault(int(month), []).append(
                (i[sel], m[sel], np.full(n, dc, np.int8), np.full(n, du, np.int8))
            )


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
    for t in tqdm(range(len(mo.first)), desc="months", disable=not progress, unit="month"):
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
