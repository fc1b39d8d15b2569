"""Demo sessions, participations, assessments and outcomes (see ``engine.demo``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
from scipy.special import ndtr, ndtri
from tqdm.auto import tqdm

from engine.demo.catalog import Catalog
from engine.demo.choice import ChoiceModel
from engine.demo.coded import Coded, Ids, Lookup
from engine.demo.effects import Effects
from engine.demo.ids import make_ids
from engine.demo.population import Population
from engine.demo.renewal import class_months
from engine.demo.scenario import Scenario, person_interests, topic_means
from engine.demo.simulate import Rates, class_dates, months_of, simulate
from engine.progress import words as bar_words
from engine.schema import ROLES

DAY = np.timedelta64(1, "D")


@dataclass
class Activity:
    sessions: pd.DataFrame
    participations: Coded
    assessments: Coded
    outcomes: Coded


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
    years = len(set(months_of(start, end).year))
    theta = person_interests(pop, cat, sc, fx, seed, years)
    org_mu = topic_means(cat, sc, fx)[1]
    enr, rates, callups = simulate(
        rng, pop, model, sc, fx, theta, start, end, seed, org_mu, progress
    )
    n = len(enr["staff"])
    to_row = pd.Index(cat.modules["module_id"]).get_indexer(model.module_ids)
    internal = enr.pop("module")
    enr["offline"] = model.pool[internal] == 1
    enr["module"] = to_row[internal].astype(np.int32)
    del internal
    enr["org"] = pop.org_of[enr["staff"]].astype(np.int32)
    mod_i = enr["module"]
    modes = cat.modules["mode"].to_numpy()
    mode = modes[mod_i]
    hours = cat.modules["hours"].to_numpy()[mod_i]
    done_on = enr.pop("done_on")
    gone = enr.pop("gone")
    pending = (done_on > end) & ~gone
    done = enr.pop("success") & ~gone & ~pending
    # 0 completed, 1 no_show, 2 dropped, 3 enrolled
    code = np.where(done, 0, np.where((mode == "offline") | (mode == "live"), 1, 2)).astype(np.int8)
    code[pending] = 3
    code[(mode == "blended") & (code == 2) & (rng.random(n) < 0.5)] = 1
    part_hours = np.where(
        done,
        hours,
        np.where(code == 2, np.round(hours * rng.uniform(0.1, 0.7, n), 1), 0.0),
    )
    del mode, hours, gone, pending
    completed_on = np.where(done, done_on, np.datetime64("NaT"))
    del done_on
    session_ids, where, sessions = _sessions(rng, enr, cat, model, sc, start, seed)
    mod_ids = pa.array(cat.modules["module_id"].to_numpy().astype(str))
    staff_ids = pa.array(pop.staff["staff_id"].to_numpy().astype(str))
    statuses = ("completed", "no_show", "dropped", "enrolled")
    keep = ["staff", "module", "offline", "enrolled_on", "prereq_met"]
    done_enr = {k: enr[k][done] for k in keep}
    done_enr["completed_on"] = completed_on[done]
    part = Coded(
        {
            "participation_id": Ids("PA", 8),
            "staff_id": Lookup(staff_ids, enr["staff"]),
            "module_id": Lookup(mod_ids, enr["module"]),
            "session_id": Lookup.of(np.append(session_ids, ""), where),
            "enrolled_on": enr["enrolled_on"],
            "completed_on": completed_on,
            "status": Lookup.of(statuses, code),
            "hours": part_hours,
        },
        n,
    )
    del enr
    assessments, outcomes = _measure(
        rng, sc, pop, cat, fx, done_enr, end, seed, staff_ids, mod_ids, progress
    )
    return Activity(sessions, part, assessments, outcomes), rates, callups, theta


def _sessions(
    rng: np.random.Generator,
    enr: dict[str, np.ndarray],
    cat: Catalog,
    model: ChoiceModel,
    sc: Scenario,
    start: np.datetime64,
    seed: int,
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """The announced schedule (``engine.demo.renewal.class_months``: one class per scheduled
    module and month, open for enrolment from the first day of the month before) and the
    enrolments placed in it: an offline or blended class that fills opens a parallel class
    (加开) on the same dates, colleagues kept together; live classes are unlimited."""
    mode = cat.modules["mode"].to_numpy()
    capacity = rng.choice(sc.capacities, size=len(mode))
    venue = rng.choice(list(sc.venues), size=len(mode), p=list(sc.venues.values()))
    n_months = model.avail.shape[1]
    sched_m, sched_s = class_months(cat.renewed, n_months)
    sched = np.flatnonzero(mode[enr["module"]] != "online")
    sub = pd.DataFrame({c: enr[c][sched] for c in ("module", "t", "org")})
    sub["row"] = sched
    sub["rank"] = 0
    # the scheduled classes themselves, ranked before their enrolments (row −1)
    base = pd.DataFrame({"module": sched_m, "t": sched_s - 1, "org": -1, "row": -1, "rank": -1})
    sub = pd.concat([base, sub], ignore_index=True)
    sub = sub.sort_values(["module", "t", "rank", "org"], kind="stable")
    m = sub["module"].to_numpy()
    live = mode[m] == "live"
    key = m.astype(np.int64) * 100_000 + (sub["t"].to_numpy() + 1000)
    first = np.r_[True, key[1:] != key[:-1]] if len(key) else np.zeros(0, bool)
    grp = np.cumsum(first) - 1
    # seats taken so far in the (module, month): the scheduled row takes none
    enrolled = (sub["row"].to_numpy() >= 0).astype(np.int64)
    taken = np.cumsum(enrolled) - np.cumsum(enrolled)[np.flatnonzero(first)][grp]
    seat = np.maximum(taken - 1, 0)
    chunk = np.where(live, 0, seat // np.maximum(capacity[m], 1))
    skey = grp.astype(np.int64) * 10_000 + chunk
    firsts = np.r_[True, skey[1:] != skey[:-1]] if len(skey) else np.zeros(0, bool)
    sid = np.cumsum(firsts) - 1
    heads = np.flatnonzero(firsts)
    internal = pd.Index(model.module_ids).get_indexer(cat.modules["module_id"].to_numpy()[m[heads]])
    t_heads = sub["t"].to_numpy()[heads]
    s0, s1 = class_dates(model, internal, t_heads, months_of(start, start), seed, 1)
    opens = (start.astype("datetime64[M]") + t_heads).astype("datetime64[D]")
    order = np.lexsort((m[heads], s0))
    ids = np.empty(len(heads), dtype=object)
    ids[order] = make_ids("SE", len(heads), 6).to_numpy(dtype=object)
    where = np.full(len(enr["module"]), len(heads), dtype=np.int32)  # → "" (no session)
    real = sub["row"].to_numpy() >= 0
    where[sub["row"].to_numpy()[real]] = sid[real]
    mh = m[heads]
    sessions = pd.DataFrame(
        {
            "session_id": ids[order],
            "module_id": cat.modules["module_id"].to_numpy()[mh][order],
            "starts_on": s0[order].astype("datetime64[ns]"),
            "ends_on": s1[order].astype("datetime64[ns]"),
            "capacity": pd.array(np.where(live[heads], -1, capacity[mh])[order], dtype="Int64"),
            "region": venue[mh][order],
            "enrol_from": opens[order].astype("datetime64[ns]"),
        }
    )
    sessions.loc[sessions["capacity"] < 0, "capacity"] = pd.NA
    return ids, where, sessions


#: completions measured per chunk (bounds the measurement's temporaries)
MEASURE_CHUNK = 2_000_000


def _measure(
    rng: np.random.Generator,
    sc: Scenario,
    pop: Population,
    cat: Catalog,
    fx: Effects,
    enr: dict[str, np.ndarray],
    end: np.datetime64,
    seed: int,
    staff_ids: pa.Array,
    mod_ids: pa.Array,
    progress: bool = False,
) -> tuple[Coded, Coded]:
    """Assessment scores from latent skill mastery; satisfaction, pre/post and follow-up.
    Completions are measured in chunks of ``MEASURE_CHUNK`` (same draws in the same order
    for a given seed and size)."""
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
    relevance = _relevance(cat)
    methodical = np.isin(cat.modules["method"].to_numpy(), ("participatory", "case"))
    n_all = len(enr["staff"])
    a_parts: dict[str, list[np.ndarray]] = {k: [] for k in ("s", "m", "d", "v")}
    o_parts: dict[str, list[np.ndarray]] = {k: [] for k in ("s", "m", "d", "k", "v")}
    chunks = range(0, n_all, MEASURE_CHUNK)
    for c0 in tqdm(chunks, desc=bar_words("measuring"), disable=not progress or len(chunks) < 2):
        c1 = min(n_all, c0 + MEASURE_CHUNK)
        si = enr["staff"][c0:c1]
        mi = enr["module"][c0:c1]
        staff = si.astype(np.int64)
        num = np.zeros(len(si))
        for j in range(width):
            w = pad_w[mi, j]
            num += w * np.where(w > 0, hash_normal(seed, staff, pad_s[mi, j]), 0.0)
        true = num / pad_w[mi].sum(axis=1) * fx.mastery_sd
        del num, staff
        rel = relevance[pop.primary_role[si], mi]
        prereq = enr["prereq_met"][c0:c1]
        dil = pop.diligence[si]
        n = len(si)
        score = (
            sc.score_base
            + true
            + 5.0 * rel
            + 6.0 * dil
            + fx.prereq_bonus * prereq
            + rng.normal(0, fx.score_noise, n)
        )
        del rel
        assessed = rng.random(n) < sc.assessed_share
        completed = enr["completed_on"][c0:c1]
        a_parts["s"].append(si[assessed])
        a_parts["m"].append(mi[assessed])
        a_parts["d"].append(completed[assessed])
        a_parts["v"].append(np.round(np.clip(score[assessed], 0, 100), 1))
        del score, assessed
        quality = cat.quality[mi] * fx.quality_sd
        offline = enr["offline"][c0:c1]
        sat = rng.random(n) < sc.satisfaction_share
        prepost = rng.random(n) < np.where(offline, sc.prepost_offline, sc.prepost_online)
        pre = 55 + 0.5 * true + 3.0 * dil + rng.normal(0, 8, n)
        gain = fx.training_gain + fx.offline_gain_extra * offline + rng.normal(0, 5, n)
        follow_on = completed + 365 * DAY
        follow = prepost & (follow_on <= end)
        parts = [
            (sat, completed, 0, 82 + quality + 3.0 * methodical[mi] + rng.normal(0, 7, n)),
            (prepost, enr["enrolled_on"][c0:c1], 1, pre),
            (prepost, completed, 2, pre + gain),
            (follow, follow_on, 3, pre + fx.retention * gain + rng.normal(0, 5, n)),
        ]
        for mask, day, kind, value in parts:
            o_parts["s"].append(si[mask])
            o_parts["m"].append(mi[mask])
            o_parts["d"].append(day[mask])
            o_parts["k"].append(np.full(int(mask.sum()), kind, np.int8))
            o_parts["v"].append(np.round(np.clip(value[mask], 0, 100), 1))
        del parts, pre, gain, true, quality
    cat_ = {k: _concat(v) for k, v in a_parts.items()}
    del a_parts
    assessments = Coded(
        {
            "assessment_id": Ids("AS", 8),
            "staff_id": Lookup(staff_ids, cat_["s"]),
            "module_id": Lookup(mod_ids, cat_["m"]),
            "taken_on": cat_["d"],
            "score": cat_["v"],
        },
        len(cat_["s"]),
    )
    oc = {k: _concat(v) for k, v in o_parts.items()}
    del o_parts
    order = np.lexsort((oc["m"], oc["s"], oc["d"]))
    oc = {k: v[order] for k, v in oc.items()}
    del order
    kinds = ("satisfaction", "pre", "post", "followup")
    outcomes = Coded(
        {
            "outcome_id": Ids("OC", 8),
            "staff_id": Lookup(staff_ids, oc["s"]),
            "module_id": Lookup(mod_ids, oc["m"]),
            "measured_on": oc["d"],
            "kind": Lookup.of(kinds, oc["k"]),
            "value": oc["v"],
        },
        len(oc["s"]),
    )
    return assessments, outcomes


def _concat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0)
