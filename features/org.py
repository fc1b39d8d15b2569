"""Organization profiles as of a date, from the staff-level compliance status.

Counts use staff employed on the as-of date.  ``share_<status>`` is over staff who owe
something (required > 0); ``share_behind`` is the share of those at risk or overdue.
``remaining`` is the person-times (or hours, credits) still needed for full coverage.

The unit rule (source 002 第十八条: 干部学分考核不合格人数达到三分之一以上的单位，班子年度考核
不能评为"先进"等次) is a yearly *credits* rule, evaluated only under a ``credits`` policy
with its ``unit_unqualified_share`` (default 1/3):

- for each year of the window that has ended by the as-of date,
  ``unqualified_share_<year>`` is the share of the unit's staff to whom that year
  applies (employed in it, covered by the data) who were not qualified, and
  ``unit_rule_<year>`` says it reached the threshold — the unit cannot be rated
  advanced for that year; both are empty where the year applies to nobody;
- the current year is provisional: ``unqualified_share_<year>_provisional`` is the
  share of staff owing credits this year who are behind (at risk or overdue), and
  ``unit_rule_<year>_provisional`` whether it reaches the threshold;
- ``unqualified_share`` / ``unit_rule_flag`` repeat the latest ended year
  (``unit_rule_year``).  Under person-time and hours policies the rule does not apply:
  ``unqualified_share`` and ``unit_rule_year`` are empty and ``unit_rule_flag`` is false.

Staff are counted under their current organization.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.policy import Policy
from engine.schema import ROLES
from features.compliance import STATUSES
from features.snapshot import Snapshot, role_members

_EPS = 1e-9

ORG_COLUMNS = ["org_id", "name", "org_type", "region", "ministry_managed", "rating"]


def role_status(snap: Snapshot, status: pd.DataFrame) -> pd.DataFrame:
    """Long table: org_id, role, n, and the count and share of each status (rows for
    the organization and role pairs that occur, sorted by both)."""
    st = status[snap.employed]
    st = st[st["required"] > 0]
    org_codes, orgs = pd.factorize(st["org_id"], sort=True)
    stat = pd.Categorical(st["status"].astype(str), categories=list(STATUSES)).codes.astype(
        np.int64
    )
    role_codes, names, member = role_members(st["role"])
    k = len(STATUSES)
    ok = (org_codes >= 0) & (stat >= 0)
    parts = []
    for j, role in enumerate(names):
        rows = ok & member[role_codes, j]
        cells = np.bincount(org_codes[rows] * k + stat[rows], minlength=len(orgs) * k)
        counts = cells.reshape(len(orgs), k)
        seen = np.flatnonzero(counts.sum(axis=1) > 0)
        part = pd.DataFrame(counts[seen], columns=list(STATUSES))
        part.insert(0, "role", role)
        part.insert(0, "org_id", np.asarray(orgs)[seen])
        part["_order"] = seen * len(names) + j
        parts.append(part)
    if not parts:
        cols = ["org_id", "role", "n", *STATUSES, *(f"share_{s}" for s in STATUSES)]
        return pd.DataFrame(columns=cols)
    out = pd.concat(parts, ignore_index=True).sort_values("_order", kind="stable")
    out = out.drop(columns="_order").reset_index(drop=True)
    out.insert(2, "n", out[list(STATUSES)].sum(axis=1))
    for s in STATUSES:
        out[f"share_{s}"] = (out[s] / out["n"]).round(4)
    return out


def _share(flags: pd.Series, org: pd.Series, index: pd.Index) -> pd.Series:
    """Per organization: the share of True among the non-missing ``flags``."""
    known = flags.notna()
    bad = flags.fillna(False).astype(bool)
    n = known.groupby(org).sum().reindex(index, fill_value=0)
    k = (bad & known).groupby(org).sum().reindex(index, fill_value=0)
    return (k / n.where(n > 0)).astype(float)


def unit_rule(status: pd.DataFrame, policy: Policy | None, index: pd.Index) -> pd.DataFrame:
    """The credits unit rule per organization and year (see the module docstring)."""
    out = pd.DataFrame(index=index)
    out["unqualified_share"] = np.nan
    out["unit_rule_flag"] = False
    out["unit_rule_year"] = pd.array([pd.NA] * len(index), dtype="Int64")
    if policy is None or policy.kind != "credits" or policy.credits is None:
        return out
    limit = policy.credits.unit_unqualified_share - _EPS
    org = status["org_id"]
    for y in policy.years:
        col = f"qualified_{y}"
        if col not in status.columns:
            continue
        share = _share(~status[col].astype("boolean"), org, index)
        out[f"unqualified_share_{y}"] = share.round(4)
        out[f"unit_rule_{y}"] = pd.array(share >= limit, dtype="boolean")
        out.loc[share.isna(), f"unit_rule_{y}"] = pd.NA
        out["unqualified_share"] = share.round(4)
        out["unit_rule_flag"] = (share >= limit).to_numpy()
        out["unit_rule_year"] = y
    ended = [y for y in policy.years if f"qualified_{y}" in status.columns]
    current = int(status["deadline"].max().year) if len(status) else None
    if current is not None and current not in ended:
        owing = status["required"] > 0
        behind = status["status"].isin(["at_risk", "overdue"]).astype("boolean")
        share = _share(behind.where(owing, pd.NA), org, index)
        out[f"unqualified_share_{current}_provisional"] = share.round(4)
        out[f"unit_rule_{current}_provisional"] = (share >= limit).to_numpy()
    return out


def org_profiles(
    snap: Snapshot, status: pd.DataFrame, policy: Policy | None = None
) -> pd.DataFrame:
    """One row per organization (see the module docstring).  Without ``policy`` (the
    one ``status`` was computed under) the unit rule is not evaluated."""
    emp = snap.employed
    st = status[emp]
    out = snap.orgs[ORG_COLUMNS].copy().set_index("org_id")
    out["n_staff"] = st.groupby("org_id").size().reindex(out.index, fill_value=0)
    # per role: integer counts over the distinct role combinations (see role_members)
    at = out.index.get_indexer(st["org_id"])
    role_codes, names, member = role_members(st["role"])
    for r in ROLES:
        if r in names:
            rows = (at >= 0) & member[role_codes, names.index(r)]
            out[f"staff_{r}"] = np.bincount(at[rows], minlength=len(out)).astype(int)
        else:
            out[f"staff_{r}"] = 0
    owing = st[st["required"] > 0]
    counts = owing.groupby(["org_id", "status"], observed=True).size().unstack(fill_value=0)
    counts = counts.reindex(index=out.index, columns=list(STATUSES), fill_value=0)
    n_owing = counts.sum(axis=1)
    out["n_owing"] = n_owing
    for s in STATUSES:
        out[f"share_{s}"] = (counts[s] / n_owing.where(n_owing > 0)).round(4)
    behind = (counts["at_risk"] + counts["overdue"]) / n_owing.where(n_owing > 0)
    out["share_behind"] = behind.round(4)
    out = out.join(unit_rule(status, policy, out.index))
    out["remaining"] = st.groupby("org_id")["remaining"].sum().reindex(out.index, fill_value=0)
    done = snap.done()
    if len(done):
        org_code = snap.staff["org"].to_numpy()[done["s"].to_numpy()]
        year = done["completed_on"].dt.year.to_numpy()
        mode = np.where(done["offline"].to_numpy(), "offline", "online")
        pt = (
            pd.DataFrame({"org": snap.orgs["org_id"].to_numpy()[org_code], "m": mode, "y": year})
            .groupby(["org", "m", "y"])
            .size()
            .unstack(["m", "y"], fill_value=0)
            .sort_index(axis=1)
        )
        for m, y in pt.columns:
            out[f"pt_{m}_{y}"] = pt[(m, y)].reindex(out.index, fill_value=0).astype(int)
    return out.reset_index()
