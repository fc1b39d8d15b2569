"""Staff risk: the probability that a person misses their requirement by the deadline.

``StaffRisk().fit(tables, as_of, policy).predict(tables, as_of)`` gives, per staff
member employed on ``as_of`` (columns of DESIGN.md's CLI contract):
``staff_id, org_id, p_miss, expected_shortfall, status, drivers`` plus ``required``,
``done``, ``remaining``, ``deadline``, ``expected_future`` and ``units``.

How it learns (only records dated on or before the training ``as_of``):

1. **Backtests.** Snapshots every ``step_days`` before ``as_of`` (not earlier than
   ``min_history_days`` after the first record).  At each snapshot *s*, features are
   computed from the as-of-*s* view, and the label is what the person completed in
   (s, min(as_of, the row's deadline)] — counted in the policy's units (person-times;
   hours; credits), only modules of the policy's modes — with exposure = days employed
   in that span.  For yearly rules the deadline is that year's end, so snapshots in
   finished years carry the real outcome of those years.
2. **Rate model.** Gradient-boosted trees with a Poisson loss learn each person's
   rate of completion per year from their own history (recent and long-run rates,
   time since the last completion, no-shows, drops, pending enrolments), their
   colleagues' and their role's rates (which carry the estimate where one's own
   history is thin), and where they stand (remaining, days left).  The horizon is a
   feature, so one model predicts the rate over any time left.  Calendar position in
   the policy window is deliberately not a feature: the latest snapshots are always
   short-horizon rows, and trees would carry their season over to the prediction
   date (``elapsed_share`` stays in the output for reading).  Instead the history
   rates are taken per *seasonal* year (``models.risk.season``: the calendar intensity of
   completions, estimated from the records; ``seasonal=False`` turns it off), so a
   rate observed over quiet months compares with one observed over a whole year.
   Measured on the cadre demo (strong year-end season), risk as of 2026-06-30 for the
   year's hours (``experiments/configs/risk-cadre.toml``, seed 0): with records from
   2025 only, ECE 0.388 → 0.033 and Brier 0.318 → 0.123 (the model had read the quiet
   first half of 2025 as a low rate: mean p 0.62 against 0.24 observed); with records
   from 2023, ECE 0.023 → 0.020, ROC-AUC 0.914 → 0.917; national demo unchanged (0.901,
   ECE 0.012 → 0.013).  Scaling the outcome and the time left by the season as well
   was worse (mean p 0.18 against 0.24 with records from 2025): the estimated season
   holds the year-end rush of those who are behind, which the backtests already learn.
3. **From rate to probability.** Future completions over the time left are
   negative binomial (a Poisson rate with gamma-distributed uncertainty) with mean
   rate × time left and a shape fitted by maximum likelihood on out-of-fold backtest
   predictions.  ``p_miss = P(X < remaining)``; expected shortfall
   ``E[max(remaining − X, 0)]``.  Hours and credits are put on a count scale by the
   median value of one completion (documented approximation).
4. **Calibration.** Isotonic regression of the out-of-fold backtest events
   ("fewer than the remaining requirement were completed within the horizon") on the
   negative-binomial probability; checked with a reliability curve, Brier and ECE.
5. **Units.** The same out-of-fold events, grouped by organization and snapshot, give
   the size σ of a shared unit effect (``models.risk.unit_effect``): how much staff of
   one unit miss together beyond their own probabilities.  ``p_unit_rule`` uses it
   (``models.risk.org``).  Measured in the harness (``risk`` vs ``risk/independent``,
   slice ``org``): cadre demo under credits, 150 units, σ ≈ 0.6; Brier of p_unit_rule
   0.0485 / 0.0561 / 0.0543 against 0.0511 / 0.0581 / 0.0591 independent as of
   31 March / 30 June / 30 September 2026, ECE 0.050 / 0.037 / 0.063 against
   0.043 / 0.041 / 0.072; national demo (200 units, dispersion 1.11: nearly
   independent) Brier 0.0269 against 0.0263.

Where finished years exist (yearly hours/credits rules), the backtests of the earlier
years are simply more rows: each snapshot's label reaches to ``as_of`` at most.
Staff who already met the requirement, or owe nothing, get ``p_miss = 0``.
``status`` is today's pace and ``p_miss`` the forecast for the deadline; the
``forecast_vs_status`` column flags the rows where they disagree (``models.risk.agreement``).
Future departures are not known on ``as_of``: ``left_on`` after ``as_of`` is ignored.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import roc_auc_score
from threadpoolctl import threadpool_limits
from tqdm import tqdm

from engine.policy import Policy
from engine.progress import words as bar_words
from features.snapshot import Snapshot, snapshot, to_timestamp
from models.contract import check_fitted
from models.risk.agreement import forecast_vs_status
from models.risk.backtest import Backtest, backtests, subsample
from models.risk.base import RiskEstimator, as_policy, select
from models.risk.drivers import drivers
from models.risk.explain import (
    GROUPS,
    deletion_check,
    group_effects,
    group_matrix,
    path_contributions,
)
from models.risk.features import (
    FEATURES,
    UNIT_WORDS,
    YEAR,
    Population,
    completions,
    features,
)
from models.risk.negbin import fit_shape, nb_cdf_below, nb_shortfall
from models.risk.season import Season, season_profile
from models.risk.unit_effect import fit_sigma

__all__ = ["StaffRisk"]

#: At most this many backtest rows estimate the shared unit effect.
UNIT_ROWS = 30_000

log = logging.getLogger(__name__)


class StaffRisk(RiskEstimator):
    """Calibrated probability of missing the requirement (see the module docstring).

    A risk estimator (``models.risk.base``): parameters are stored as given, fitted
    state ends in ``_``, ``clone`` works; it learns without labels (``y`` is ignored).
    ``unit_effect`` fits the shared unit effect behind ``p_unit_rule``
    (``models.risk.unit_effect``; False: staff of a unit independent, ``unit_sigma_ = 0``);
    ``n_background`` training rows stand in for "the population" when the deletion
    check removes a driver (``driver_check``).
    ``n_threads`` caps the OpenMP threads of the gradient-boosted trees while fitting and
    scoring (``None``: the library's default, one per core).  The default is 1: on a
    shared 2-core machine two OpenMP threads spin at every tree split waiting for each
    other, and training the national demo took 47 s wall / 39 s CPU against 12 s / 9 s
    with one thread, measured back to back (load 4.5; see the README's risk section).
    """

    def __init__(
        self,
        step_days: int = 61,
        min_history_days: int = 90,
        learning_rate: float = 0.06,
        max_iter: int = 250,
        max_leaf_nodes: int = 15,
        min_samples_leaf: int = 50,
        calibrate: bool = True,
        seasonal: bool = True,
        max_snapshots: int | None = 12,
        max_rows: int | None = 150_000,
        random_state: int = 0,
        n_threads: int | None = 1,
        n_background: int = 100,
        unit_effect: bool = True,
    ) -> None:
        self.step_days = step_days
        self.max_snapshots = max_snapshots
        self.max_rows = max_rows
        self.min_history_days = min_history_days
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.calibrate = calibrate
        self.seasonal = seasonal
        self.random_state = random_state
        self.n_threads = n_threads
        self.n_background = n_background
        self.unit_effect = unit_effect

    def _gbm(self) -> HistGradientBoostingRegressor:
        return HistGradientBoostingRegressor(
            loss="poisson",
            learning_rate=self.learning_rate,
            max_iter=self.max_iter,
            max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf,
            random_state=self.random_state,
        )

    def _X(self, frame: pd.DataFrame, fitting: bool = False) -> np.ndarray:
        """The feature matrix.  A feature empty in the training rows (e.g. no scores at
        all) is a constant 0 there (``empty_features_``) and here.  Which features are
        empty is decided at fit only, never from the rows being scored: a batch (a
        scoring chunk, a dask partition) where nobody has a score must not turn
        "no score" (the trees' missing-value branch) into a score of 0 — each person's
        forecast does not depend on who else is scored."""
        X = frame[list(FEATURES)].astype(float).to_numpy()
        if fitting:
            self.empty_features_ = np.isnan(X).all(axis=0)
        empty = getattr(self, "empty_features_", None)  # older artifacts: none
        if empty is not None:
            X[:, empty] = 0.0
        return X

    def fit(
        self,
        tables: dict[str, pd.DataFrame],
        as_of,  # noqa: ANN001
        policy: Policy | str,
        y: pd.Series | None = None,
    ) -> StaffRisk:
        """Fit on the records dated on or before ``as_of`` (see the module docstring);
        ``y`` is ignored: the labels come from backtests of earlier snapshots."""
        del y
        with threadpool_limits(self.n_threads, user_api="openmp"):
            return self._fit(tables, to_timestamp(as_of), as_policy(policy))

    def _fit(self, tables: dict[str, pd.DataFrame], t: pd.Timestamp, policy: Policy) -> StaffRisk:
        now = snapshot(tables, t)
        done, v = completions(now, policy)
        self.season_ = Season.flat()
        if self.seasonal and len(now.part):
            self.season_ = season_profile(
                done["completed_on"].to_numpy(),
                v,
                now.staff["hired_on"].to_numpy(),
                now.staff["left_on"].to_numpy(),
                pd.Timestamp(now.part["enrolled_on"].min()),
                t,
            )
        bt = backtests(
            tables, t, policy, self.step_days, self.min_history_days, self.max_snapshots,
            season=self.season_,
        )  # fmt: skip
        bt = subsample(bt, self.max_rows, self.random_state)
        years = bt.exposure / YEAR
        self.unit_size_ = float(np.median(v[v > 0])) if (v > 0).any() else 1.0
        X, rate = self._X(bt.X, fitting=True), bt.y / np.maximum(years, 1e-6)
        # out-of-fold predictions (2 folds by person) for the shape and the calibration
        rng = np.random.default_rng(self.random_state)
        people = pd.unique(bt.staff)
        fold_of = pd.Series(rng.integers(0, 2, len(people)), index=people)
        fold = fold_of.reindex(bt.staff).to_numpy()
        oof = np.zeros(len(X))
        for k in (0, 1):
            tr = fold != k
            m = self._gbm().fit(X[tr], rate[tr], sample_weight=years[tr])
            oof[~tr] = m.predict(X[~tr])
        mean_c = oof * years / self.unit_size_
        y_c = bt.y / self.unit_size_
        self.shape_ = fit_shape(np.round(y_c), mean_c)
        self.model_ = self._gbm().fit(X, rate, sample_weight=years)
        self.policy_ = policy
        self.as_of_ = t
        self.features_ = list(FEATURES)
        # training rows that stand for "the population" when a driver is removed
        pick = rng.choice(len(X), min(len(X), self.n_background), replace=False)
        self.background_ = X[np.sort(pick)]
        owe = bt.remaining > 0
        raw = nb_cdf_below(bt.remaining[owe] / self.unit_size_, mean_c[owe], self.shape_)
        event = (bt.y[owe] < bt.remaining[owe] - 1e-9).astype(float)
        self.calibrator_ = None
        if self.calibrate and owe.sum() >= 50 and 0 < event.mean() < 1:
            self.calibrator_ = IsotonicRegression(y_min=0, y_max=1, out_of_bounds="clip").fit(
                raw, event
            )
        cal = self.calibrator_.predict(raw) if self.calibrator_ is not None else raw
        self.unit_sigma_ = self._unit_sigma(bt, owe, cal, event, rng) if self.unit_effect else 0.0
        self.backtest_metrics_ = {
            "rows": int(len(X)),
            "snapshots": [d.date().isoformat() for d in bt.dates],
            "nb_shape": float(self.shape_),
            "season": [round(float(x), 3) for x in self.season_.month],
            "brier_raw": float(np.mean((raw - event) ** 2)) if owe.any() else float("nan"),
            "brier_calibrated": float(np.mean((cal - event) ** 2)) if owe.any() else float("nan"),
            "base_rate": float(event.mean()) if owe.any() else float("nan"),
            "auc": float(roc_auc_score(event, cal)) if 0 < event.mean() < 1 else float("nan"),
            "unit_sigma": round(float(self.unit_sigma_), 4),
        }
        log.info("StaffRisk fitted on %d backtest rows: %s", len(X), self.backtest_metrics_)
        return self

    def _unit_sigma(
        self,
        bt: Backtest,
        owe: np.ndarray,
        cal: np.ndarray,
        event: np.ndarray,
        rng: np.random.Generator,
    ) -> float:
        """σ of the shared unit effect (``models.risk.unit_effect``) from the out-of-fold
        backtest events, a unit being one organization at one snapshot; at most
        ``UNIT_ROWS`` rows (whole units drawn at random) keep it to seconds."""
        if bt.snap is None or not owe.any():
            return 0.0
        org = bt.X["org_id"].astype(str).to_numpy()[owe]
        unit = pd.Series(bt.snap[owe].astype(str)) + "|" + org
        codes, uniq = pd.factorize(unit)
        if len(codes) > UNIT_ROWS:
            order = rng.permutation(len(uniq))
            sizes = np.bincount(codes, minlength=len(uniq))[order]
            chosen = order[: int(np.searchsorted(np.cumsum(sizes), UNIT_ROWS)) + 1]
            keep = np.isin(codes, chosen)
        else:
            keep = np.ones(len(codes), bool)
        return fit_sigma(cal[keep], event[keep].astype(int), codes[keep])

    def _check(self) -> None:
        check_fitted(self, "call fit(tables, as_of, policy) first")

    def predict_frame(
        self,
        snap: Snapshot,
        chunk: int = 200_000,
        progress: bool = False,
        pop: Population | None = None,
    ) -> pd.DataFrame:
        """Predictions for the staff employed in an as-of view ``snap`` (all columns).

        Features are built for the whole snapshot at once (vectorised; colleagues'
        rates need every org member: ``pop``, the population's statistics, when
        ``snap`` holds only some people — ``models.risk.partitioned``); the model, the
        negative-binomial step and the drivers run ``chunk`` staff at a time, so their
        memory stays bounded."""
        self._check()
        f = features(snap, self.policy_, season=getattr(self, "season_", None), pop=pop)
        f = f[f["employed"].to_numpy()].reset_index(drop=True)
        starts = range(0, len(f), max(int(chunk), 1))
        parts = [
            self._score(f.iloc[i : i + chunk].copy())
            for i in tqdm(starts, desc=bar_words("scoring"), unit="chunk", disable=not progress)
        ]
        return pd.concat(parts, ignore_index=True) if parts else self._score(f)

    def _score(self, f: pd.DataFrame) -> pd.DataFrame:
        X = self._X(f)
        with threadpool_limits(getattr(self, "n_threads", 1), user_api="openmp"):
            rate = self.model_.predict(X) if len(f) else np.zeros(0)
        days_left = f["days_left"].to_numpy(float)
        remaining = f["remaining"].to_numpy(float)
        mean_units = rate * np.maximum(days_left, 0) / YEAR
        owe = (remaining > 1e-9) & (days_left >= 0)
        past = (remaining > 1e-9) & (days_left < 0)
        k = remaining / self.unit_size_
        mean_c = mean_units / self.unit_size_
        raw = nb_cdf_below(k, mean_c, self.shape_)
        p = self.calibrator_.predict(raw) if self.calibrator_ is not None and len(f) else raw
        p = np.where(owe, p, np.where(past, 1.0, 0.0))
        short = np.where(owe, nb_shortfall(k, mean_c, self.shape_) * self.unit_size_, 0.0)
        short = np.where(past, remaining, short)
        f["p_miss"] = np.clip(p, 0, 1)
        f["expected_shortfall"] = np.round(short, 4)
        f["expected_future"] = np.round(mean_units, 4)
        f["units"] = UNIT_WORDS[self.policy_.kind]
        eff_raw, eff_cal = self._effects(X, k, mean_c, owe)
        f["drivers"] = drivers(f, UNIT_WORDS[self.policy_.kind], eff_cal, eff_raw)
        top = np.argmax(np.abs(eff_raw), axis=1) if len(f) else np.zeros(0, int)
        has = np.abs(eff_raw[np.arange(len(f)), top]) > 1e-6 if len(f) else np.zeros(0, bool)
        f["top_driver"] = np.where(has, np.array(list(GROUPS), dtype=object)[top], "")
        f["top_effect"] = np.where(has, np.round(eff_cal[np.arange(len(f)), top], 4), 0.0)
        f["top_sign"] = np.where(has, np.sign(eff_raw[np.arange(len(f)), top]), 0.0)
        f["forecast_vs_status"] = forecast_vs_status(f["status"], f["p_miss"])
        return f

    def _calibrate(self, raw: np.ndarray) -> np.ndarray:
        if self.calibrator_ is None or not len(raw):
            return raw
        return self.calibrator_.predict(raw)

    def _prob(self, k: np.ndarray, mean_c: np.ndarray, calibrated: bool) -> np.ndarray:
        raw = nb_cdf_below(k, mean_c, self.shape_)
        if calibrated and self.calibrator_ is not None and len(raw):
            return self.calibrator_.predict(raw)
        return raw

    def _effects(
        self, X: np.ndarray, k: np.ndarray, mean_c: np.ndarray, owe: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per row and driver group, the effect on p_miss (uncalibrated, calibrated) from
        the trees' exact path contributions (``models.risk.explain``); zeros for rows
        without a forecast."""
        eff_raw = np.zeros((len(X), len(GROUPS)))
        eff_cal = np.zeros_like(eff_raw)
        rows = np.flatnonzero(owe)
        if len(rows):
            threads = getattr(self, "n_threads", 1) or 1
            M = group_matrix(self.features_)
            _, contrib = path_contributions(self.model_, X[rows], M, threads)
            kk = k[rows]

            def prob(m: np.ndarray, at: np.ndarray) -> np.ndarray:
                return nb_cdf_below(kk[at], m, self.shape_)

            eff_raw[rows], eff_cal[rows] = group_effects(
                contrib, prob, self._calibrate, mean_c[rows]
            )
        return eff_raw, eff_cal

    def driver_check(self, snap: Snapshot) -> pd.DataFrame:
        """The deletion check of the drivers (``models.risk.explain.deletion_check``) for
        everyone with a forecast in ``snap``: ``staff_id, top_driver, top_effect, p_miss,
        p_without, moved_as_said`` — ``p_without`` is the forecast with the top driver's
        features replaced by the training background's (averaged), scored again through
        the whole model (uncalibrated; ``moved_as_said`` compares it with the
        uncalibrated forecast)."""
        self._check()
        f = features(snap, self.policy_, season=getattr(self, "season_", None))
        f = self._score(f[f["employed"].to_numpy()].reset_index(drop=True))
        f = f[f["top_driver"] != ""].reset_index(drop=True)
        X = self._X(f)
        k = f["remaining"].to_numpy(float) / self.unit_size_
        years = np.maximum(f["days_left"].to_numpy(float), 0) / YEAR / self.unit_size_

        def raw(Xs: np.ndarray, rows: np.ndarray) -> np.ndarray:
            with threadpool_limits(getattr(self, "n_threads", 1), user_api="openmp"):
                rate = self.model_.predict(Xs)
            return self._prob(k[rows], rate * years[rows], False)

        names = list(GROUPS)
        top = np.array([names.index(g) for g in f["top_driver"]], dtype=int)
        ok, without = deletion_check(
            raw, X, self.features_, self.background_, top, f["top_sign"].to_numpy()
        )
        return f.assign(p_without=without, moved_as_said=ok)[
            ["staff_id", "top_driver", "top_effect", "p_miss", "p_without", "moved_as_said"]
        ]

    def predict(
        self,
        tables: dict[str, pd.DataFrame],
        as_of,  # noqa: ANN001
        staff_ids: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """``staff_id, org_id, p_miss, expected_shortfall, status, drivers`` (+
        ``forecast_vs_status`` and context) for ``staff_ids`` (None: everyone employed
        on ``as_of``).  Colleagues' rates need
        every member of an organization, so the whole as-of view is scored first."""
        t = to_timestamp(as_of)
        f = self.predict_frame(snapshot(tables, t))
        cols = ["staff_id", "org_id", "p_miss", "expected_shortfall", "status", "drivers"]
        extra = ["forecast_vs_status", "required", "done", "remaining", "deadline"]
        extra += ["expected_future", "units"]
        return select(f[cols + extra], staff_ids, "StaffRisk")
