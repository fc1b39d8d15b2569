"""Evidence about people and modules shared by the knowledge-based recommenders
(``models.recommend.skillgap``, ``models.recommend.cohort``, ``models.recommend.hybrid``).

``Evidence.build(tables, data)`` (everything as of the fitted tables):

- ``cohort``: each person's cohort = (first role, organization type); ``cohort_share``
  = share of the cohort's members who completed each module (cohorts with fewer than
  ``MIN_COHORT`` people fall back to the role, then to everyone);
- ``gap``: per person × skill, ``max(0, target − mastery)`` with the target the highest
  ``role_requirements.level`` over the person's roles and mastery from
  ``features.mastery.skill_mastery`` (assessment scores); ``module_gap`` = Σ over the
  module's skills of weight × gap;
- ``foundation``: modules of tier ``foundation``;
- ``transitions``: "followed-by" counts — how often people completed ``j`` as the next
  module after ``i`` — row-normalised; a person's ``next_score`` sums the rows of their
  last ``LAST_N`` modules (most recent weighted most);
- ``org_share`` / ``org_recent``: share of the person's colleagues (same organization)
  who completed each module, overall and in the last 60 days (call-ups, unit emphasis);
- ``quality``: per module, mean satisfaction and mean post − pre gain (outcomes),
  standardised (0 where a module has none).

Organization priorities are not in the canonical tables, so ``SkillGap`` does not
weight by them (documented choice: there is nothing recorded to weight by).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from features.asof import Tables
from features.mastery import skill_mastery
from features.shared import shared, tables_key
from features.snapshot import snapshot
from models.recommend import reason_text
from models.recommend.data import Interactions

__all__ = ["MIN_COHORT", "Evidence", "cohort_reason"]

MIN_COHORT = 20
LAST_N = 3


def _first_role(role: pd.Series) -> np.ndarray:
    return role.fillna("other").astype(str).str.split("|").str[0].to_numpy(dtype=object)


@dataclass
class Evidence:
    users: pd.Index
    items: pd.Index
    role: np.ndarray  # per user: first role
    roles: np.ndarray  # per user: all roles "a|b"
    org_type: np.ndarray  # per user
    cohort_key: np.ndarray  # per user: "role/org_type" actually used
    cohort_share: dict[str, np.ndarray]  # key → share per item
    cohort_size: dict[str, int]
    global_share: np.ndarray
    gap: np.ndarray | None  # users × skills
    targets: pd.DataFrame  # role, skill_id, level
    mastery: np.ndarray | None  # users × skills
    skills: pd.Index
    module_skill: np.ndarray  # items × skills weights
    foundation: np.ndarray  # per item, bool
    transitions: np.ndarray  # items × items, row-normalised
    last: list[list[int]]  # per user: last completed module codes, newest first
    quality: np.ndarray  # per item
    recent_pop: np.ndarray  # per item: log1p completions in the last 90 days
    mode_share: np.ndarray  # users × modes: share of the person's completions per mode
    modes: pd.Index
    item_mode: np.ndarray  # per item: mode code
    org: np.ndarray  # per user: organization code (−1 = unknown)
    org_share: np.ndarray  # orgs × items: share of the org's staff who completed it
    org_recent: np.ndarray  # orgs × items: share who completed it in the last 60 days
    open_: sp.csr_matrix  # users × items: enrolled, not (yet) completed
    dropped: sp.csr_matrix  # users × items: dropped or no-show
    recent_done: sp.csr_matrix  # users × items: completed in the last 90 days
    affinity: np.ndarray  # users × primary skills: share of the person's completions
    primary: np.ndarray  # per item: primary skill code (−1 = none)
    tenure: np.ndarray  # per user: months employed by the newest record
    skill_names: dict[str, str] = field(default_factory=dict)  # skill_id → name
    #: users × skills: the person's own evidence (``features.profile.MIN_EVIDENCE``);
    #: where False the mastery is the population's prior, and a reason says "not yet
    #: assessed" rather than quoting it as measured (None: every mastery measured)
    measured: np.ndarray | None = None

    @classmethod
    def build(cls, tables: Tables, data: Interactions) -> Evidence:
        """The evidence of ``tables`` (reused for the same inputs while
        ``features.shared.shared_preparation`` is active; it is never modified)."""
        key = ("evidence", tables_key(tables), id(data))
        return shared(key, (tables, data), lambda: cls._build(tables, data))  # type: ignore[return-value]

    @classmethod
    def _build(cls, tables: Tables, data: Interactions) -> Evidence:
        users, items = data.users, data.items
        staff = tables["staff"].copy()
        staff["staff_id"] = staff["staff_id"].astype(str)
        staff = staff.drop_duplicates("staff_id").set_index("staff_id").reindex(users)
        orgs = tables.get("organizations")
        if orgs is not None and "org_type" in orgs and "org_id" in staff:
            ot = orgs.set_index(orgs["org_id"].astype(str))["org_type"].astype(str)
            org_type = staff["org_id"].astype(str).map(ot).fillna("?").to_numpy(dtype=object)
        else:
            org_type = np.full(len(users), "?", dtype=object)
        roles = staff["role"].fillna("other").astype(str).to_numpy(dtype=object)
        role = _first_role(staff["role"])
        x = data.matrix
        n_items = len(items)
        done_per_user = x
        global_share = np.asarray(x.mean(axis=0)).ravel() if len(users) else np.zeros(n_items)
        share: dict[str, np.ndarray] = {"*": global_share}
        size: dict[str, int] = {"*": len(users)}
        key = np.full(len(users), "*", dtype=object)
        for level, keys in (("role", role), ("cohort", role + "/" + org_type)):
            codes, uniq = pd.factorize(keys)
            counts = np.bincount(codes, minlength=len(uniq))
            ind = sp.csr_matrix(
                (np.ones(len(codes)), (codes, np.arange(len(codes)))), shape=(len(uniq), len(codes))
            )
            sums = np.asarray((ind @ done_per_user).todense())
            for c, name in enumerate(uniq):
                if counts[c] >= MIN_COHORT:
                    share[name] = sums[c] / counts[c]
                    size[name] = int(counts[c])
                    key[codes == c] = name
            del level
        # skills: targets and mastery
        skills = (
            pd.Index(tables["skills"]["skill_id"].astype(str))
            if "skills" in tables
            else pd.Index([])
        )
        ms = tables.get("module_skills", pd.DataFrame(columns=["module_id", "skill_id", "weight"]))
        module_skill = np.zeros((n_items, len(skills)))
        if len(skills) and len(ms):
            r = items.get_indexer(ms["module_id"].astype(str))
            c = skills.get_indexer(ms["skill_id"].astype(str))
            ok = (r >= 0) & (c >= 0)
            np.add.at(module_skill, (r[ok], c[ok]), ms["weight"].to_numpy(float)[ok])
        req = tables.get("role_requirements", pd.DataFrame(columns=["role", "skill_id", "level"]))
        gap = mastery = measured = None
        if len(skills) and len(req) and len(users):
            target = np.zeros((len(users), len(skills)))
            lv = req.assign(k=skills.get_indexer(req["skill_id"].astype(str)))
            lv = lv[lv["k"] >= 0]
            for r_name, grp in lv.groupby("role"):
                has = np.array([r_name in str(rs).split("|") for rs in roles])
                if has.any():
                    t = np.zeros(len(skills))
                    np.maximum.at(t, grp["k"].to_numpy(), grp["level"].to_numpy(float))
                    target[has] = np.maximum(target[has], t[None, :])
            mastery, measured = _mastery(tables, users, skills)
            gap = np.where(target > 0, np.maximum(target - mastery, 0.0), 0.0)
        targets = req
        tiers = data.modules["tier"].astype(str).to_numpy() if "tier" in data.modules else None
        foundation = (tiers == "foundation") if tiers is not None else np.zeros(n_items, bool)
        # sequences
        p = tables["participations"]
        done = p[(p["status"] == "completed").to_numpy()]
        u = users.get_indexer(done["staff_id"].astype(str))
        i = items.get_indexer(done["module_id"].astype(str))
        seq = pd.DataFrame({"u": u, "i": i, "t": done["completed_on"].to_numpy()})
        seq = seq[(seq["u"] >= 0) & (seq["i"] >= 0)].sort_values(["u", "t", "i"])
        su, si = seq["u"].to_numpy(), seq["i"].to_numpy()
        same = su[1:] == su[:-1]
        trans = np.zeros((n_items, n_items))
        np.add.at(trans, (si[:-1][same], si[1:][same]), 1.0)
        rows = trans.sum(axis=1, keepdims=True)
        trans = np.divide(trans, rows, out=np.zeros_like(trans), where=rows > 0)
        last: list[list[int]] = [[] for _ in range(len(users))]
        tail = seq.groupby("u").tail(LAST_N)
        for uu, grp in tail.groupby("u"):
            last[int(uu)] = grp["i"].tolist()[::-1]
        # module quality from outcomes
        quality = np.zeros(n_items)
        out = tables.get("outcomes")
        if out is not None and len(out):
            o = out.assign(i=items.get_indexer(out["module_id"].astype(str)))
            o = o[o["i"] >= 0]
            sat = o[o["kind"] == "satisfaction"].groupby("i")["value"].mean()
            piv = o[o["kind"].isin(["pre", "post"])].pivot_table(
                index=["staff_id", "i"], columns="kind", values="value", aggfunc="mean"
            )
            q = pd.Series(0.0, index=range(n_items))
            if len(sat) > 1 and sat.std() > 0:
                q = q.add((sat - sat.mean()) / sat.std(), fill_value=0.0)
            if {"pre", "post"} <= set(piv.columns):
                g = (piv["post"] - piv["pre"]).groupby(level="i").mean().dropna()
                if len(g) > 1 and g.std() > 0:
                    q = q.add((g - g.mean()) / g.std(), fill_value=0.0)
            quality = q.reindex(range(n_items), fill_value=0.0).to_numpy()
        # recent popularity
        recent = np.zeros(n_items)
        if len(seq):
            t_last = seq["t"].max()
            rec = seq[seq["t"] > t_last - pd.Timedelta(days=90)]
            recent = np.log1p(np.bincount(rec["i"].to_numpy(), minlength=n_items))
        modes = pd.Index(sorted(data.modules["mode"].astype(str).unique()))
        item_mode = modes.get_indexer(data.modules["mode"].astype(str))
        onehot = np.zeros((n_items, len(modes)))
        onehot[np.arange(n_items), item_mode] = 1.0
        counts = np.asarray(x @ onehot)
        tot = counts.sum(axis=1, keepdims=True)
        mode_share = np.divide(counts, tot, out=np.zeros_like(counts), where=tot > 0)
        # colleagues' uptake (same organization), overall and in the last 60 days
        org_codes, org_uniq = pd.factorize(staff["org_id"].astype(str).fillna("?"))
        n_org = max(len(org_uniq), 1)
        ind = sp.csr_matrix(
            (np.ones(len(users)), (org_codes, np.arange(len(users)))), shape=(n_org, len(users))
        )
        org_size = np.maximum(np.bincount(org_codes, minlength=n_org), 1)[:, None]
        org_share = np.asarray((ind @ x).todense()) / org_size
        org_recent = np.zeros_like(org_share)
        if len(seq):
            rec60 = seq[seq["t"] > seq["t"].max() - pd.Timedelta(days=60)]
            np.add.at(org_recent, (org_codes[rec60["u"].to_numpy()], rec60["i"].to_numpy()), 1.0)
            org_recent /= org_size

        # enrolment state per person × module
        def state(mask: np.ndarray) -> sp.csr_matrix:
            sub = p[mask]
            r = users.get_indexer(sub["staff_id"].astype(str))
            c = items.get_indexer(sub["module_id"].astype(str))
            ok = (r >= 0) & (c >= 0)
            m = sp.csr_matrix((np.ones(int(ok.sum())), (r[ok], c[ok])), shape=(len(users), n_items))
            m.data[:] = 1.0
            return m

        status = p["status"].astype(str).to_numpy()
        open_ = state(status == "enrolled")
        dropped = state(np.isin(status, ["dropped", "no_show"]))
        newest = seq["t"].max() if len(seq) else pd.NaT
        if len(seq):
            rec90 = seq[seq["t"] > newest - pd.Timedelta(days=90)]
            recent_done = sp.csr_matrix(
                (np.ones(len(rec90)), (rec90["u"].to_numpy(), rec90["i"].to_numpy())),
                shape=(len(users), n_items),
            )
        else:
            recent_done = sp.csr_matrix((len(users), n_items))
        primary = np.full(n_items, -1)
        if module_skill.shape[1]:
            primary = np.where(module_skill.sum(axis=1) > 0, module_skill.argmax(axis=1), -1)
        n_prim = max(len(skills), 1)
        onehot_k = np.zeros((n_items, n_prim))
        has = primary >= 0
        onehot_k[np.flatnonzero(has), primary[has]] = 1.0
        kc = np.asarray(x @ onehot_k)
        ktot = np.maximum(np.asarray(x.sum(axis=1)), 1.0)
        affinity = kc / ktot
        hired = pd.to_datetime(staff["hired_on"]) if "hired_on" in staff else None
        if hired is not None and pd.notna(newest):
            tenure = ((newest - hired).dt.days / 30.44).fillna(0).clip(lower=0).to_numpy()
        else:
            tenure = np.zeros(len(users))
        return cls(
            users, items, role, roles, org_type, key, share, size, global_share, gap, targets,
            mastery, skills, module_skill, foundation, trans, last, quality, recent,
            mode_share, modes, item_mode, org_codes, org_share, org_recent,
            open_, dropped, recent_done, affinity, primary, tenure, _skill_names(tables),
            measured,
        )  # fmt: skip

    # -- per batch --------------------------------------------------------------------
    def cohort_scores(self, rows: np.ndarray) -> np.ndarray:
        out = np.empty((len(rows), len(self.items)))
        for j, r in enumerate(rows):
            out[j] = self.cohort_share[self.cohort_key[r]] if r >= 0 else self.global_share
        return out

    def gap_scores(self, rows: np.ndarray) -> np.ndarray:
        if self.gap is None:
            return np.zeros((len(rows), len(self.items)))
        g = np.zeros((len(rows), len(self.skills)))
        known = rows >= 0
        g[known] = self.gap[rows[known]]
        return g @ self.module_skill.T

    def next_scores(self, rows: np.ndarray) -> np.ndarray:
        out = np.zeros((len(rows), len(self.items)))
        for j, r in enumerate(rows):
            if r >= 0:
                for pos, i in enumerate(self.last[r]):
                    out[j] += self.transitions[i] * (0.5**pos)
        return out

    def org_scores(self, rows: np.ndarray, recent: bool = False) -> np.ndarray:
        table = self.org_recent if recent else self.org_share
        out = np.zeros((len(rows), len(self.items)))
        known = rows >= 0
        out[known] = table[self.org[rows[known]]]
        return out

    def user_rows(self, matrix: sp.csr_matrix, rows: np.ndarray) -> np.ndarray:
        out = np.zeros((len(rows), len(self.items)))
        known = rows >= 0
        if known.any():
            out[known] = np.asarray(matrix[rows[known]].todense())
        return out

    def affinity_scores(self, rows: np.ndarray) -> np.ndarray:
        out = np.zeros((len(rows), len(self.items)))
        known = rows >= 0
        has = self.primary >= 0
        if known.any() and has.any():
            aff = self.affinity[rows[known]]
            out[np.ix_(np.flatnonzero(known), np.flatnonzero(has))] = aff[:, self.primary[has]]
        return out

    def mode_fit(self, rows: np.ndarray) -> np.ndarray:
        share = np.zeros((len(rows), len(self.modes)))
        known = rows >= 0
        share[known] = self.mode_share[rows[known]]
        return share[:, self.item_mode]

    # -- reasons ------------------------------------------------------------------------
    def gap_reason(self, r: int, item: int) -> str | None:
        if self.gap is None or r < 0 or self.mastery is None:
            return None
        contrib = self.gap[r] * self.module_skill[item]
        if contrib.max() <= 0:
            return None
        k = int(np.argmax(contrib))
        skill = self.skills[k]
        if reason_text.get_lang() == "zh-CN":
            skill = self.skill_names.get(skill, skill)
        m = self.mastery[r, k]
        measured = getattr(self, "measured", None)  # None in artifacts saved before it
        return reason_text.words(
            "gap" if measured is None or measured[r, k] else "gap_prior",
            role=reason_text.role(self.role[r]),
            skill=skill,
            mastery=m,
            target=m + self.gap[r, k],
        )


def _skill_names(tables: Tables) -> dict[str, str]:
    sk = tables.get("skills")
    if sk is None or "name" not in sk:
        return {}
    names = sk["name"].where(sk["name"].notna(), sk["skill_id"]).astype(str)
    return dict(zip(sk["skill_id"].astype(str), names, strict=True))


def _mastery(tables: Tables, users: pd.Index, skills: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """users × skills mastery from ``features.mastery`` as of the newest record, and
    whether it is the person's own (evidence ≥ ``MIN_EVIDENCE``, as the profile and the
    learning map judge it) or the population's prior."""
    from features.profile import MIN_EVIDENCE

    p = tables["participations"]
    dates = [p["enrolled_on"].max()]
    if "assessments" in tables and len(tables["assessments"]):
        dates.append(tables["assessments"]["taken_on"].max())
    as_of = max(d for d in dates if pd.notna(d)) if any(pd.notna(d) for d in dates) else None
    out = np.full((len(users), len(skills)), 0.5)
    measured = np.zeros(out.shape, dtype=bool)
    if as_of is None:
        return out, measured
    snap = snapshot(tables, as_of)
    table = skill_mastery(snap)
    srow = users.get_indexer(snap.staff["staff_id"].astype(str))
    kcol = skills.get_indexer(table.skills.astype(str))
    n_k = len(table.skills)
    for kk in range(n_k):
        if kcol[kk] < 0:
            continue
        m, den = table.lookup(np.arange(snap.n_staff), np.full(snap.n_staff, kk))
        ok = srow >= 0
        out[srow[ok], kcol[kk]] = m[ok]
        measured[srow[ok], kcol[kk]] = den[ok] >= MIN_EVIDENCE
    return out, measured


def cohort_reason(ev: Evidence, r: int, i: int) -> str:
    """ "taken by 12% of head staff in foundations"; a share that would round to 0 % says
    "under 1%", and none at all says so (a "0%" reason explains nothing)."""
    key = ev.cohort_key[r] if r >= 0 else "*"
    share = float(ev.cohort_share[key][i])
    role, _, org_type = ("", "", "") if key == "*" else key.partition("/")
    who = reason_text.who(role, org_type)
    if share <= 0:
        return reason_text.words("cohort_none", who=who)
    return reason_text.words("cohort", share=reason_text.percent(share), who=who)
