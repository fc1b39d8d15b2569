"""Where a person stands on their training requirement, for the recommenders.

``quota_state(tables, data, policy, as_of)`` evaluates ``features.compliance`` on the
records known on ``as_of`` and keeps, per person of ``data.users``:

- ``behind``: the requirement is not met (``remaining > 0``) — on track, at risk and
  overdue alike (overdue = remedial training, 补训, still owed);
- ``done`` / ``required`` and the deadline's year, for the reason text.

A module *counts* toward the requirement when its mode is one of the policy's
``modes`` and it earns something in the policy's units: any completion for
person-times, hours > 0 for hours, credits > 0 (or hours, when the catalogue has no
credits column) for credits.

Recommenders fitted with a policy rank, for a person who is behind, the modules that
count before those that do not (the model's order is kept within each group) and say
so: "counts toward your 2027 quota (2 of 5 done)".  Documented choice: a person past
the deadline who still owes training is favoured the same way (remedial training).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from engine.policy import Policy, load_policy
from models.recommend.data import Interactions

__all__ = ["QuotaState", "quota_state"]


@dataclass
class QuotaState:
    behind: np.ndarray  # per user: requirement not met
    done: np.ndarray  # per user, in the policy's units
    required: np.ndarray
    year: np.ndarray  # per user: the deadline's year (0 = none)
    counts: np.ndarray  # per item: the module counts toward the requirement
    kind: str

    def reason(self, r: int) -> str:
        from models.recommend.reason_text import quota

        return quota(self.kind, int(self.year[r]), self.done[r], self.required[r])


def quota_state(
    tables: dict[str, pd.DataFrame],
    data: Interactions,
    policy: Policy | str,
    as_of: date | str | pd.Timestamp | None,
) -> QuotaState:
    from features.compliance import compliance
    from features.snapshot import snapshot

    if isinstance(policy, str):
        policy = load_policy(policy)
    n_users = len(data.users)
    mods = data.modules
    counts = mods["mode"].astype(str).isin(policy.modes).to_numpy().copy()
    if policy.kind == "hours":
        counts &= mods["hours"].fillna(0).to_numpy(float) > 0
    elif policy.kind == "credits":
        col = "credits" if "credits" in mods else "hours"
        counts &= pd.to_numeric(mods[col], errors="coerce").fillna(0).to_numpy(float) > 0
    behind = np.zeros(n_users, bool)
    done = np.zeros(n_users)
    required = np.zeros(n_users)
    year = np.zeros(n_users, int)
    if as_of is None:
        p = tables["participations"]
        as_of = p["enrolled_on"].max() if len(p) else None
    if as_of is not None and pd.notna(as_of) and len(tables["staff"]):
        status = compliance(snapshot(tables, as_of), policy)
        r = data.users.get_indexer(status["staff_id"].astype(str))
        ok = r >= 0
        rem = pd.to_numeric(status["remaining"], errors="coerce").fillna(0).to_numpy(float)
        behind[r[ok]] = rem[ok] > 0
        done[r[ok]] = pd.to_numeric(status["done"], errors="coerce").fillna(0).to_numpy()[ok]
        required[r[ok]] = (
            pd.to_numeric(status["required"], errors="coerce").fillna(0).to_numpy()[ok]
        )
        dl = pd.to_datetime(status["deadline"])
        year[r[ok]] = dl.dt.year.fillna(0).astype(int).to_numpy()[ok]
    return QuotaState(behind, done, required, year, counts, policy.kind)
