"""Backtests: feature rows at earlier snapshots, labelled with what each person then
completed up to the training date (``models.risk.estimator``, step 1)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.policy import Policy
from features.snapshot import snapshot
from models.risk.features import DAY, completions, features, seasonal
from models.risk.season import Season

__all__ = ["Backtest", "backtests", "subsample"]


@dataclass
class Backtest:
    X: pd.DataFrame
    y: np.ndarray  # units completed in (s, s + exposure]
    exposure: np.ndarray  # days
    remaining: np.ndarray
    staff: np.ndarray
    dates: list[pd.Timestamp]
    snap: np.ndarray | None = None  # per row: the position of its snapshot in ``dates``


def backtests(
    tables: dict[str, pd.DataFrame],
    as_of: pd.Timestamp,
    policy: Policy,
    step_days: int = 61,
    min_history_days: int = 90,
    max_snapshots: int | None = None,
    season: Season | None = None,
) -> Backtest:
    """Feature rows at earlier snapshots with what happened between each and ``as_of``
    (the ``max_snapshots`` most recent ones when given); a ``season`` adjusts the
    history features (:func:`features`), not the outcome, which stays in plain days."""
    season = seasonal(season)
    now = snapshot(tables, as_of)
    done, v = completions(now, policy)
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
    frames, ys, exps, which = [], [], [], []
    for i, s in enumerate(dates):
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
        which.append(np.full(int(ok.sum()), i))
    X = pd.concat(frames, ignore_index=True)
    return Backtest(
        X,
        np.concatenate(ys),
        np.concatenate(exps),
        X["remaining"].to_numpy(),
        X["staff_id"].to_numpy(),
        dates,
        np.concatenate(which),
    )


def subsample(bt: Backtest, max_rows: int | None, seed: int) -> Backtest:
    """At most ``max_rows`` backtest rows, drawn uniformly: training time grows with the
    rows, and the default keeps training at the cadre demo's default scale (≈ 20,000
    cadres, ≈ 20 snapshots) within two minutes (benchmarks/bench_risk.py)."""
    if not max_rows or len(bt.X) <= max_rows:
        return bt
    keep = np.sort(np.random.default_rng(seed).choice(len(bt.X), max_rows, replace=False))
    return Backtest(
        bt.X.iloc[keep].reset_index(drop=True),
        bt.y[keep],
        bt.exposure[keep],
        bt.remaining[keep],
        bt.staff[keep],
        bt.dates,
        None if bt.snap is None else bt.snap[keep],
    )
