"""A tiny stand-in for ``engine.demo.truth.Truth`` that knows the future exactly.

It follows the Truth contract (CONTRACTS.md): ``choice_probabilities`` gives each
person's probability of their next module (here: the modules they really complete
after ``as_of``, earliest first), ``expected_activity`` the completions and hours in
``[start, end)`` (here: the real ones)."""

from __future__ import annotations

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
        later = later[
            [(s, m) not in taken for s, m in zip(later.staff_id, later.module_id, strict=True)]
        ]
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
