"""Statistics that show each choice effect in generated data (used by the tests, which
compare them with and without the effect, and by ``benchmarks/bench_demo.py``).

Each takes the ten tables (and, for ``need_lift``, the ground truth) and returns one number
that is clearly larger with the effect than without it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.demo.truth import Truth
from engine.schema import OFFLINE_MODES

Tables = dict[str, pd.DataFrame]
DAY = np.timedelta64(1, "D")


def _primary(t: Tables) -> pd.Series:
    """module_id → primary skill (the heaviest-weighted, first listed)."""
    ms = t["module_skills"].sort_values("weight", ascending=False, kind="stable")
    return ms.drop_duplicates("module_id").set_index("module_id")["skill_id"]


def _domain(t: Tables) -> pd.Series:
    """module_id → domain (parent of its primary skill)."""
    parent = t["skills"].set_index("skill_id")["parent_id"]
    return _primary(t).map(parent)


def _required(t: Tables) -> set[tuple[str, str]]:
    rr = t["role_requirements"]
    return set(zip(rr["role"], rr["skill_id"], strict=True))


def interest_consistency(t: Tables, seed: int = 0) -> float:
    """Interests: how much more a person's online choices of skills their role does *not*
    require resemble their own earlier choices than those of a random person of the same
    role and organization type.  Mean cosine of (first-half, second-half) domain-count
    vectors, own minus partner's; choices that follow a completed predecessor are left out."""
    p = t["participations"]
    mods = t["modules"].set_index("module_id")
    p = p[~p["module_id"].map(mods["mode"]).isin(OFFLINE_MODES)]
    staff = t["staff"].set_index("staff_id")
    role = p["staff_id"].map(staff["role"].str.split("|").str[0])
    skill = p["module_id"].map(_primary(t))
    req = _required(t)
    keep = ~np.array([(r, s) in req for r, s in zip(role, skill, strict=True)])
    pre = mods["prerequisites"].fillna("")
    has_pre = p["module_id"].map(pre != "").to_numpy()
    p = p[keep & ~has_pre].copy()
    p["domain"] = p["module_id"].map(_domain(t))
    p = p.sort_values(["staff_id", "enrolled_on"], kind="stable")
    rank = p.groupby("staff_id").cumcount()
    size = p.groupby("staff_id")["module_id"].transform("size")
    p["half"] = (rank >= size / 2).astype(int)
    counts = p.groupby(["staff_id", "half", "domain"]).size().unstack(fill_value=0)
    a = counts.xs(0, level="half")
    b = counts.xs(1, level="half")
    ids = a.index.intersection(b.index)
    a, b = a.loc[ids].to_numpy(float), b.loc[ids].to_numpy(float)
    ok = (a.sum(axis=1) >= 3) & (b.sum(axis=1) >= 3)
    a, b, ids = a[ok], b[ok], ids[ok]
    a /= np.linalg.norm(a, axis=1, keepdims=True)
    b /= np.linalg.norm(b, axis=1, keepdims=True)
    own = (a * b).sum(axis=1)
    orgs = t["organizations"].set_index("org_id")["org_type"]
    group = (
        staff.loc[ids, "role"].str.split("|").str[0] + "/" + staff.loc[ids, "org_id"].map(orgs)
    ).to_numpy()
    rng = np.random.default_rng(seed)
    partner = np.arange(len(ids))
    for g in np.unique(group):
        idx = np.flatnonzero(group == g)
        partner[idx] = np.roll(rng.permutation(idx), 1) if len(idx) > 1 else idx
    other = (a * b[partner]).sum(axis=1)
    return float(own.mean() - other.mean())


def need_lift(t: Tables, truth: Truth) -> float:
    """Needs: choices per person of a role-required skill where the person's latent gap
    (target − mastery) is in the top third, divided by those where it is in the bottom
    third (the truth gives the mastery)."""
    staff = t["staff"].assign(r=t["staff"]["role"].str.split("|").str[0])
    rr = t["role_requirements"].rename(columns={"role": "r"})
    pairs = staff[["staff_id", "r"]].merge(rr, on="r")
    pairs = pairs.merge(truth.mastery, on=["staff_id", "skill_id"])
    pairs["gap"] = (pairs["level"] - pairs["mastery"]).clip(lower=0)
    p = t["participations"]
    chosen = p.assign(skill_id=p["module_id"].map(_primary(t)))
    n = chosen.groupby(["staff_id", "skill_id"]).size().rename("n").reset_index()
    pairs = pairs.merge(n, on=["staff_id", "skill_id"], how="left").fillna({"n": 0})
    lo, hi = pairs["gap"].quantile([1 / 3, 2 / 3])
    top = pairs.loc[pairs["gap"] >= hi, "n"].mean()
    bottom = pairs.loc[pairs["gap"] <= lo, "n"].mean()
    return float(top / max(bottom, 1e-9))


def _succ_pairs(t: Tables) -> pd.DataFrame:
    """(module_id, successor) pairs: a module listing it as prerequisite, or the next part
    of its series (same title stem, next part)."""
    m = t["modules"]
    pre = m.assign(p=m["prerequisites"].fillna("").str.split("|")).explode("p")
    pairs = pre.loc[pre["p"] != "", ["p", "module_id"]].rename(
        columns={"p": "module_id", "module_id": "successor"}
    )
    return pairs.drop_duplicates()


def successor_timing(t: Tables, months: int = 6) -> float:
    """Sequences: of the enrolments in a module after completing one of its prerequisites,
    the share made within ``months`` months of that completion."""
    p = t["participations"]
    done = p[p["status"] == "completed"][["staff_id", "module_id", "completed_on"]]
    pairs = _succ_pairs(t)
    x = done.merge(pairs, on="module_id").merge(
        p[["staff_id", "module_id", "enrolled_on"]].rename(columns={"module_id": "successor"}),
        on=["staff_id", "successor"],
    )
    x = x[x["enrolled_on"] > x["completed_on"]]
    soon = (x["enrolled_on"] - x["completed_on"]) <= pd.Timedelta(days=30.44 * months)
    return float(soon.mean())


def prerequisites_first(t: Tables) -> float:
    """Prerequisites mostly first: share of enrolments in modules with prerequisites where
    every prerequisite was completed before."""
    p = t["participations"]
    pairs = _succ_pairs(t).rename(columns={"module_id": "pre", "successor": "module_id"})
    x = p[["participation_id", "staff_id", "module_id", "enrolled_on"]].merge(pairs, on="module_id")
    done = p[p["status"] == "completed"][["staff_id", "module_id", "completed_on"]].rename(
        columns={"module_id": "pre"}
    )
    x = x.merge(done, on=["staff_id", "pre"], how="left")
    x["ok"] = x["completed_on"] < x["enrolled_on"]
    return float(x.groupby("participation_id")["ok"].all().mean())


def foundation_lift(t: Tables, days: int = 180) -> float:
    """Foundation first: share of foundation-tier modules among the choices of staff in
    their first ``days`` days, divided by that share among everyone else's choices."""
    p = t["participations"].merge(t["staff"][["staff_id", "hired_on"]], on="staff_id")
    tier = p["module_id"].map(t["modules"].set_index("module_id")["tier"]) == "foundation"
    start = p["enrolled_on"].min()
    new = (p["hired_on"] >= start) & ((p["enrolled_on"] - p["hired_on"]) <= pd.Timedelta(days=days))
    return float(tier[new].mean() / tier[~new].mean())


def colleague_share(t: Tables) -> float:
    """Organization (call-ups): share of offline-class attendees with at least one
    colleague of their unit in the same class."""
    p = t["participations"]
    p = p[p["session_id"].fillna("") != ""].merge(t["staff"][["staff_id", "org_id"]], on="staff_id")
    mode = p["module_id"].map(t["modules"].set_index("module_id")["mode"])
    p = p[mode.isin(OFFLINE_MODES)]
    n = p.groupby(["session_id", "org_id"])["staff_id"].transform("size")
    return float((n >= 2).mean())


def emphasis_lift(t: Tables, truth: Truth) -> float:
    """Organization types' topic emphasis: share of choices in the skills an org type
    emphasises (per the truth) among that type's staff, divided by the share among the
    staff of other types (mean over types)."""
    p = t["participations"].merge(t["staff"][["staff_id", "org_id"]], on="staff_id")
    p["type"] = p["org_id"].map(t["organizations"].set_index("org_id")["org_type"])
    skill = p["module_id"].map(_primary(t))
    lifts = []
    for typ, g in truth.emphasis.groupby("org_type"):
        hit = skill.isin(set(g["skill_id"]))
        mine = p["type"] == typ
        if mine.sum() > 100 and (~mine).sum() > 100:
            lifts.append(hit[mine].mean() / max(hit[~mine].mean(), 1e-9))
    return float(np.mean(lifts))


def quality_uptake(t: Tables) -> float:
    """Quality: correlation across modules between mean satisfaction (an observable proxy
    of quality) and the log change of the module's share of enrolments from the first
    year to the last."""
    p = t["participations"]
    y = p["enrolled_on"].dt.year
    first, last = y.min(), y.max()
    share = p.groupby([y.rename("y"), p["module_id"]]).size().unstack(0, fill_value=0)
    share = share[[first, last]] + 1.0
    share = share / share.sum()
    growth = np.log(share[last] / share[first])
    o = t["outcomes"]
    sat = o[o["kind"] == "satisfaction"].groupby("module_id")["value"].mean()
    both = pd.concat([growth.rename("g"), sat.rename("s")], axis=1).dropna()
    return float(np.corrcoef(both["g"], both["s"])[0, 1])


def repeats(t: Tables) -> int:
    """Number of (staff, module) pairs enrolled in more than once (the rule: 0)."""
    return int(t["participations"].duplicated(["staff_id", "module_id"]).sum())


EFFECT_STATS = {
    # effect fields switched off → statistic
    "interests": (("interest_sd",), "interest_consistency"),
    "needs": (("need",), "need_lift"),
    "sequences": (("seq_boost",), "successor_timing"),
    "prerequisites first": (("prereq_skip",), "prerequisites_first"),
    "foundation first": (("foundation_first",), "foundation_lift"),
    "organization call-ups": (("callup_share",), "colleague_share"),
    "organization-type emphasis": (("org_emphasis",), "emphasis_lift"),
    "quality uptake": (("quality_uptake",), "quality_uptake"),
}
