"""A tiny stand-in for ``engine.demo.truth.Truth`` that knows the future exactly.

It follows the Truth contract (CONTRACTS.md): ``choice_probabilities`` gives each
person's probability of their next module (here: the modules they really complete
after ``as_of``, earliest first), ``expected_activity`` the completions and hours in
``[start, end)`` (here: the real ones)."""

from __future__ import annotations

import numpy as np
import pandas as pd


class FutureTruth:
    def __init__(self, tables: dict[str, pd.DataFrame]) -> None:
        p = tables["participations"]
        self.done = p[p["status"] == "completed"]

    def choice_probabilities(self, participations, as_of, staff_ids=None) -> pd.DataFrame:  # noqa: ANN001
        as_of = pd.Timestamp(as_of)
        seen = participations[participations["status"] == "completed"]
        seen = seen[seen["completed_on"] <= as_of]
        taken = set(zip(seen["staff_id"], seen["module_id"], strict=True))
        later = self.done[self.done["completed_on"] > as_of].sort_values(
            ["completed_on", "module_id"]
        )
        if staff_ids is not None:
            later = later[later["staff_id"].isin(list(staff_ids))]
        new = [(s, m) not in taken for s, m in zip(later.staff_id, later.module_id, strict=True)]
        later = later[np.asarray(new, dtype=bool)]
        later = later.drop_duplicates(["staff_id", "module_id"])
        w = 1.0 / (1.0 + later.groupby("staff_id").cumcount())
        out = pd.DataFrame({"staff_id": later["staff_id"], "module_id": later["module_id"], "p": w})
        return out.assign(p=out["p"] / out.groupby("staff_id")["p"].transform("sum")).reset_index(
            drop=True
        )

    def expected_activity(self, staff_ids, start, end) -> pd.DataFrame:  # noqa: ANN001
        d = self.done[
            (self.done["completed_on"] >= pd.Timestamp(start))
            & (self.done["completed_on"] < pd.Timestamp(end))
        ]
        g = d.groupby("staff_id").agg(completions=("module_id", "size"), hours=("hours", "sum"))
        g = g.reindex(list(staff_ids), fill_value=0).rename_axis("staff_id").reset_index()
        return g.astype({"completions": float, "hours": float})


class ShortfallRisk:
    """A ``StaffRisk``-shaped model (fit(tables, as_of, policy) / predict(tables, as_of)):
    p_miss grows with the share of the requirement still open on as_of."""

    def __init__(self, random_state: int = 0) -> None:
        self.random_state = random_state

    def fit(self, tables, as_of, policy):  # noqa: ANN001, ANN201
        from features.compliance import compliance
        from features.snapshot import snapshot

        # learns only from records on or before as_of (the harness passes as-of tables)
        latest = tables["participations"]["enrolled_on"].max()
        assert latest <= pd.Timestamp(as_of), "a record after as_of reached the model"
        self.status_ = compliance(snapshot(tables, as_of), policy)
        return self

    def predict(self, tables, as_of) -> pd.DataFrame:  # noqa: ANN001
        s = self.status_
        open_share = s["remaining"] / s["required"].where(s["required"] > 0, 1)
        return pd.DataFrame(
            {
                "staff_id": s["staff_id"],
                "org_id": s["org_id"],
                "p_miss": (0.1 + 0.8 * open_share).clip(0, 1),
                "expected_shortfall": s["remaining"],
                "status": s["status"],
                "drivers": "",
            }
        )
