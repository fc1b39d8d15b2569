"""The ceiling: models that read the demo generator's truth (``engine.demo.truth``).

Only demo data written with ``--truth`` has one (``DIR/_truth/``).  The harness hands
the loaded ``Truth`` to these models as the ``truth`` parameter.

``OracleRecommender`` ranks modules by each person's TRUE probability that their next
chosen module is that one, given their history up to the training cut
(``truth.choice_probabilities``).  The test set holds every completion in the horizon,
not only the next one, so this is the best ranking of the next choice — the ceiling
in practice, not a proof of one.

``OracleRisk`` is the true chance of missing the requirement: with λ the generator's
expected completions (person-time policies) or hours (hours policies) from the day
after ``as_of`` to the deadline, p_miss = P(Poisson(λ) < still needed).  (For hours the
Poisson is on hours, a rough proxy.)  Credits policies have no oracle.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

import numpy as np
import pandas as pd
from scipy.stats import poisson

from engine.policy import Policy
from experiments.risk_models import asked, status_on
from features.asof import Tables, to_timestamp
from models.contract import check_fitted
from models.recommend.base import Recommender
from models.recommend.data import Interactions
from models.recommend.filters import Batch
from models.risk.base import RiskEstimator, as_policy

DAY = pd.Timedelta(days=1)


class OracleRecommender(Recommender):
    reason = "oracle"  # catalogue key: the generator's true choice probability

    def __init__(self, truth: object = None) -> None:
        self.truth = truth

    def fit(
        self,
        tables: Tables,
        as_of=None,  # noqa: ANN001
        policy: Policy | str | None = None,
        person_as_of: pd.Series | None = None,
    ) -> Self:
        """``person_as_of`` (staff_id → date) overrides ``as_of`` per person (leave-last)."""
        if self.truth is None:
            raise ValueError(
                "the oracle needs the generator's truth: use demo data written with --truth"
            )
        super().fit(tables, as_of, policy)
        p = tables["participations"]
        self.participations_ = p
        # rows of each person, so a block of people hands the truth only their own
        # history (its state is per person; scanning every row for each block of
        # 1,024 people made the oracle quadratic at 100,000 staff)
        code = self.data_.users.get_indexer(p["staff_id"].astype(str).to_numpy(dtype=object))
        order = np.argsort(code, kind="stable")
        self.row_order_ = order
        self.row_bounds_ = np.searchsorted(code[order], np.arange(len(self.data_.users) + 1))
        if as_of is None:
            as_of = pd.to_datetime(tables["participations"]["completed_on"]).max()
        self.as_of_ = pd.Timestamp(as_of).normalize()
        self.person_as_of_ = person_as_of
        return self

    def _fit(self, data: Interactions, tables: Tables) -> None:
        pass

    def _scores(self, batch: Batch) -> np.ndarray:
        items = self.data_.items
        out = np.zeros((len(batch.staff_ids), len(items)))
        ids = pd.Series(batch.staff_ids)
        if self.person_as_of_ is not None:
            dates = ids.map(self.person_as_of_).fillna(self.as_of_)
        else:
            dates = pd.Series(self.as_of_, index=ids.index)
        pos = pd.Index(batch.staff_ids)
        known = batch.rows[batch.rows >= 0]
        lo, hi = self.row_bounds_[known], self.row_bounds_[known + 1]
        spans = [self.row_order_[a:b] for a, b in zip(lo, hi, strict=True)]
        take = np.sort(np.concatenate(spans)) if spans else np.zeros(0, dtype=np.int64)
        own = self.participations_.iloc[take] if len(take) else self.participations_.iloc[:0]
        for when, who in ids.groupby(dates.to_numpy()):
            p = self.truth.choice_probabilities(own, when, staff_ids=list(who))
            r = pos.get_indexer(p["staff_id"].astype(str))
            c = items.get_indexer(p["module_id"].astype(str))
            ok = (r >= 0) & (c >= 0)
            out[r[ok], c[ok]] = p["p"].to_numpy(dtype=float)[ok]
        return out


class OracleRisk(RiskEstimator):
    """p_miss from the truth's expected activity (see the module docstring)."""

    def __init__(self, truth: object = None) -> None:
        self.truth = truth

    def fit(
        self,
        tables: Tables,
        as_of,  # noqa: ANN001
        policy: Policy | str,
        y: pd.Series | None = None,
    ) -> Self:
        """Nothing to learn: checks the truth and the policy and keeps them."""
        del tables, y
        if self.truth is None:
            raise ValueError(
                "the oracle needs the generator's truth: use demo data written with --truth"
            )
        policy = as_policy(policy)
        if policy.kind == "credits":
            raise ValueError("the risk oracle supports person_times and hours policies only")
        self.policy_ = policy
        self.as_of_ = to_timestamp(as_of)
        return self

    def predict(
        self,
        tables: Tables,
        as_of,  # noqa: ANN001
        staff_ids: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        check_fitted(self, "call fit(tables, as_of, policy) first")
        t = to_timestamp(as_of)
        status = status_on(tables, t, self.policy_)
        people = asked(status, staff_ids, "oracle")
        st = status.reindex(people).rename_axis("staff_id").reset_index()
        p = np.zeros(len(st))  # no deadline: nothing owed
        col = "completions" if self.policy_.kind == "person_times" else "hours"
        for deadline, idx in st.groupby("deadline", observed=True).groups.items():
            rows = st.loc[idx]
            exp = self.truth.expected_activity(  # type: ignore[attr-defined]
                list(rows["staff_id"]), t + DAY, pd.Timestamp(deadline) + DAY
            ).set_index("staff_id")
            lam = exp[col].reindex(rows["staff_id"]).fillna(0.0).to_numpy(dtype=float)
            need = rows["remaining"].to_numpy(dtype=float)
            # P(N < need) = P(N ≤ ceil(need) − 1)
            p[st.index.get_indexer(idx)] = poisson.cdf(np.ceil(need) - 1, np.maximum(lam, 1e-12))
        return pd.DataFrame(
            {"staff_id": people.to_numpy(dtype=object), "p_miss": np.clip(p, 0.0, 1.0)}
        )
