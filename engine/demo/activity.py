"""Demo sessions, participations, assessments and outcomes (see ``engine.demo``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from engine.demo.catalog import Catalog
from engine.demo.choice import ChoiceModel
from engine.demo.effects import Effects
from engine.demo.population import Population
from engine.demo.scenario import Scenario
from engine.demo.simulate import Rates, class_dates, class_period, months_of, simulate
from engine.schema import ROLES

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


def _relevance(cat: Catalog) -> np.ndarray:
    """roles × modules: 1 where the module teaches a skill the role requires."""
    req = cat.role_requirements.merge(cat.module_skills, on="skill_id")
    mods = pd.Index(cat.modules["module_id"])
    rel = np.zeros((len(ROLES), len(mods)))
    rel[req["role"].map(ROLES.index).to_numpy(), mods.get_indexer(req["module_id"])] = 1.0
    return rel


def mastery_matrix(pop: Population, cat: Catalog, model: ChoiceModel, seed: int) -> np.ndarray:
    """staff × K latent mastery on the 0..1 role-target scale: Φ(u) of the same standard
    normal ``u`` (``hash_normal``) that drives assessment scores."""
    full = pd.Index(cat.skills["skill_id"]).get_indexer(model.skill_ids)
    n = len(pop.staff)
    out = np.empty((n, len(full)), dtype=np.float32)
    for a in range(0, n, 65536):
        b = min(n, a + 65536)
        i = np.repeat(np.arange(a, b), len(full))
        u = hash_normal(seed, i, np.tile(full, b - a)).reshape(b - a, len(full))
        out[a:b] = ndtr(u)
    return out


def build_activity(
    rng: np.random.Generator,
    pop: Population,
    cat: Catalog,
    model: ChoiceModel,
    sc: Scenario,
    fx: Effects,
    start: np.datetime64,
    end: np.datetime64,
    seed: int,
    progress: bool = False,
) -> tuple[Activity, Rates, pd.DataFrame]:
    mastery = mastery_matrix(pop, cat, model, seed)
    vs = model.v_static(pop.theta, pop.primary_role, pop.org_type_index[pop.org_of], mastery)
    del mastery
    enr, rates, callups = simulate(rng, pop, model, sc, fx, vs, start, end, seed, progress)
    del vs
    to_row = pd.Index(cat.modules["module_id"]).get_indexer(model.module_ids)
    enr["module"] = to_row[enr["module"].to_numpy()]
    enr["offline"] = model.pool[pd.Index(to_row).get_indexer(enr["module"])] == 1
    enr["org"] = pop.org_of[enr["staff"].to_numpy()]
    enr = enr.sort_values(["enrolled_on", "staff", "module"], kind="stable").reset_index(drop=True)
    mode = cat.modules["mode"].to_numpy()[enr["module"]]
    hours = cat.modules["hours"].to_numpy()[enr["module"]]
    done_on = enr["done_on"].to_numpy().astype("datetime64[D]")
    gone = enr["gone"].to_numpy()
    pending = (done_on > end) & ~gone
    done = enr["success"].to_numpy() & ~gone & ~pending
    status = np.where(
        done, "completed", np.where(np.isin(mode, ("offline", "live")), "no_show", "dropped")
    )
    status = np.where(pending, "enrolled", status)
    status = np.where(
        (mode == "blended") & (status == "dropped") & (rng.random(len(enr)) < 0.5),
        "no_show",
        status,
    )
    part_hours = np.where(
        done,
        hours,
        np.where(status == "dropped", np.round(hours * rng.uniform(0.1, 0.7, len(enr)), 1), 0.0),
    )
    enr["completed_on"] = np.where(done, done_on, np.datetime64("NaT"))
    session, sessions = _sessions(rng, enr, cat, model, sc, start, seed)
    mod_ids = cat.modules["module_id"].to_numpy()
    staff_ids = pop.staff["staff_id"].to_numpy()
    part = pd.DataFrame(
        {
            "participation_id": np.char.add(
                "PA", np.char.zfill(np.arange(1, len(enr) + 1).astype(str), 8)
            ),
            "staff_id": staff_ids[enr["staff"]],
            "module_id": mod_ids[enr["module"]],
            "session_id": session,
            "enrolled_on": enr["enrolled_on"].to_numpy().astype("datetime64[ns]"),
            "completed_on": enr["completed_on"].to_numpy().astype("datetime64[ns]"),
            "status": status,
            "hours": part_hours,
        }
    )
    assessments, outcomes = _measure(
        rng,
        sc,
        pop,
        cat,
        fx,
        enr[done].reset_index(drop=True),
        part[done].reset_index(drop=True),
        end,
        seed,
    )
    return Activity(sessions, part, assessments, outcomes), rates, callups


def _sessions(
    rng: np.random.Generator,
    enr: pd.DataFrame,
    cat: Catalog,
    model: ChoiceModel,
    sc: Scenario,
    start: np.datetime64,
    seed: int,
) -> tuple[np.ndarray, pd.DataFrame]:
    """Classes of scheduled modules: one date per (module, month of choice); offline and
    blended classes split by capacity with colleagues kept together, live ones unlimited."""
    mode = cat.modules["mode"].to_numpy()
    capacity = rng.choice(sc.capacities, size=len(mode))
    venue = rng.choice(list(sc.venues), size=len(mode), p=list(sc.venues.values()))
    sched = np.flatnonzero(mode[enr["module"].to_numpy()] != "online")
    sub = enr.iloc[sched][["module", "t", "org"]].copy()
    sub["row"] = sched
    sub["period"] = class_period(sub["t"].to_numpy(), sc.class_every)
    sub = sub.sort_values(["module", "period", "org"], kind="stable")
    m = sub["module"].to_numpy()
    live = mode[m] == "live"
    key = m.astype(np.int64) * 100_000 + sub["period"].to_numpy()
    first = np.r_[True, key[1:] != key[:-1]] if len(key) else np.zeros(0, bool)
    grp = np.cumsum(first) - 1
    rank = np.arange(len(key)) - np.flatnonzero(first)[grp] if len(key) else np.zeros(0, int)
    chunk = np.where(live, 0, rank // np.maximum(capacity[m], 1))
    skey = grp.astype(np.int64) * 10_000 + chunk
    firsts = np.r_[True, skey[1:] != skey[:-1]] if len(skey) else np.zeros(0, bool)
    sid = np.cumsum(firsts) - 1
    heads = np.flatnonzero(firsts)
    internal = pd.Index(model.module_ids).get_indexer(cat.modules["module_id"].to_numpy()[m[heads]])
    s0, s1 = class_dates(
        model, internal, sub["t"].to_numpy()[heads], months_of(start, start), seed, sc.class_every
    )
    order = np.lexsort((m[heads], s0))
    ids = np.empty(len(heads), dtype=object)
    ids[order] = np.char.add("SE", np.char.zfill(np.arange(1, len(heads) + 1).astype(str), 6))
    session = np.full(len(enr), "", dtype=object)
    session[sub["row"].to_numpy()] = ids[sid]
    mh = m[heads]
    sessions = pd.DataFrame(
        {
            "session_id": ids[order],
            "module_id": cat.modules["module_id"].to_numpy()[mh][order],
            "starts_on": s0[order].astype("datetime64[ns]"),
            "ends_on": s1[order].astype("datetime64[ns]"),
            "capacity": pd.array(np.where(live[heads], -1, capacity[mh])[order], dtype="Int64"),
            "region": venue[mh][order],
        }
    )
    sessions.loc[sessions["capacity"] < 0, "capacity"] = pd.NA
    return session, sessions


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
    sc: Scenario,
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
        sc.score_base
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
