"""The oracle recommender: each person's true probability of choosing each module next,
evaluated with the generator's own arithmetic (``engine.demo.choice``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.demo.choice import csr, expand


class ChoiceOracle:
    """``Truth.choice_probabilities`` and the person state it starts from (mixed into
    ``engine.demo.truth.Truth``, whose frames, model and rates it reads)."""

    # ---- oracle recommender ---------------------------------------------------------------
    def choice_probabilities(
        self,
        participations: pd.DataFrame,
        as_of: object,
        staff_ids: object = None,
    ) -> pd.DataFrame:
        """Each person's true probability that their next chosen module is ``module_id``,
        given their history in ``participations`` up to and including ``as_of``: columns
        ``staff_id, module_id, p``; ``p`` sums to 1 per person over the admissible modules
        (not enrolled in before; modules with unmet prerequisites are admissible with the
        odds factor ``prereq_skip``); only p > 0 rows."""
        model, fx = self.model, self.effects
        as_of = np.datetime64(pd.Timestamp(as_of).date(), "D")
        t = self._month(as_of + 1)
        years = self._years()
        y = int(np.clip(int(str((as_of + 1).astype("datetime64[Y]"))), years[0], years[-1]))
        yi = years.index(y)
        people = self.people
        if staff_ids is None:
            hired = pd.to_datetime(people["hired_on"]).to_numpy().astype("datetime64[D]")
            left = pd.to_datetime(people["left_on"]).to_numpy().astype("datetime64[D]")
            keep = (hired <= as_of) & (np.isnat(left) | (left > as_of))
            ids = people["staff_id"].to_numpy()[keep]
        else:
            ids = np.asarray(list(staff_ids), dtype=object)
        pidx = pd.Index(people["staff_id"]).get_indexer(ids)
        if (pidx < 0).any():
            raise KeyError(f"unknown staff_id {ids[pidx < 0][0]!r}")
        frames = []
        for a in range(0, len(ids), 20_000):
            frames.append(self._choice_chunk(participations, as_of, t, y, yi, pidx[a : a + 20_000]))
        if not frames:
            return pd.DataFrame({"staff_id": [], "module_id": [], "p": []})
        out = pd.concat(frames, ignore_index=True)
        del model, fx
        return out

    def _state(
        self, participations: pd.DataFrame, as_of: np.datetime64, t: int, pidx: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        model, L = self.model, self.effects.seq_months
        n, M = len(pidx), len(model.module_ids)
        people_ids = self.people["staff_id"].to_numpy()[pidx]
        p = participations
        en = pd.to_datetime(p["enrolled_on"]).to_numpy().astype("datetime64[D]")
        local = pd.Index(people_ids).get_indexer(p["staff_id"])
        mod = pd.Index(model.module_ids).get_indexer(p["module_id"])
        sel = (local >= 0) & (mod >= 0) & (en <= as_of)
        taken = np.zeros((n, M), dtype=bool)
        taken[local[sel], mod[sel]] = True
        comp = pd.to_datetime(p["completed_on"]).to_numpy().astype("datetime64[D]")
        done = sel & (p["status"].to_numpy() == "completed") & ~np.isnat(comp) & (comp <= as_of)
        i, m = local[done], mod[done]
        cm = (comp[done].astype("datetime64[M]") - self.start.astype("datetime64[M]")).astype(int)
        # the generator's state of month t sees completions of months < t
        before = cm < t
        i, m, cm = i[before], m[before], cm[before]
        unmet = np.repeat(model.n_prereq[None, :].astype(np.int16), n, axis=0)
        cnt = np.zeros((n, M), dtype=np.int16)
        pos, d = expand(*csr(model.dependents), m)
        np.subtract.at(unmet, (i[pos], d), 1)
        recent = (t - cm >= 1) & (t - cm <= L)
        pos, s = expand(*csr(model.successors), m[recent])
        np.add.at(cnt, (i[recent][pos], s), 1)
        hours_ytd = np.zeros(n)
        same_year = (cm >= 0) & (
            (self.start.astype("datetime64[M]") + cm).astype("datetime64[Y]")
            == (self.start.astype("datetime64[M]") + t).astype("datetime64[Y]")
        )
        np.add.at(hours_ytd, i[same_year], model.hours[m[same_year]])
        return taken, cnt > 0, unmet > 0, hours_ytd

    def _choice_chunk(
        self,
        participations: pd.DataFrame,
        as_of: np.datetime64,
        t: int,
        y: int,
        yi: int,
        pidx: np.ndarray,
    ) -> pd.DataFrame:
        model = self.model
        people = self.people.iloc[pidx]
        taken, boosted, unmet, ytd = self._state(participations, as_of, t, pidx)
        M = len(model.module_ids)
        u = model.utility(self.theta(pidx, y)).astype(float)
        util = model.weights(u, np.arange(M)[None, :], t, taken, boosted, unmet).astype(float)
        month_first = (self.start.astype("datetime64[M]") + t).astype("datetime64[D]")
        pools = np.zeros((len(pidx), 2))
        probs = np.zeros_like(util, dtype=float)
        lam = self._month_rates(pidx, t, y, ytd)
        for p in (0, 1):
            cols = model.pool == p
            z = util[:, cols].sum(axis=1)
            ok = z > 0
            pools[:, p] = np.where(ok, lam[:, p], 0.0)
            probs[:, cols] = np.where(ok[:, None], util[:, cols] / np.where(ok, z, 1)[:, None], 0)
        mass = probs * pools[:, [0]] * (model.pool == 0) + probs * pools[:, [1]] * (model.pool == 1)
        # call-ups of the person's unit in month t
        cu = self.callups
        if len(cu):
            month = str(np.datetime64(month_first, "M"))
            active = cu[cu["month"] == month]
            org_pos = pd.Index(people["org_id"])
            for org, mid in zip(active["org_id"], active["module_id"], strict=True):
                rows = np.flatnonzero(org_pos == org)
                m = int(pd.Index(model.module_ids).get_loc(mid))
                rows = rows[~taken[rows, m]]
                mass[rows, m] += self.params["p_send"]
        total = mass.sum(axis=1, keepdims=True)
        prob = np.divide(mass, total, out=np.zeros_like(mass), where=total > 0)
        i, m = np.nonzero(prob)
        return pd.DataFrame(
            {
                "staff_id": people["staff_id"].to_numpy()[i],
                "module_id": model.module_ids[m],
                "p": prob[i, m],
            }
        )
