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
   rates are taken per *seasonal* year (``models.season``: the calendar intensity of
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

Where finished years exist (yearly hours/credits rules), the backtests of the earlier
years are simply more rows: each snapshot's label reaches to ``as_of`` at most.
Staff who already met the requirement, or owe nothing, get ``p_miss = 0``.
Future departures are not known on ``as_of``: ``left_on`` after ``as_of`` is ignored.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from scipy.optimize import minimize_scalar
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import roc_auc_score
from threadpoolctl import threadpool_limits
from tqdm import tqdm

from engine.errors import NotFittedError
from engine.policy import Policy
from features.compliance import compliance
from features.credits import earned_credits
from features.snapshot import Snapshot, snapshot, to_timestamp
from models.season import Season, season_profile

log = logging.getLogger(__name__)
DAY = np.timedelta64(1, "D")
YEAR = 365.25

FEATURES = (
    "required",
    "done",
    "remaining",
    "remaining_share",
    "days_left",
    "horizon_days",
    "tenure_days",
    "rate_all",
    "rate_365",
    "rate_180",
    "rate_90",
    "days_since_last",
    "no_shows_365",
    "dropped_365",
    "pending",
    "org_rate",
    "org_size",
    "role_rate",
    "n_roles",
    "ministry_managed",
    "rating",
    "mean_score",
)
UNIT_WORDS = {"person_times": "trainings", "hours": "hours", "credits": "credits"}


def _mode_ok(snap: Snapshot, policy: Policy) -> np.ndarray:
    return snap.modules["mode"].isin(policy.modes).to_numpy()


def _completions(snap: Snapshot, policy: Policy) -> tuple[pd.DataFrame, np.ndarray]:
    """Completed participations of the policy's modes (``s``, ``m``, ``completed_on``) and
    what each counts for: 1 a person-time, its hours, or the credits it earned on the day
    it earned them (features.credits: a failed course counts from its passing retake)."""
    if policy.kind == "credits":
        earned = earned_credits(snap, policy)
        done = earned.rename(columns={"earned_on": "completed_on"})
        return done, earned["credits"].to_numpy(float)
    done = snap.done()
    done = done[_mode_ok(snap, policy)[done["m"].to_numpy()]]
    if policy.kind == "hours":
        return done, done["hours"].to_numpy(float)
    return done, np.ones(len(done))


def _rate(s: np.ndarray, v: np.ndarray, n: int, days: np.ndarray) -> np.ndarray:
    return np.bincount(s, weights=v, minlength=n) / np.maximum(days, 30) * YEAR


def _seasonal(season: Season | None) -> Season | None:
    return None if season is None or season.is_flat else season


def features(
    snap: Snapshot,
    policy: Policy,
    horizon_days: np.ndarray | float | None = None,
    season: Season | None = None,
) -> pd.DataFrame:
    """One row per staff member of ``snap`` (row = staff code): status and features.

    With a ``season`` (``models.season``), the rates of one's history (own, colleagues',
    role peers') are per *seasonal* year: completions over the seasonal days of the span
    they were observed in, so half a year of quiet months is not read as a low rate."""
    season = _seasonal(season)
    t = snap.as_of.to_datetime64()
    status = compliance(snap, policy).reset_index(drop=True)
    n = snap.n_staff
    out = pd.DataFrame(
        {
            "staff_id": status["staff_id"].to_numpy(),
            "org_id": status["org_id"].to_numpy(),
            "status": status["status"].astype(str).to_numpy(),
            "employed": snap.employed,
            "required": status["required"].to_numpy(float),
            "done": status["done"].to_numpy(float),
            "remaining": status["remaining"].to_numpy(float),
            "deadline": pd.to_datetime(status["deadline"]).to_numpy(),
        }
    )
    out["remaining_share"] = out["remaining"] / out["required"].where(out["required"] > 0)
    out["days_left"] = (out["deadline"].to_numpy() - t) / DAY
    start, end = np.datetime64(policy.start), np.datetime64(policy.end)
    out["elapsed_share"] = float(np.clip((t - start) / (end - start), 0, 1))
    hz = out["days_left"] if horizon_days is None else horizon_days
    out["horizon_days"] = np.maximum(np.asarray(hz, float), 1.0)

    hired = snap.staff["hired_on"].to_numpy().astype("datetime64[ns]")
    first = snap.part["enrolled_on"].min() if len(snap.part) else snap.as_of
    seen_from = np.maximum(hired, np.datetime64(pd.Timestamp(first), "ns"))
    observed = np.maximum((t - seen_from) / DAY, 0)
    out["tenure_days"] = (t - hired) / DAY

    done, v = _completions(snap, policy)
    s = done["s"].to_numpy()
    age = (t - done["completed_on"].to_numpy()) / DAY

    def span(w: float | None) -> np.ndarray:  # the (seasonal) days a rate is taken over
        days = observed if w is None else np.minimum(observed, w)
        if season is None:
            return days
        back = (np.nan_to_num(days) * 86_400e9).astype(np.int64).astype("timedelta64[ns]")
        exp = season.exposure(np.datetime64(t, "ns") - back, t)
        return np.where(np.isnan(exp), days, exp)

    out["rate_all"] = _rate(s, v, n, span(None))
    spans = {w: span(w) for w in (365, 180, 90)}
    for w in (365, 180, 90):
        k = age <= w
        out[f"rate_{w}"] = _rate(s[k], v[k], n, spans[w])
    last = pd.Series(done["completed_on"].to_numpy()).groupby(s).max()
    since = np.full(n, np.nan)
    since[last.index.to_numpy()] = (t - last.to_numpy()) / DAY
    out["days_since_last"] = np.where(np.isnan(since), observed, since)
    out["never_completed"] = np.isnan(since)

    p = snap.part
    recent = ((t - p["enrolled_on"].to_numpy()) / DAY) <= 365
    ps = p["s"].to_numpy()
    out["no_shows_365"] = np.bincount(
        ps[recent & (p["status"] == "no_show").to_numpy()], minlength=n
    )
    out["dropped_365"] = np.bincount(
        ps[recent & (p["status"] == "dropped").to_numpy()], minlength=n
    )
    pend = (p["status"] == "enrolled").to_numpy() & _mode_ok(snap, policy)[p["m"].to_numpy()]
    out["pending"] = np.bincount(ps[pend], minlength=n)

    # colleagues' and role peers' rates over the last year (leave-one-out for the org)
    exposure = np.maximum(spans[365], 30) / YEAR
    r365 = out["rate_365"].to_numpy() * exposure
    emp = snap.employed.astype(float)
    org = snap.staff["org"].to_numpy()
    org = np.where(org < 0, 0, org)
    no = max(len(snap.orgs), int(org.max(initial=0)) + 1)
    o_units = np.bincount(org, weights=r365 * emp, minlength=no)
    o_exp = np.bincount(org, weights=exposure * emp, minlength=no)
    o_n = np.bincount(org, weights=emp, minlength=no)
    loo_units = o_units[org] - r365 * emp
    loo_exp = o_exp[org] - exposure * emp
    out["org_rate"] = np.where(loo_exp > 0.05, loo_units / np.maximum(loo_exp, 1e-9), np.nan)
    out["org_size"] = o_n[org]
    role1 = snap.staff["role"].astype(str).str.split("|").str[0].to_numpy()
    rr = pd.DataFrame({"r": role1, "u": r365 * emp, "e": exposure * emp}).groupby("r").sum()
    out["role_rate"] = pd.Series(role1).map(rr["u"] / rr["e"].where(rr["e"] > 0)).to_numpy()
    out["n_roles"] = snap.staff["role"].astype(str).str.count(r"\|").to_numpy() + 1
    orgs = snap.orgs
    out["ministry_managed"] = orgs["ministry_managed"].astype(float).to_numpy()[org]
    out["rating"] = pd.to_numeric(orgs["rating"], errors="coerce").to_numpy()[org]
    a = snap.assess
    ms = pd.Series(a["score"].to_numpy(float)).groupby(a["s"].to_numpy()).mean()
    out["mean_score"] = pd.Series(np.arange(n)).map(ms).to_numpy()
    return out


@dataclass
class _Backtest:
    X: pd.DataFrame
    y: np.ndarray  # units completed in (s, s + exposure]
    exposure: np.ndarray  # days
    remaining: np.ndarray
    staff: np.ndarray
    dates: list[pd.Timestamp]


def backtests(
    tables: dict[str, pd.DataFrame],
    as_of: pd.Timestamp,
    policy: Policy,
    step_days: int = 61,
    min_history_days: int = 90,
    max_snapshots: int | None = None,
    season: Season | None = None,
) -> _Backtest:
    """Feature rows at earlier snapshots with what happened between each and ``as_of``
    (the ``max_snapshots`` most recent ones when given); a ``season`` adjusts the
    history features (:func:`features`), not the outcome, which stays in plain days."""
    season = _seasonal(season)
    now = snapshot(tables, as_of)
    done, v = _completions(now, policy)
    first = pd.Timestamp(now.part["enrolled_on"].min()) if len(now.part) else as_of
    dates = []
    s = as_of - pd.Timedelta(days=step_days)
    while s >= first + pd.Timedelta(days=min_history_days):
        dates.append(s)
        s -= pd.Timedelta(days=step_days)
    dates = dates[:max_snapshots] if max_snapshots else dates
    if not dates:
        raise ValueError(
            f"too little history before {as_of.date()} to learn from: need records from "
            f"at least {min_history_days + step_days} days earlier"
        )
    left = pd.to_datetime(now.staff["left_on"]).to_numpy()
    left_of = pd.Series(left, index=now.staff["staff_id"])
    comp = pd.DataFrame({"staff_id": now.staff["staff_id"].to_numpy()[done["s"].to_numpy()]})
    comp["when"] = done["completed_on"].to_numpy()
    comp["v"] = v
    frames, ys, exps = [], [], []
    for s in dates:
        snap = snapshot(tables, s)
        horizon = (as_of - s).days
        f = features(snap, policy, horizon_days=float(horizon), season=season)
        keep = f["employed"].to_numpy() & (f["required"].to_numpy() > 0)
        f = f[keep].reset_index(drop=True)
        end = left_of.reindex(f["staff_id"]).to_numpy()
        end = np.where(pd.isna(end), as_of.to_datetime64(), end).astype("datetime64[ns]")
        # a row's outcome window ends at its own deadline (yearly rules: that year's end,
        # so finished years give real met/missed labels), at a departure, or at as_of
        deadline = f["deadline"].to_numpy().astype("datetime64[ns]")
        end = np.minimum(np.minimum(end, as_of.to_datetime64()), deadline)
        exp = np.maximum((end - s.to_datetime64()) / DAY, 0)
        after = comp[(comp["when"] > s) & (comp["when"] <= as_of)]
        until = pd.Series(end, index=f["staff_id"].to_numpy())
        after = after[after["when"].to_numpy() <= until.reindex(after["staff_id"]).to_numpy()]
        y = after.groupby("staff_id")["v"].sum().reindex(f["staff_id"]).fillna(0).to_numpy()
        ok = exp > 0
        frames.append(f[ok].assign(horizon_days=exp[ok]))
        ys.append(y[ok])
        exps.append(exp[ok])
    X = pd.concat(frames, ignore_index=True)
    return _Backtest(
        X,
        np.concatenate(ys),
        np.concatenate(exps),
        X["remaining"].to_numpy(),
        X["staff_id"].to_numpy(),
        dates,
    )


def _subsample(bt: _Backtest, max_rows: int | None, seed: int) -> _Backtest:
    """At most ``max_rows`` backtest rows, drawn uniformly: training time grows with the
    rows, and the default keeps training at the cadre demo's default scale (≈ 20,000
    cadres, ≈ 20 snapshots) within two minutes (benchmarks/bench_risk.py)."""
    if not max_rows or len(bt.X) <= max_rows:
        return bt
    keep = np.sort(np.random.default_rng(seed).choice(len(bt.X), max_rows, replace=False))
    return _Backtest(
        bt.X.iloc[keep].reset_index(drop=True),
        bt.y[keep],
        bt.exposure[keep],
        bt.remaining[keep],
        bt.staff[keep],
        bt.dates,
    )


def nb_cdf_below(k: np.ndarray, mean: np.ndarray, shape: float) -> np.ndarray:
    """P(X < k) for X negative binomial with ``mean`` and gamma ``shape`` (k may be fractional)."""
    k = np.ceil(np.asarray(k, float) - 1e-9)
    mean = np.maximum(np.asarray(mean, float), 1e-9)
    p = shape / (shape + mean)
    return np.where(k <= 0, 0.0, stats.nbinom.cdf(k - 1, shape, p))


def nb_shortfall(k: np.ndarray, mean: np.ndarray, shape: float, kmax: int = 400) -> np.ndarray:
    """E[max(k − X, 0)] for the same X (k on the count scale)."""
    k = np.asarray(k, float)
    mean = np.maximum(np.asarray(mean, float), 1e-9)
    p = shape / (shape + mean)
    out = np.zeros_like(k)
    top = int(min(np.ceil(k.max(initial=0)), kmax))
    for j in range(top):  # Σ_{x<k} (k − x) P(X = x)
        out += np.where(j < k, (k - j) * stats.nbinom.pmf(j, shape, p), 0.0)
    return out


class StaffRisk:
    """Calibrated probability of missing the requirement (see the module docstring).

    Parameters are stored as given (scikit-learn convention); fitted state ends in ``_``.
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

    def _gbm(self) -> HistGradientBoostingRegressor:
        return HistGradientBoostingRegressor(
            loss="poisson",
            learning_rate=self.learning_rate,
            max_iter=self.max_iter,
            max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf,
            random_state=self.random_state,
        )

    @staticmethod
    def _X(frame: pd.DataFrame) -> np.ndarray:
        X = frame[list(FEATURES)].astype(float).to_numpy()
        empty = np.isnan(X).all(axis=0)  # e.g. no scores or ratings at all: a constant
        X[:, empty] = 0.0
        return X

    def fit(self, tables: dict[str, pd.DataFrame], as_of, policy: Policy) -> StaffRisk:  # noqa: ANN001
        """Fit on the records dated on or before ``as_of`` (see the module docstring)."""
        with threadpool_limits(self.n_threads, user_api="openmp"):
            return self._fit(tables, to_timestamp(as_of), policy)

    def _fit(self, tables: dict[str, pd.DataFrame], t: pd.Timestamp, policy: Policy) -> StaffRisk:
        now = snapshot(tables, t)
        done, v = _completions(now, policy)
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
        bt = _subsample(bt, self.max_rows, self.random_state)
        years = bt.exposure / YEAR
        self.unit_size_ = float(np.median(v[v > 0])) if (v > 0).any() else 1.0
        X, rate = self._X(bt.X), bt.y / np.maximum(years, 1e-6)
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
        self.shape_ = _fit_shape(np.round(y_c), mean_c)
        self.model_ = self._gbm().fit(X, rate, sample_weight=years)
        self.policy_ = policy
        self.as_of_ = t
        self.features_ = list(FEATURES)
        owe = bt.remaining > 0
        raw = nb_cdf_below(bt.remaining[owe] / self.unit_size_, mean_c[owe], self.shape_)
        event = (bt.y[owe] < bt.remaining[owe] - 1e-9).astype(float)
        self.calibrator_ = None
        if self.calibrate and owe.sum() >= 50 and 0 < event.mean() < 1:
            self.calibrator_ = IsotonicRegression(y_min=0, y_max=1, out_of_bounds="clip").fit(
                raw, event
            )
        cal = self.calibrator_.predict(raw) if self.calibrator_ is not None else raw
        self.backtest_metrics_ = {
            "rows": int(len(X)),
            "snapshots": [d.date().isoformat() for d in bt.dates],
            "nb_shape": float(self.shape_),
            "season": [round(float(x), 3) for x in self.season_.month],
            "brier_raw": float(np.mean((raw - event) ** 2)) if owe.any() else float("nan"),
            "brier_calibrated": float(np.mean((cal - event) ** 2)) if owe.any() else float("nan"),
            "base_rate": float(event.mean()) if owe.any() else float("nan"),
            "auc": float(roc_auc_score(event, cal)) if 0 < event.mean() < 1 else float("nan"),
        }
        log.info("StaffRisk fitted on %d backtest rows: %s", len(X), self.backtest_metrics_)
        return self

    def _check(self) -> None:
        if not hasattr(self, "model_"):
            raise NotFittedError("StaffRisk is not fitted: call fit(tables, as_of, policy) first")

    def predict_frame(
        self, snap: Snapshot, chunk: int = 200_000, progress: bool = False
    ) -> pd.DataFrame:
        """Predictions for the staff employed in an as-of view ``snap`` (all columns).

        Features are built for the whole snapshot at once (vectorised; colleagues'
        rates need every org member); the model, the negative-binomial step and the
        drivers run ``chunk`` staff at a time, so their memory stays bounded."""
        self._check()
        f = features(snap, self.policy_, season=getattr(self, "season_", None))
        f = f[f["employed"].to_numpy()].reset_index(drop=True)
        starts = range(0, len(f), max(int(chunk), 1))
        parts = [
            self._score(f.iloc[i : i + chunk].copy())
            for i in tqdm(starts, desc="scoring", unit="chunk", disable=not progress)
        ]
        return pd.concat(parts, ignore_index=True) if parts else self._score(f)

    def _score(self, f: pd.DataFrame) -> pd.DataFrame:
        with threadpool_limits(getattr(self, "n_threads", 1), user_api="openmp"):
            rate = self.model_.predict(self._X(f)) if len(f) else np.zeros(0)
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
        f["drivers"] = drivers(f, UNIT_WORDS[self.policy_.kind])
        return f

    def predict(self, tables: dict[str, pd.DataFrame], as_of) -> pd.DataFrame:  # noqa: ANN001
        """``staff_id, org_id, p_miss, expected_shortfall, status, drivers`` (+ context)."""
        t = to_timestamp(as_of)
        f = self.predict_frame(snapshot(tables, t))
        cols = ["staff_id", "org_id", "p_miss", "expected_shortfall", "status", "drivers"]
        extra = ["required", "done", "remaining", "deadline", "expected_future", "units"]
        return f[cols + extra]


def _fit_shape(y: np.ndarray, mean: np.ndarray) -> float:
    """Maximum-likelihood gamma shape of a negative binomial with known means."""
    mean = np.maximum(mean, 1e-6)

    def nll(log_r: float) -> float:
        r = np.exp(log_r)
        return -float(np.sum(stats.nbinom.logpmf(y, r, r / (r + mean))))

    res = minimize_scalar(nll, bounds=(np.log(0.05), np.log(1000)), method="bounded")
    return float(np.exp(res.x))


def _months(days: float) -> int:
    return int(round(days / 30.44))


def _fmt(values: np.ndarray, spec: str) -> np.ndarray:
    """``format(v, spec)`` for each value, formatting each distinct value once."""
    values = np.asarray(values, float)
    uniq, inv = np.unique(values, return_inverse=True)
    return np.array([format(v, spec) for v in uniq], dtype=object)[inv.reshape(-1)]


def _plural(n: np.ndarray, one: str, many: str) -> np.ndarray:
    return np.where(n == 1, one, many).astype(object)


def drivers(f: pd.DataFrame, unit: str) -> list[str]:
    """The main reasons behind each prediction, in words (at most four, most important
    first; vectorised: a million rows take seconds)."""
    n = len(f)
    if n == 0:
        return []
    col = {c: f[c].to_numpy() for c in f.columns}
    rem, req = col["remaining"].astype(float), col["required"].astype(float)
    days_left, since = col["days_left"].astype(float), col["days_since_last"].astype(float)
    owe = rem > 1e-9
    r_s, q_s, d_s = _fmt(rem, "g"), _fmt(req, "g"), _fmt(col["done"], "g")
    left = _fmt(np.round(np.maximum(days_left, 0) / 30.44), ".0f")
    u = f" {unit}"
    first = np.where(
        owe,
        np.where(
            days_left < 0,
            r_s + " of " + q_s + u + " missing, deadline passed",
            r_s + " of " + q_s + u + " still due, " + left + " months left",
        ),
        np.where(
            req > 0, "requirement met (" + d_s + " of " + q_s + u + ")", "no requirement applies"
        ),
    )
    months = _fmt(np.round(np.nan_to_num(since) / 30.44), ".0f")
    never = col["never_completed"].astype(bool) & (col["tenure_days"].astype(float) >= 90)
    lapse = np.where(
        never,
        "no completion in " + months + " months on record",
        np.where(since >= 180, "no completion in " + months + " months", ""),
    )
    ns, dr, pe = (col[c].astype(float) for c in ("no_shows_365", "dropped_365", "pending"))
    org = col["org_rate"].astype(float)
    extra = [
        lapse,
        np.where(ns > 0, _fmt(ns, ".0f") + _plural(ns, " no-show", " no-shows") + " this year", ""),
        np.where(dr > 0, _fmt(dr, ".0f") + " dropped this year", ""),
        np.where(
            pe > 0, _fmt(pe, ".0f") + _plural(pe, " enrolment", " enrolments") + " pending", ""
        ),
        np.where(np.isnan(org), "", "colleagues complete " + _fmt(org, ".1f") + u + " a year"),
    ]
    out = first.astype(object)
    count = np.ones(n, int)
    for part in extra:
        add = owe & (part != "") & (count < 4)
        out = np.where(add, out + "; " + part.astype(object), out)
        count += add
    return out.tolist()
