"""Demo sessions, participations, assessments and outcomes (see ``engine.demo``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from engine.demo.catalog import Catalog
from engine.demo.choice import ChoiceModel
from engine.demo.effects import Effects
from engine.demo.ids import make_ids, take_ids
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
    org_type = pop.org_type_index[pop.org_of]
    vs = np.empty_like(mastery)
    for a in range(0, len(vs), 262_144):
        b = a + 262_144
        vs[a:b] = model.v_static(pop.theta[a:b], pop.primary_role[a:b], org_type[a:b], mastery[a:b])
    del mastery
    enr, rates, callups = simulate(rng, pop, model, sc, fx, vs, start, end, seed, progress)
    del vs
    to_row = pd.Index(cat.modules["module_id"]).get_indexer(model.module_ids)
    enr["offline"] = model.pool[enr["module"].to_numpy()] == 1
    enr["module"] = to_row[enr["module"].to_numpy()]
    enr["org"] = pop.org_of[enr["staff"].to_numpy()]
    mod_i = enr["module"].to_numpy()
    mode = cat.modules["mode"].to_numpy()[mod_i]
    hours = cat.modules["hours"].to_numpy()[mod_i]
    done_on = enr["done_on"].to_numpy().astype("datetime64[D]")
    gone = enr["gone"].to_numpy()
    pending = (done_on > end) & ~gone
    done = enr["success"].to_numpy() & ~gone & ~pending
    # 0 completed, 1 no_show, 2 dropped, 3 enrolled
    code = np.where(done, 0, np.where((mode == "offline") | (mode == "live"), 1, 2)).astype(np.int8)
    code[pending] = 3
    code[(mode == "blended") & (code == 2) & (rng.random(len(enr)) < 0.5)] = 1
    part_hours = np.where(
        done,
        hours,
        np.where(code == 2, np.round(hours * rng.uniform(0.1, 0.7, len(enr)), 1), 0.0),
    )
    del mode, hours, gone, pending
    completed_on = np.where(done, done_on, np.datetime64("NaT")).astype("datetime64[ns]")
    del done_on
    session, sessions = _sessions(rng, enr, cat, model, sc, start, seed)
    mod_ids = cat.modules["module_id"].to_numpy()
    staff_ids = pop.staff["staff_id"].to_numpy()
    statuses = np.array(["completed", "no_show", "dropped", "enrolled"], dtype=object)
    part = pd.DataFrame(
        {
            "participation_id": make_ids("PA", len(enr), 8),
            "staff_id": take_ids(staff_ids, enr["staff"].to_numpy()),
            "module_id": take_ids(mod_ids, mod_i),
            "session_id": session,
            "enrolled_on": enr["enrolled_on"].to_numpy().astype("datetime64[ns]"),
            "completed_on": completed_on,
            "status": take_ids(statuses, code),
            "hours": part_hours,
        }
    )
    del code, part_hours
    keep = ["staff", "module", "offline", "enrolled_on", "prereq_met"]
    done_enr = pd.DataFrame({k: enr[k].to_numpy()[done] for k in keep})
    done_enr["completed_on"] = completed_on[done]
    del enr
    assessments, outcomes = _measure(rng, sc, pop, cat, fx, done_enr, end, seed)
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
    sub = pd.DataFrame({c: enr[c].to_numpy()[sched] for c in ("module", "t", "org")})
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
    ids[order] = make_ids("SE", len(heads), 6).to_numpy(dtype=object)
    where = np.full(len(enr), len(heads), dtype=np.int64)  # → "" (no session)
    where[sub["row"].to_numpy()] = sid
    session = take_ids(np.append(ids, ""), where)
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


def _measure(
    rng: np.random.Generator,
    sc: Scenario,
    pop: Population,
    cat: Catalog,
    fx: Effects,
    enr: pd.DataFrame,
    end: np.datetime64,
    seed: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Assessment scores from latent skill mastery; satisfaction, pre/post and follow-up."""
    skills = pd.Index(cat.skills["skill_id"])
    ms = cat.module_skills
    mrow = pd.Index(cat.modules["module_id"]).get_indexer(ms["module_id"])
    srow = skills.get_indexer(ms["skill_id"])
    # module → padded (skill, weight) lists
    order = np.argsort(mrow, kind="stable")
    mrow, srow, wt = mrow[order], srow[order], ms["weight"].to_numpy(float)[order]
    count = np.bincount(mrow, minlength=len(cat.modules))
    first = np.cumsum(count) - count
    width = int(count.max())
    pad_s = np.zeros((len(cat.modules), width), dtype=np.int64)
    pad_w = np.zeros((len(cat.modules), width))
    slot = np.arange(len(mrow)) - first[mrow]
    pad_s[mrow, slot], pad_w[mrow, slot] = srow, wt
    mod = enr["module"].to_numpy()
    staff = enr["staff"].to_numpy().astype(np.int64)
    num = np.zeros(len(enr))
    for j in range(width):
        w = pad_w[mod, j]
        num += w * np.where(w > 0, hash_normal(seed, staff, pad_s[mod, j]), 0.0)
    true = num / pad_w[mod].sum(axis=1) * fx.mastery_sd
    rel = _relevance(cat)[pop.primary_role[enr["staff"]], enr["module"]]
    prereq = enr["prereq_met"].to_numpy()
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
    assessed = rng.random(n) < sc.assessed_share
    staff_ids = pop.staff["staff_id"].to_numpy()
    mod_ids = cat.modules["module_id"].to_numpy()
    si, mi = enr["staff"].to_numpy(), enr["module"].to_numpy()
    assessments = pd.DataFrame(
        {
            "assessment_id": make_ids("AS", int(assessed.sum()), 8),
            "staff_id": take_ids(staff_ids, si[assessed]),
            "module_id": take_ids(mod_ids, mi[assessed]),
            "taken_on": enr["completed_on"].to_numpy()[assessed],
            "score": np.round(np.clip(score[assessed], 0, 100), 1),
        }
    )
    method = cat.modules["method"].to_numpy()[enr["module"]]
    quality = cat.quality[enr["module"]] * fx.quality_sd
    offline = enr["offline"].to_numpy()
    sat = rng.random(n) < sc.satisfaction_share
    prepost = rng.random(n) < np.where(offline, sc.prepost_offline, sc.prepost_online)
    pre = 55 + 0.5 * true + 3.0 * dil + rng.normal(0, 8, n)
    gain = fx.training_gain + fx.offline_gain_extra * offline + rng.normal(0, 5, n)
    completed = enr["completed_on"].to_numpy().astype("datetime64[D]")
    follow_on = completed + 365 * DAY
    follow = prepost & (follow_on <= end)
    parts = [
        (
            sat,
            completed,
            0,
            82 + quality + 3.0 * np.isin(method, ("participatory", "case")) + rng.normal(0, 7, n),
        ),
        (prepost, enr["enrolled_on"].to_numpy().astype("datetime64[D]"), 1, pre),
        (prepost, completed, 2, pre + gain),
        (follow, follow_on, 3, pre + fx.retention * gain + rng.normal(0, 5, n)),
    ]
    kinds = np.array(["satisfaction", "pre", "post", "followup"], dtype=object)
    s_all = np.concatenate([si[m] for m, _, _, _ in parts])
    m_all = np.concatenate([mi[m] for m, _, _, _ in parts])
    d_all = np.concatenate([d[m] for m, d, _, _ in parts])
    k_all = np.concatenate([np.full(int(m.sum()), k, np.int8) for m, _, k, _ in parts])
    v_all = np.concatenate([np.round(np.clip(v[m], 0, 100), 1) for m, _, _, v in parts])
    order = np.lexsort((m_all, s_all, d_all))
    outcomes = pd.DataFrame(
        {
            "outcome_id": make_ids("OC", len(order), 8),
            "staff_id": take_ids(staff_ids, s_all[order]),
            "module_id": take_ids(mod_ids, m_all[order]),
            "measured_on": d_all[order].astype("datetime64[ns]"),
            "kind": pd.Series(kinds[k_all[order]], dtype="str"),
            "value": v_all[order],
        }
    )
    return assessments, outcomes
