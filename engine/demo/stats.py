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


def colleague_share(t: Tables) -> float:
    """Organization (call-ups): share of offline-class attendees with at least one
    colleague of their unit in the same class."""
    p = t["participations"]
    p = p[p["session_id"].fillna("") != ""].merge(t["staff"][["staff_id", "org_id"]], on="staff_id")
    mode = p["module_id"].map(t["modules"].set_index("module_id")["mode"])
    p = p[mode.isin(OFFLINE_MODES)]
    n = p.groupby(["session_id", "org_id"])["staff_id"].transform("size")
    return float((n >= 2).mean())


def _main_topic(truth: Truth) -> pd.Series:
    return truth.modules.set_index("module_id")["topic"]


def topic_lift(t: Tables, truth: Truth, seed: int = 0) -> float:
    """Interests: share of enrolments in modules whose main latent topic is the person's
    strongest interest that year, divided by the same share when each enrolment is paired
    with a random other person's strongest interest (chance)."""
    p = t["participations"]
    year = p["enrolled_on"].dt.year.to_numpy()
    it = truth.interests
    cols = [c for c in it.columns if c.startswith("interest_")]
    keys = truth.topics["key"].to_numpy()
    top = pd.Series(
        keys[it[cols].to_numpy().argmax(axis=1)],
        index=pd.MultiIndex.from_arrays([it["staff_id"], it["year"]]),
    )
    fav = top.reindex(pd.MultiIndex.from_arrays([p["staff_id"], year])).to_numpy()
    topic = p["module_id"].map(_main_topic(truth)).to_numpy()
    own = (topic == fav).mean()
    other = (topic == np.random.default_rng(seed).permutation(fav)).mean()
    return float(own / max(other, 1e-9))


def view_agreement(t: Tables, truth: Truth) -> tuple[float, float]:
    """Titles and skills as views of the latent topic: the share of modules whose title
    contains a phrase of their main topic's vocabulary, and whose primary skill is one the
    main topic links (1 would be a perfect view)."""
    topics = truth.topics.set_index("key")
    main = t["modules"]["module_id"].map(_main_topic(truth))
    words = main.map(topics["words"].str.split("|"))
    title = np.mean(
        [any(w in x for w in ws) for x, ws in zip(t["modules"]["title"], words, strict=True)]
    )
    linked = main.map(topics["skills"].str.split("|"))
    prim = t["modules"]["module_id"].map(_primary(t))
    skill = np.mean([s in ls for s, ls in zip(prim, linked, strict=True)])
    return float(title), float(skill)


def renewal_shares(t: Tables) -> pd.Series:
    """Per calendar year of the participations: the share of the modules offered that year
    (a self-paced module running some day of it; a session-bound one with a class opening
    for enrolment in it) first offered that year."""
    m = t["modules"].set_index("module_id")
    s = t["sessions"]
    opens = pd.to_datetime(s["enrol_from"]).fillna(pd.to_datetime(s["starts_on"]))
    first = opens.groupby(s["module_id"]).min()
    frm = pd.to_datetime(m["offered_from"])
    first = frm.combine_first(first)
    out = {}
    for y in sorted(t["participations"]["enrolled_on"].dt.year.unique()):
        a, b = pd.Timestamp(f"{y}-01-01"), pd.Timestamp(f"{y}-12-31")
        to = pd.to_datetime(m["offered_to"]).fillna(pd.Timestamp.max)
        paced = m.index[(frm <= b) & (to >= a)]
        bound = s.loc[(opens >= a) & (opens <= b), "module_id"].unique()
        offered = pd.Index(paced).union(pd.Index(bound))
        f = first.reindex(offered)
        out[int(y)] = float(((f >= a) & (f <= b)).mean())
    return pd.Series(out)


def quality_uptake(t: Tables, truth: Truth) -> float:
    """Quality: correlation across modules between latent quality and log enrolments per
    month the module could be chosen."""
    months = truth.offers.groupby("module_id").size()
    n = t["participations"]["module_id"].value_counts().reindex(months.index, fill_value=0)
    q = truth.modules.set_index("module_id")["quality"].reindex(months.index)
    return float(np.corrcoef(q, np.log((n + 1) / months))[0, 1])


def repeats(t: Tables) -> int:
    """Number of (staff, module) pairs enrolled in more than once (the rule: 0)."""
    return int(t["participations"].duplicated(["staff_id", "module_id"]).sum())


EFFECT_STATS = {
    # effect fields switched off → statistic
    "interests": (("interest_sd", "role_focus", "org_emphasis"), "topic_lift"),
    "prerequisites first": (("prereq_skip",), "prerequisites_first"),
    "organization call-ups": (("callup_share",), "colleague_share"),
    "quality uptake": (("quality_uptake",), "quality_uptake"),
}
#: statistics that also read the ground truth
WITH_TRUTH = ("topic_lift", "quality_uptake")
