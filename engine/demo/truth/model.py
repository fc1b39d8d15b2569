"""The ``Truth`` record (the frames of ``_truth/`` and ``params.json``) and the generator's
choice model, interests, mastery and rates rebuilt from it; the two oracles are mixed in
(``engine.demo.truth.choice_oracle``, ``engine.demo.truth.risk_oracle``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from engine.demo.choice import POOLS, ChoiceModel
from engine.demo.effects import Effects
from engine.demo.truth.choice_oracle import ChoiceOracle
from engine.demo.truth.risk_oracle import ActivityOracle


@dataclass
class Truth(ChoiceOracle, ActivityOracle):
    params: dict[str, Any]
    people: pd.DataFrame
    orgs: pd.DataFrame
    mastery: pd.DataFrame
    modules: pd.DataFrame
    skills: pd.DataFrame
    topics: pd.DataFrame
    interests: pd.DataFrame
    offers: pd.DataFrame
    rates: pd.DataFrame
    callups: pd.DataFrame
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    # ---- model reconstruction -----------------------------------------------------------
    @cached_property
    def effects(self) -> Effects:
        return Effects(**self.params["effects"])

    @cached_property
    def start(self) -> np.datetime64:
        return np.datetime64(self.params["start"], "D")

    @cached_property
    def end(self) -> np.datetime64:
        return np.datetime64(self.params["end"], "D")

    @cached_property
    def model(self) -> ChoiceModel:
        mods, sk = self.modules, self.skills
        ids = mods["module_id"].to_numpy()
        row = pd.Index(ids)
        kpos = pd.Index(sk["skill_id"])
        k = kpos.get_indexer(mods["skill_id"])
        pool = pd.Index(POOLS).get_indexer(mods["pool"])
        keys = self.topics["key"].to_numpy()
        topic = pd.Index(keys).get_indexer(mods["topic"])
        T = len(keys)

        def lists(col: str) -> list[np.ndarray]:
            return [
                np.sort(row.get_indexer([x for x in str(v).split("|") if x and v == v]))
                for v in mods[col]
            ]

        prereq = lists("prerequisites")
        dependents: list[list[int]] = [[] for _ in ids]
        for m, ps in enumerate(prereq):
            for p in ps:
                dependents[p].append(m)
        n_months = self._month(self.end) + 1
        avail = np.zeros((len(ids), n_months), dtype=bool)
        of = self.offers
        t = (
            pd.to_datetime(of["month"]).to_numpy().astype("datetime64[M]")
            - self.start.astype("datetime64[M]")
        ).astype(int)
        ok = (t >= 0) & (t < n_months)
        avail[row.get_indexer(of["module_id"])[ok], t[ok]] = True
        return ChoiceModel(
            module_ids=ids,
            group=pool * T + topic,
            topic=topic,
            skill=k,
            pool=pool,
            hours=mods["hours"].to_numpy(float),
            mode=mods["mode"].to_numpy(),
            popularity=mods["popularity"].to_numpy(float),
            quality=mods["quality"].to_numpy(float),
            tau=mods[[f"tau_{z + 1}" for z in range(T)]].to_numpy(float),
            avail=avail,
            prereq=prereq,
            successors=lists("successors"),
            dependents=[np.array(sorted(d), dtype=np.int64) for d in dependents],
            skill_ids=sk["skill_id"].to_numpy(),
            foundation=sk["foundation"].astype(bool).to_numpy(),
            topic_keys=keys,
            fx=self.effects,
        )

    def theta(self, pidx: np.ndarray, year: int) -> np.ndarray:
        """persons × T latent interests in calendar ``year`` (clipped to the window)."""
        if "theta" not in self._cache:
            it = self.interests
            years = self._years()
            T = len(self.topics)
            full = np.zeros((len(years), len(self.people), T))
            s = pd.Index(self.people["staff_id"]).get_indexer(it["staff_id"])
            y = it["year"].to_numpy(int) - years[0]
            full[y, s] = it[[f"interest_{z + 1}" for z in range(T)]].to_numpy(float)
            self._cache["theta"] = full
        years = self._years()
        yi = int(np.clip(year, years[0], years[-1])) - years[0]
        return self._cache["theta"][yi, pidx]

    def _month(self, day: np.datetime64) -> int:
        return int((day.astype("datetime64[M]") - self.start.astype("datetime64[M]")).astype(int))

    def _years(self) -> list[int]:
        return list(range(int(str(self.start)[:4]), int(str(self.end)[:4]) + 1))

    def mastery_matrix(self, pidx: np.ndarray) -> np.ndarray:
        """persons × K mastery in the model's skill order."""
        if "mastery" not in self._cache:
            ms = self.mastery
            s = pd.Index(self.people["staff_id"]).get_indexer(ms["staff_id"])
            k = pd.Index(self.skills["skill_id"]).get_indexer(ms["skill_id"])
            full = np.zeros((len(self.people), len(self.skills)), dtype=np.float32)
            full[s, k] = ms["mastery"].to_numpy()
            self._cache["mastery"] = full
        return self._cache["mastery"][pidx]

    def _rate_array(self, pidx: np.ndarray, y: int) -> np.ndarray:
        """persons × 4: lam_online, lam_offline, p_online, p_offline in year ``y``."""
        key = f"rates{y}"
        if key not in self._cache:
            r = self.rates[self.rates["year"] == y].set_index("staff_id")
            r = r.reindex(self.people["staff_id"]).fillna(0.0)
            self._cache[key] = r[["lam_online", "lam_offline", "p_online", "p_offline"]].to_numpy()
        return self._cache[key][pidx]

    def _month_rates(self, pidx: np.ndarray, t: int, y: int, ytd: np.ndarray) -> np.ndarray:
        """persons × 2 expected draws in month t (taken as employed all month)."""
        first = (self.start.astype("datetime64[M]") + t).astype("datetime64[D]")
        days = float(
            ((first.astype("datetime64[M]") + 1).astype("datetime64[D]") - first)
            / np.timedelta64(1, "D")
        )
        month = int(str(first)[5:7])
        season = self.params["season"][month - 1]
        r = self._rate_array(pidx, y)
        mult = self._target_mult(pidx, ytd, month)
        return np.stack([r[:, 0] * days * season * mult, r[:, 1] * days * season], axis=1)

    def _targets(self, pidx: np.ndarray) -> np.ndarray:
        pr = self.params
        leader = self.people["role"].to_numpy()[pidx] == "head"
        return np.where(leader, pr["leader_target_hours"], pr["target_hours"])

    def _target_mult(self, pidx: np.ndarray, ytd: np.ndarray, month: int) -> np.ndarray:
        pr = self.params
        if pr["target_hours"] <= 0:
            return np.ones(len(pidx))
        target = self._targets(pidx)
        mult = np.where(ytd >= target, pr["after_target"], 1.0)
        if month >= pr["catch_up_from"]:
            mult = np.where(ytd < target, pr["catch_up"], mult)
        return mult
