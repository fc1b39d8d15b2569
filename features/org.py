"""Organization profiles as of a date, from the staff-level compliance status.

Counts use staff employed on the as-of date.  ``share_<status>`` is over staff who owe
something (required > 0).  ``unqualified_share`` is the share of those at risk or
overdue, and ``unit_rule_flag`` is set where it reaches ``unit_share`` (default 1/3,
the credits rule of source 002: such a unit cannot be rated "advanced" that year).
``remaining`` is the person-times (or hours, credits) still needed for full coverage.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.schema import ROLES
from features.compliance import STATUSES
from features.snapshot import Snapshot

ORG_COLUMNS = ["org_id", "name", "org_type", "region", "ministry_managed", "rating"]


def role_status(snap: Snapshot, status: pd.DataFrame) -> pd.DataFrame:
    """Long table: org_id, role, n, and the count and share of each status."""
    st = status[snap.employed]
    st = st[st["required"] > 0]
    roles = st.assign(role=st["role"].str.split("|")).explode("role")
    counts = roles.groupby(["org_id", "role", "status"], observed=True).size().unstack(fill_value=0)
    counts = counts.reindex(columns=list(STATUSES), fill_value=0)
    counts.columns = list(STATUSES)
    counts.insert(0, "n", counts.sum(axis=1))
    for s in STATUSES:
        counts[f"share_{s}"] = (counts[s] / counts["n"]).round(4)
    return counts.reset_index()


def org_profiles(snap: Snapshot, status: pd.DataFrame, unit_share: float = 1 / 3) -> pd.DataFrame:
    """One row per organization (see the module docstring)."""
    emp = snap.employed
    st = status[emp]
    out = snap.orgs[ORG_COLUMNS].copy().set_index("org_id")
    out["n_staff"] = st.groupby("org_id").size().reindex(out.index, fill_value=0)
    roles = st["role"].str.split("|").explode()
    by_role = pd.crosstab(st["org_id"].reindex(roles.index).to_numpy(), roles.to_numpy())
    for r in ROLES:
        col = by_role[r] if r in by_role.columns else pd.Series(dtype=int)
        out[f"staff_{r}"] = col.reindex(out.index, fill_value=0).astype(int)
    owing = st[st["required"] > 0]
    counts = owing.groupby(["org_id", "status"], observed=True).size().unstack(fill_value=0)
    counts = counts.reindex(index=out.index, columns=list(STATUSES), fill_value=0)
    n_owing = counts.sum(axis=1)
    out["n_owing"] = n_owing
    for s in STATUSES:
        out[f"share_{s}"] = (counts[s] / n_owing.where(n_owing > 0)).round(4)
    unq = (counts["at_risk"] + counts["overdue"]) / n_owing.where(n_owing > 0)
    out["unqualified_share"] = unq.round(4)
    out["unit_rule_flag"] = (unq >= unit_share - 1e-9).fillna(False).astype(bool)
    out["remaining"] = st.groupby("org_id")["remaining"].sum().reindex(out.index, fill_value=0)
    done = snap.done()
    if len(done):
        org_code = snap.staff["org"].to_numpy()[done["s"].to_numpy()]
        year = done["completed_on"].dt.year.to_numpy()
        mode = np.where(done["offline"].to_numpy(), "offline", "online")
        pt = pd.crosstab(snap.orgs["org_id"].to_numpy()[org_code], [mode, year])
        for m, y in pt.columns:
            out[f"pt_{m}_{y}"] = pt[(m, y)].reindex(out.index, fill_value=0).astype(int)
    return out.reset_index()
