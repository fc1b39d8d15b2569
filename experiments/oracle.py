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

import numpy as np
import pandas as pd
from scipy.stats import poisson

from features.asof import Tables
from models.recommend.base import Recommender
from models.recommend.data import Interactions
from models.recommend.filters import Batch

DAY = pd.Timedelta(days=1)


class OracleRecommender(Recommender):
    reason = "oracle: the generator's true choice probability"

    def __init__(self, truth: object = None) -> None:
        self.truth = truth

    def fit(self, tables: Tables, as_of=None, person_as_of: pd.Series | None = None):  # noqa: ANN001, ANN201
        """``person_as_of`` (staff_id → date) overrides ``as_of`` per person (leave-last)."""
        if self.truth is None:
            raise ValueError(
                "the oracle needs the generator's truth: use demo data written with --truth"
            )
        super().fit(tables, as_of)
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
        take = np.sort(np.concatenate([self.row_order_[a:b] for a, b in zip(lo, hi, strict=True)]))
        own = self.participations_.iloc[take] if len(take) else self.participations_.iloc[:0]
        for when, who in ids.groupby(dates.to_numpy()):
            p = self.truth.choice_probabilities(own, when, staff_ids=list(who))
            r = pos.get_indexer(p["staff_id"].astype(str))
            c = items.get_indexer(p["module_id"].astype(str))
            ok = (r >= 0) & (c >= 0)
            out[r[ok], c[ok]] = p["p"].to_numpy(dtype=float)[ok]
        return out


class OracleRisk:
    """p_miss from the truth's expected activity (see the module docstring)."""

    needs_labels = False

    def __init__(self, truth: object = None) -> None:
        self.truth = truth

    def predict_fold(self, fold) -> np.ndarray:  # noqa: ANN001
        if self.truth is None:
            raise ValueError(
                "the oracle needs the generator's truth: use demo data written with --truth"
            )
        kind = fold.policy.kind
        if kind == "credits":
            raise ValueError("the risk oracle supports person_times and hours policies only")
        st = fold.status
        p = np.empty(len(st))
        for deadline, idx in st.groupby("deadline", observed=True).groups.items():
            rows = st.loc[idx]
            exp = self.truth.expected_activity(
                list(rows["staff_id"]), fold.as_of + DAY, pd.Timestamp(deadline) + DAY
            ).set_index("staff_id")
            col = "completions" if kind == "person_times" else "hours"
            lam = exp[col].reindex(rows["staff_id"]).fillna(0.0).to_numpy(dtype=float)
            need = rows["remaining"].to_numpy(dtype=float)
            # P(N < need) = P(N ≤ ceil(need) − 1)
            p[st.index.get_indexer(idx)] = poisson.cdf(np.ceil(need) - 1, np.maximum(lam, 1e-12))
        return np.clip(p, 0.0, 1.0)
