"""Ground truth of a demo dataset: the generator's latent variables and its oracles.

``learnmap demo-data --out DIR --truth`` writes ``DIR/_truth/`` (ingest reads only the
``<table>.csv`` files of DIR itself, so this folder is never ingested)::

    from engine.demo.truth import load_truth
    truth = load_truth(DIR)
    truth.people      # staff_id, org_id, role (primary), diligence, hired_on, left_on
    truth.interests   # staff_id, year, interest_1..T (latent topic interests θ)
    truth.orgs        # org_id, org_type, culture, access
    truth.mastery     # staff_id, skill_id, mastery (0..1, the role_requirements.level scale)
    truth.choice_probabilities(participations, as_of, staff_ids=None)   # the oracle recommender
    truth.expected_activity(staff_ids, start, end)                      # the oracle of risk

The format is described in ``README`` below (written as ``_truth/README.md``).  The
oracles reuse the generator's own arithmetic (``engine.demo.choice``, ``engine.demo.simulate``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from engine.demo.choice import POOLS, ChoiceModel, csr, expand, module_frame
from engine.demo.effects import Effects
from engine.schema import ROLES

TRUTH_DIR = "_truth"
FILES = (
    "people",
    "orgs",
    "mastery",
    "modules",
    "skills",
    "topics",
    "interests",
    "offers",
    "rates",
    "callups",
)

README = """\
# Ground truth of this demo dataset

Written by `learnmap demo-data --truth` next to the ten tables; ingest never reads this
folder (it reads only the `<table>.csv` files of the dataset directory itself).  Load it
with `engine.demo.truth.load_truth(DIR)`; every number here is what the generator used.

Files (UTF-8 CSV; ids as in the tables; dates ISO):

- `params.json`: scenario, seed, window, number of organizations, every effect size
  (`engine/demo/effects.py`), the scenario's season (12 monthly intensities), target-seeking
  parameters (`target_hours`, `leader_target_hours`, `after_target`, `catch_up`,
  `catch_up_from`), `p_send`, `topics` (T).
- `people.csv`: `staff_id, org_id, role` (primary role), `diligence` (log enrolment rate
  and completion logit shift; +6·diligence score points), `hired_on, left_on`.
- `interests.csv`: `staff_id, year, interest_1..T` — the person's latent interest θ in each
  topic that calendar year (drifting from year to year).
- `orgs.csv`: `org_id, org_type, culture` (log enrolment rate shift of every member; 0.8×
  on the completion logit), `access` (log offline-rate shift of its region).
- `mastery.csv`: `staff_id, skill_id, mastery` — latent mastery on the 0..1 scale of
  `role_requirements.level`.  Mapping: mastery = Φ(u) where u ~ N(0, 1) is the person's
  standard-normal skill factor (assessment scores carry `mastery_sd`·u points, i.e.
  `mastery_sd`·Φ⁻¹(mastery)); so 0.5 is the median person, 0.8 the 80th percentile, and a
  role target level L is met by a share 1 − L of staff.  Mastery is fixed over the window
  (training gains show in `outcomes`, not here); it drives scores, not choices.
- `modules.csv`: the choice model's module order: `module_id, skill_id` (primary skill),
  `topic` (main latent topic key), `pool` (online = online+live, offline = offline+blended),
  `mode, hours, popularity, quality` (latent, N(0, 1)), `prerequisites`, `successors`
  (`|`-joined), `tau_1..T` (the module's latent topic mixture τ).
- `offers.csv`: `module_id, month` (YYYY-MM): the months in which the module can be chosen
  (A[m, t]: a self-paced module runs then; a session-bound one has a class starting the
  month after).  Modules launched in the window appear from their launch month on.
- `topics.csv`: `topic` (1..T), `key`, `words` (the title vocabulary), `skills` (linked
  sub-skills), `|`-joined.
- `skills.csv`: `skill_id, foundation`.
- `rates.csv`: `staff_id, year, lam_online, lam_offline` (expected enrolments per employed
  day, before season and target seeking), `p_online, p_offline` (completion probability).
- `callups.csv`: `org_id, month` (YYYY-MM), `module_id`: a unit's call-up; each employed
  member not yet enrolled in the module is sent with probability `p_send`.

Choice model (see the docstring of `engine/demo/choice.py`): within a pool,
P(m) ∝ exp(θ_i(y)·τ_m + a_m) · A[m, t] · [not enrolled before] · prereq_skip^[unmet
prerequisite], a_m = log popularity + quality_uptake · quality; the next choice falls in a
pool with probability proportional to the person's expected draws from it that month,
call-ups adding `p_send` each.  `Truth.choice_probabilities(participations, as_of)`
evaluates exactly this for the month after `as_of` from the history in `participations`
(exact when `as_of` is the last day of a month: the generator refreshes completions
monthly; the person is taken as employed all month) — new modules included, from the month
they can first be chosen.  `Truth.expected_activity(staff_ids, start, end)` gives expected
completed person-times and hours of enrolments made in [start, end) (closed form; with
target seeking, the mean of 200 simulations of the generator's rate process).
"""


@dataclass
class Truth:
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


def build_truth(spec, sc, pop, cat, model, rates, callups, theta) -> Truth:  # noqa: ANN001
    """The truth of a generated dataset (see ``README``)."""
    from engine.demo.activity import mastery_matrix

    staff = pop.staff
    ids = staff["staff_id"].to_numpy()
    people = pd.DataFrame(
        {
            "staff_id": ids,
            "org_id": staff["org_id"].to_numpy(),
            "role": np.array(ROLES)[pop.primary_role],
            "diligence": pop.diligence,
            "hired_on": staff["hired_on"].to_numpy().astype("datetime64[ns]"),
            "left_on": staff["left_on"].to_numpy().astype("datetime64[ns]"),
        }
    )
    years = list(range(int(str(spec.start)[:4]), int(str(spec.end)[:4]) + 1))
    n, T = len(people), model.n_topics
    interests = pd.DataFrame(
        {
            "staff_id": np.tile(ids, len(years)),
            "year": np.repeat(years, n),
            **{
                f"interest_{z + 1}": theta[:, :, z].T.ravel().astype(float).round(3)
                for z in range(T)
            },
        }
    )
    orgs = pd.DataFrame(
        {
            "org_id": pop.orgs["org_id"].to_numpy(),
            "org_type": pop.orgs["org_type"].to_numpy(),
            "culture": pop.culture,
            "access": pop.access,
        }
    )
    mm = mastery_matrix(pop, cat, model, spec.seed)
    K = model.n_skills
    mastery = pd.DataFrame(
        {
            "staff_id": np.repeat(ids, K),
            "skill_id": np.tile(model.skill_ids, n),
            "mastery": mm.ravel().astype(float),
        }
    )
    skills = pd.DataFrame({"skill_id": model.skill_ids, "foundation": model.foundation})
    name_to_id = dict(zip(cat.skills["name"], cat.skills["skill_id"], strict=True))
    topics = pd.DataFrame(
        {
            "topic": np.arange(1, T + 1),
            "key": [t[0] for t in cat.topics],
            "words": ["|".join(t[1]) for t in cat.topics],
            "skills": ["|".join(name_to_id[x] for x in t[2]) for t in cat.topics],
        }
    )
    start_m = np.datetime64(spec.start, "M")
    m_i, t_i = np.nonzero(model.avail)
    offers = pd.DataFrame(
        {"module_id": model.module_ids[m_i], "month": (start_m + t_i).astype(str)}
    )
    rate_frame = pd.DataFrame(
        {
            "staff_id": np.tile(ids, len(years)),
            "year": np.repeat(years, n),
            "lam_online": rates.lam[:, :, 0].T.ravel(),
            "lam_offline": rates.lam[:, :, 1].T.ravel(),
            "p_online": rates.p_complete[:, :, 0].T.ravel(),
            "p_offline": rates.p_complete[:, :, 1].T.ravel(),
        }
    )
    cu = pd.DataFrame(
        {
            "org_id": pop.orgs["org_id"].to_numpy()[callups["org"].to_numpy(dtype=int)],
            "month": (start_m + callups["t"].to_numpy(dtype=int)).astype(str),
            "module_id": model.module_ids[callups["module"].to_numpy(dtype=int)],
        }
    )
    params = {
        "scenario": sc.name,
        "seed": spec.seed,
        "orgs": spec.orgs,
        "start": str(spec.start),
        "end": str(spec.end),
        "effects": asdict(spec.effects),
        "season": list(sc.season),
        "target_hours": sc.target_hours,
        "leader_target_hours": sc.leader_target_hours,
        "after_target": sc.after_target,
        "catch_up": sc.catch_up,
        "catch_up_from": sc.catch_up_from,
        "p_send": sc.p_send,
        "topics": T,
    }
    return Truth(
        params,
        people,
        orgs,
        mastery,
        module_frame(model),
        skills,
        topics,
        interests,
        offers,
        rate_frame,
        cu,
    )


def write_truth(truth: Truth, out: str | Path) -> Path:
    """Write ``out/_truth/`` (README.md, params.json and one CSV per frame)."""
    folder = Path(out) / TRUTH_DIR
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "README.md").write_text(README, encoding="utf-8")
    (folder / "params.json").write_text(
        json.dumps(truth.params, ensure_ascii=False, indent=1, default=str), encoding="utf-8"
    )
    for name in FILES:
        frame = getattr(truth, name)
        frame.to_csv(folder / f"{name}.csv", index=False, date_format="%Y-%m-%d")
    return folder


def load_truth(path: str | Path) -> Truth:
    """Read ``DIR/_truth/`` (or the ``_truth`` folder itself)."""
    folder = Path(path)
    if folder.name != TRUTH_DIR:
        folder = folder / TRUTH_DIR
    if not (folder / "params.json").is_file():
        raise FileNotFoundError(
            f"{folder}: no ground truth here (write it with learnmap demo-data --truth)"
        )
    params = json.loads((folder / "params.json").read_text(encoding="utf-8"))
    frames = {}
    for name in FILES:
        frames[name] = pd.read_csv(
            folder / f"{name}.csv",
            keep_default_na=name not in ("modules", "topics"),
            dtype={"month": str},
        )
    for col in ("hired_on", "left_on"):
        frames["people"][col] = pd.to_datetime(frames["people"][col]).astype("datetime64[ns]")
    frames["modules"] = frames["modules"].fillna("")
    return Truth(params, **frames)


__all__ = ["README", "TRUTH_DIR", "Truth", "load_truth", "write_truth", "build_truth", "date"]
