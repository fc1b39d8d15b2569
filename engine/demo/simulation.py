"""``Simulation``: the mutable state of the month-by-month draw (persons × modules
weights, group sums, prerequisites and sequence boosts, scheduled events) and the
draws and enrolments that change it."""

from __future__ import annotations

import numpy as np

from engine.demo.choice import ChoiceModel, csr, expand, pick_rows
from engine.demo.months import DAY, class_dates, month_index, months_of
from engine.demo.population import Population
from engine.demo.rates import Rates, person_targets
from engine.demo.scenario import Scenario


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
        self.T = model.groups_per_pool  # groups per pool
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
