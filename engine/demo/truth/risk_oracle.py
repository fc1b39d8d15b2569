"""The oracle of risk: expected completed person-times and hours in a window, from the
generator's rate process (``engine.demo.simulate``)."""

from __future__ import annotations

import numpy as np
import pandas as pd


class ActivityOracle:
    """``Truth.expected_activity`` (mixed into ``engine.demo.truth.Truth``, whose frames,
    model, rates and person state it reads)."""

    # ---- oracle of risk -------------------------------------------------------------------
    def expected_activity(
        self,
        staff_ids: object,
        start: object,
        end: object,
        participations: pd.DataFrame | None = None,
        n_sims: int = 200,
    ) -> pd.DataFrame:
        """Expected completed person-times and hours of enrolments made in [start, end) per
        person (employment, diligence, culture, season, call-ups, target seeking).  With
        target seeking (cadre), the mean of ``n_sims`` simulations of the generator's rate
        process, started at the beginning of ``start``'s year — or, when ``participations``
        is given, at ``start`` from the hours the person actually completed earlier that
        year.  Hours use each pool's catalogue-average hours (weighted by uptake)."""
        model = self.model
        ids = np.asarray(list(staff_ids), dtype=object)
        pidx = pd.Index(self.people["staff_id"]).get_indexer(ids)
        if (pidx < 0).any():
            raise KeyError(f"unknown staff_id {ids[pidx < 0][0]!r}")
        s = np.datetime64(pd.Timestamp(start).date(), "D")
        e = np.datetime64(pd.Timestamp(end).date(), "D")
        people = self.people.iloc[pidx]
        hired = pd.to_datetime(people["hired_on"]).to_numpy().astype("datetime64[D]")
        left = pd.to_datetime(people["left_on"]).to_numpy().astype("datetime64[D]")
        left = np.where(np.isnat(left), np.datetime64("2200-01-01"), left)
        targeted = self.params["target_hours"] > 0
        sims = n_sims if targeted else 1
        rng = np.random.default_rng(0)
        n = len(pidx)
        comp = np.zeros((n, sims))
        hours = np.zeros((n, sims))
        years = self._years()
        first_t = self._month(np.datetime64(f"{str(s)[:4]}-01-01")) if targeted else self._month(s)
        last_t = self._month(e - 1)
        ytd = np.zeros((n, sims))
        if targeted and participations is not None:
            first_t = self._month(s)
            ytd += self._state(participations, s - 1, first_t, pidx)[3][:, None]
        org_pos = pd.Index(people["org_id"])
        for t in range(max(first_t, 0), last_t + 1):
            a = (self.start.astype("datetime64[M]") + t).astype("datetime64[D]")
            b = (self.start.astype("datetime64[M]") + t + 1).astype("datetime64[D]") - 1
            if a > self.end:
                break
            y = int(str(a)[:4])
            if y not in years:
                continue
            if str(a)[5:7] == "01":
                ytd[:] = 0.0
            month = int(str(a)[5:7])
            season = self.params["season"][month - 1]
            r = self._rate_array(pidx, y)
            c = np.exp(model.appeal) * (model.avail[:, t] if t < model.avail.shape[1] else 1.0)
            mean_h = [
                float(np.average(model.hours[model.pool == p], weights=c[model.pool == p]))
                if c[model.pool == p].sum() > 0
                else 0.0
                for p in (0, 1)
            ]
            emp = np.clip(
                (np.minimum(left, b) - np.maximum(hired, a)) / np.timedelta64(1, "D") + 1, 0, None
            )
            inside = np.clip(
                (np.minimum(e - 1, b) - np.maximum(s, a)) / np.timedelta64(1, "D") + 1, 0, None
            ) / ((b - a) / np.timedelta64(1, "D") + 1)
            target = self._targets(pidx)[:, None]
            mult = np.ones_like(ytd)
            if targeted:
                mult = np.where(ytd >= target, self.params["after_target"], 1.0)
                if month >= self.params["catch_up_from"]:
                    mult = np.where(ytd < target, self.params["catch_up"], mult)
            lam_on = (r[:, 0] * emp * season)[:, None] * mult
            lam_off = (r[:, 1] * emp * season)[:, None] * np.ones_like(ytd)
            cu = self.callups[self.callups["month"] == str(np.datetime64(a, "M"))]
            extra_n = np.zeros(n)
            extra_h = np.zeros(n)
            for org, mid in zip(cu["org_id"], cu["module_id"], strict=True):
                rows = np.flatnonzero(org_pos == org)
                rows = rows[emp[rows] > 0]
                m = int(pd.Index(model.module_ids).get_loc(mid))
                extra_n[rows] += self.params["p_send"] * r[rows, 3]
                extra_h[rows] += self.params["p_send"] * r[rows, 3] * model.hours[m]
            if targeted:
                k_on = rng.binomial(rng.poisson(lam_on), r[:, [2]] * np.ones_like(ytd))
                k_off = rng.binomial(rng.poisson(lam_off), r[:, [3]] * np.ones_like(ytd))
            else:
                k_on, k_off = lam_on * r[:, [2]], lam_off * r[:, [3]]
            got = k_on + k_off + extra_n[:, None]
            got_h = k_on * mean_h[0] + k_off * mean_h[1] + extra_h[:, None]
            comp += got * float(inside)
            hours += got_h * float(inside)
            ytd += got_h
        return pd.DataFrame(
            {
                "staff_id": ids,
                "completions": comp.mean(axis=1),
                "hours": hours.mean(axis=1),
            }
        )
