"""Demo sessions, participations, assessments and outcomes (see ``engine.demo``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit, ndtri

from engine.demo.catalog import Catalog
from engine.demo.effects import Effects
from engine.demo.population import Population
from engine.schema import OFFLINE_MODES, ROLES

#: Completed person-times a year at the national scale (source 001), per 2,300 orgs.
OFFLINE_PER_YEAR = 2000.0
ONLINE_PER_YEAR = 6500.0
NATIONAL_ORGS = 2300
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
#: Allowance for enrolments lost to repeats of a module, leavers and classes past the
#: window's end, so that *completed* volumes land on the plan's figures.
LOSS_ALLOWANCE = 1.06
COMPLETE_LOGIT = {"off": 1.7, "on": 1.1}  # ≈ 85% / 75% completion for an average person
DAY = np.timedelta64(1, "D")


@dataclass
class Activity:
    sessions: pd.DataFrame
    participations: pd.DataFrame
    assessments: pd.DataFrame
    outcomes: pd.DataFrame


def hash_normal(seed: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A standard normal fixed by (seed, a, b): a person's mastery of a skill, without
    holding a staff × skill matrix in memory (splitmix64 finalizer + inverse CDF)."""
    x = (
        (a.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15))
        ^ (b.astype(np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F))
        ^ np.uint64(seed & 0xFFFFFFFF)
    )
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    u = ((x >> np.uint64(11)).astype(np.float64) + 0.5) / float(1 << 53)
    return ndtri(u)


def _years(start: np.datetime64, end: np.datetime64) -> list[tuple[np.datetime64, np.datetime64]]:
    out = []
    for y in range(int(str(start)[:4]), int(str(end)[:4]) + 1):
        y0 = max(start, np.datetime64(f"{y}-01-01"))
        y1 = min(end, np.datetime64(f"{y}-12-31"))
        out.append((y0, y1))
    return out


def _relevance(cat: Catalog) -> np.ndarray:
    """roles × modules: 1 where the module teaches a skill the role requires."""
    req = cat.role_requirements.merge(cat.module_skills, on="skill_id")
    mods = pd.Index(cat.modules["module_id"])
    rel = np.zeros((len(ROLES), len(mods)))
    rel[req["role"].map(ROLES.index).to_numpy(), mods.get_indexer(req["module_id"])] = 1.0
    return rel


def _enrolments(
    rng: np.random.Generator,
    pop: Population,
    cat: Catalog,
    fx: Effects,
    start: np.datetime64,
    end: np.datetime64,
    scale: float,
) -> pd.DataFrame:
    """Who enrols in which module in which year (dates and sessions come later)."""
    hired = pop.staff["hired_on"].to_numpy().astype("datetime64[D]")
    left = pop.staff["left_on"].to_numpy().astype("datetime64[D]")
    left = np.where(np.isnat(left), end, left)
    culture = pop.culture[pop.org_of]
    role_rate = np.array([ROLE_RATE[r] for r in ROLES])[pop.primary_role]
    offline_mask = cat.modules["mode"].isin(OFFLINE_MODES).to_numpy()
    rel = _relevance(cat)
    popularity = np.exp(0.3 * rng.normal(size=len(cat.modules)))
    popularity *= np.where(cat.modules["tier"].to_numpy() == "foundation", 1.5, 1.0)
    frames = []
    for y0, y1 in _years(start, end):
        span = int((y1 - y0) / DAY) + 1
        e0, e1 = np.maximum(hired, y0), np.minimum(left, y1)
        emp = np.clip((e1 - e0) / DAY + 1, 0, None) / span
        for pool, target in (("off", OFFLINE_PER_YEAR), ("on", ONLINE_PER_YEAR)):
            access = pop.access[pop.org_of] if pool == "off" else 0.0
            rate = np.exp(culture + pop.diligence + role_rate + access) * emp
            comp = expit(COMPLETE_LOGIT[pool] + 0.8 * culture + pop.diligence)
            want = target * scale * span / 365.0 * LOSS_ALLOWANCE
            lam = rate * want / max(float((rate * comp).sum()), 1e-9)
            n = rng.poisson(lam)
            who = np.repeat(np.arange(len(n)), n)
            pool_idx = np.flatnonzero(offline_mask if pool == "off" else ~offline_mask)
            module = np.empty(len(who), dtype=np.int64)
            roles = pop.primary_role[who]
            for r in range(len(ROLES)):
                sel = roles == r
                w = popularity[pool_idx] * (1.0 + fx.role_focus * rel[r, pool_idx])
                module[sel] = rng.choice(pool_idx, size=int(sel.sum()), p=w / w.sum())
            frames.append(
                pd.DataFrame(
                    {
                        "staff": who,
                        "module": module,
                        "y0": y0,
                        "y1": y1,
                        "e0": e0[who],
                        "e1": e1[who],
                        "comp": comp[who],
                        "offline": pool == "off",
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def _schedule(
    rng: np.random.Generator, enr: pd.DataFrame, cat: Catalog, end: np.datetime64
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sessions for offline/blended (with seats) and live (unlimited) modules; dates."""
    mode = cat.modules["mode"].to_numpy()
    hours = cat.modules["hours"].to_numpy()
    capacity = rng.choice((30, 40, 50, 60, 80), size=len(mode))
    venue = rng.choice(
        ["北京", "上海", "广州", "成都", "西安", "武汉"],
        size=len(mode),
        p=(0.7, 0.06, 0.06, 0.06, 0.06, 0.06),
    )
    enrolled = np.full(len(enr), np.datetime64("NaT"), dtype="datetime64[D]")
    completed = enrolled.copy()
    session = np.full(len(enr), -1, dtype=np.int64)
    sessions = []
    scheduled = np.isin(mode[enr["module"].to_numpy()], ("offline", "blended", "live"))
    groups = enr[scheduled].groupby(["module", "y0"], sort=True).indices
    sched_idx = np.flatnonzero(scheduled)
    y1_all = enr["y1"].to_numpy().astype("datetime64[D]")
    for (m, y0_key), local in groups.items():
        rows = sched_idx[local]
        y0 = np.datetime64(pd.Timestamp(y0_key), "D")
        y1 = y1_all[rows[0]]
        live = mode[m] == "live"
        days = 1 if live else int(np.ceil(hours[m] / 8.0))
        k = (
            max(2, int(np.ceil(len(rows) / 150)))
            if live
            else int(np.ceil(len(rows) / (0.9 * capacity[m])))
        )
        last = max(int((y1 - y0) / DAY) - days - 7, 15)
        starts = y0 + np.sort(rng.integers(14, last + 1, size=k)) * DAY
        first = len(sessions)
        for j, s0 in enumerate(starts):
            sessions.append(
                (m, s0, s0 + (days - 1) * DAY, np.nan if live else capacity[m], venue[m], first + j)
            )
        pick = rng.permutation(len(rows)) % k
        session[rows] = first + pick
        s0 = starts[pick]
        lead = rng.integers(1, 15, size=len(rows)) if live else rng.integers(5, 41, size=len(rows))
        enrolled[rows] = s0 - lead * DAY
        completed[rows] = s0 + (days - 1) * DAY
    online = ~scheduled
    e0 = enr["e0"].to_numpy().astype("datetime64[D]")[online]
    e1 = enr["e1"].to_numpy().astype("datetime64[D]")[online]
    width = np.maximum((e1 - e0) / DAY, 0).astype(int) + 1
    enrolled[online] = e0 + (rng.random(online.sum()) * width).astype(int) * DAY
    completed[online] = enrolled[online] + rng.geometric(0.1, size=online.sum()) * DAY
    enr = enr.assign(enrolled_on=enrolled, completed_on=completed, session=session)
    ses = pd.DataFrame(
        sessions, columns=["module", "starts_on", "ends_on", "capacity", "region", "session"]
    )
    return enr, ses


def build_activity(
    rng: np.random.Generator,
    pop: Population,
    cat: Catalog,
    fx: Effects,
    start: np.datetime64,
    end: np.datetime64,
    seed: int,
) -> Activity:
    scale = len(pop.orgs) / NATIONAL_ORGS
    enr = _enrolments(rng, pop, cat, fx, start, end, scale)
    enr, ses = _schedule(rng, enr, cat, end)
    hired = pop.staff["hired_on"].to_numpy().astype("datetime64[D]")[enr["staff"]]
    # nobody enrols before being hired; a scheduled class after leaving is not attended
    enr = enr[enr["enrolled_on"].to_numpy() >= hired].copy()
    enr = enr.sort_values(["enrolled_on", "staff"], kind="stable")
    enr = enr.drop_duplicates(["staff", "module"], keep="first").reset_index(drop=True)
    left = pop.staff["left_on"].to_numpy().astype("datetime64[D]")[enr["staff"]]
    comp_day = enr["completed_on"].to_numpy().astype("datetime64[D]")
    mode = cat.modules["mode"].to_numpy()[enr["module"]]
    hours = cat.modules["hours"].to_numpy()[enr["module"]]
    succeed = rng.random(len(enr)) < enr["comp"].to_numpy()
    gone = ~np.isnat(left) & (comp_day > left)
    pending = comp_day > end
    status = np.where(
        succeed & ~gone,
        "completed",
        np.where(np.isin(mode, ("offline", "live")), "no_show", "dropped"),
    )
    status = np.where(pending & ~gone, "enrolled", status)
    status = np.where(
        np.isin(mode, ("offline", "blended"))
        & (status == "dropped")
        & (rng.random(len(enr)) < 0.5),
        "no_show",
        status,
    )
    done = status == "completed"
    part_hours = np.where(
        done,
        hours,
        np.where(status == "dropped", np.round(hours * rng.uniform(0.1, 0.7, len(enr)), 1), 0.0),
    )
    ses = ses.sort_values(["starts_on", "module"], kind="stable").reset_index(drop=True)
    ses_ids = np.char.add("SE", np.char.zfill(np.arange(1, len(ses) + 1).astype(str), 6))
    ses_map = np.full(max(len(ses), 1) + 1, "", dtype=object)
    ses_map[ses["session"].to_numpy()] = ses_ids
    mod_ids = cat.modules["module_id"].to_numpy()
    staff_ids = pop.staff["staff_id"].to_numpy()
    part = pd.DataFrame(
        {
            "participation_id": np.char.add(
                "PA", np.char.zfill(np.arange(1, len(enr) + 1).astype(str), 8)
            ),
            "staff_id": staff_ids[enr["staff"]],
            "module_id": mod_ids[enr["module"]],
            "session_id": np.where(enr["session"] >= 0, ses_map[enr["session"].clip(lower=0)], ""),
            "enrolled_on": enr["enrolled_on"].to_numpy(),
            "completed_on": np.where(done, comp_day, np.datetime64("NaT")),
            "status": status,
            "hours": part_hours,
        }
    )
    sessions = pd.DataFrame(
        {
            "session_id": ses_ids,
            "module_id": mod_ids[ses["module"]],
            "starts_on": ses["starts_on"],
            "ends_on": ses["ends_on"],
            "capacity": ses["capacity"].astype("Int64"),
            "region": ses["region"],
        }
    )
    assessments, outcomes = _measure(
        rng,
        pop,
        cat,
        fx,
        enr[done].reset_index(drop=True),
        part[done].reset_index(drop=True),
        end,
        seed,
    )
    return Activity(sessions, part, assessments, outcomes)


def _prereqs_done(cat: Catalog, enr: pd.DataFrame) -> np.ndarray:
    """For each completed participation: were all the module's prerequisites completed
    (by the same person) before it was enrolled in?"""
    mods = pd.Index(cat.modules["module_id"])
    pre = cat.modules["prerequisites"].str.split("|").explode()
    pre = pre[pre.notna() & (pre != "")]
    need = pd.DataFrame(
        {
            "module": mods.get_indexer(cat.modules["module_id"][pre.index]),
            "prereq": mods.get_indexer(pre),
        }
    )
    n_need = need.groupby("module").size().reindex(range(len(mods)), fill_value=0).to_numpy()
    rows = enr[["staff", "module", "enrolled_on"]].reset_index().merge(need, on="module")
    firsts = enr[["staff", "module", "completed_on"]].rename(columns={"module": "prereq"})
    rows = rows.merge(firsts, on=["staff", "prereq"], how="left")
    ok = (rows["completed_on"] < rows["enrolled_on"]).groupby(rows["index"]).sum()
    have = ok.reindex(range(len(enr)), fill_value=0).to_numpy()
    required = n_need[enr["module"].to_numpy()]
    return (required > 0) & (have >= required)


def _measure(
    rng: np.random.Generator,
    pop: Population,
    cat: Catalog,
    fx: Effects,
    enr: pd.DataFrame,
    part: pd.DataFrame,
    end: np.datetime64,
    seed: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Assessment scores from latent skill mastery; satisfaction, pre/post and follow-up."""
    skills = pd.Index(cat.skills["skill_id"])
    ms = cat.module_skills.assign(
        module=pd.Index(cat.modules["module_id"]).get_indexer(cat.module_skills["module_id"]),
        skill=skills.get_indexer(cat.module_skills["skill_id"]),
    )
    links = (
        enr[["staff", "module"]].reset_index().merge(ms[["module", "skill", "weight"]], on="module")
    )
    u = hash_normal(seed, links["staff"].to_numpy(), links["skill"].to_numpy())
    wsum = links["weight"].groupby(links["index"]).sum()
    true = ((links["weight"] * u).groupby(links["index"]).sum() / wsum).reindex(
        range(len(enr)), fill_value=0.0
    ).to_numpy() * fx.mastery_sd
    rel = _relevance(cat)[pop.primary_role[enr["staff"]], enr["module"]]
    prereq = _prereqs_done(cat, enr)
    dil = pop.diligence[enr["staff"]]
    n = len(enr)
    score = (
        64
        + true
        + 5.0 * rel
        + 6.0 * dil
        + fx.prereq_bonus * prereq
        + rng.normal(0, fx.score_noise, n)
    )
    assessed = rng.random(n) < 0.85
    assessments = pd.DataFrame(
        {
            "assessment_id": np.char.add(
                "AS", np.char.zfill(np.arange(1, assessed.sum() + 1).astype(str), 8)
            ),
            "staff_id": part["staff_id"].to_numpy()[assessed],
            "module_id": part["module_id"].to_numpy()[assessed],
            "taken_on": part["completed_on"].to_numpy()[assessed],
            "score": np.round(np.clip(score[assessed], 0, 100), 1),
        }
    )
    method = cat.modules["method"].to_numpy()[enr["module"]]
    quality = cat.quality[enr["module"]] * fx.quality_sd
    offline = enr["offline"].to_numpy()
    sat = rng.random(n) < 0.7
    prepost = rng.random(n) < 0.45
    pre = 55 + 0.5 * true + 3.0 * dil + rng.normal(0, 8, n)
    gain = fx.training_gain + fx.offline_gain_extra * offline + rng.normal(0, 5, n)
    completed = part["completed_on"].to_numpy().astype("datetime64[D]")
    follow_on = completed + 365 * DAY
    follow = prepost & (follow_on <= end)
    parts = [
        (
            sat,
            completed,
            "satisfaction",
            82 + quality + 3.0 * np.isin(method, ("participatory", "case")) + rng.normal(0, 7, n),
        ),
        (prepost, enr["enrolled_on"].to_numpy().astype("datetime64[D]"), "pre", pre),
        (prepost, completed, "post", pre + gain),
        (follow, follow_on, "followup", pre + fx.retention * gain + rng.normal(0, 5, n)),
    ]
    frames = [
        pd.DataFrame(
            {
                "staff_id": part["staff_id"].to_numpy()[m],
                "module_id": part["module_id"].to_numpy()[m],
                "measured_on": d[m],
                "kind": k,
                "value": np.round(np.clip(v[m], 0, 100), 1),
            }
        )
        for m, d, k, v in parts
    ]
    outcomes = (
        pd.concat(frames, ignore_index=True)
        .sort_values(["measured_on", "staff_id", "module_id"], kind="stable")
        .reset_index(drop=True)
    )
    outcomes.insert(
        0,
        "outcome_id",
        np.char.add("OC", np.char.zfill(np.arange(1, len(outcomes) + 1).astype(str), 8)),
    )
    return assessments, outcomes
