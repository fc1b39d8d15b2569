"""Staff-risk features: one row per person of an as-of view, with where they stand on
the policy's requirement and how they have been completing training (own, colleagues'
and role peers' rates; see ``models.risk.estimator`` for how the model uses them).

As of the date, nothing later: the as-of view (``features.snapshot``) hides completions,
drops and no-shows not yet known then.  Of the organization's catalogue attributes, which
carry no date, only ``ministry_managed`` (how it is registered, fixed at registration)
is a feature; its ``rating`` is not: an evaluation grade is awarded after the fact —
partly *for* the year's training (source 002 第十八条: a unit with ≥ 1/3 unqualified
cannot be rated advanced) — and the table does not say when, so it could carry the
outcome into the features.  ``out["rating"]`` stays in the frame for reading only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.policy import Policy
from features.compliance import compliance
from features.credits import earned_credits
from features.snapshot import Snapshot
from models.risk.season import Season

__all__ = ["DAY", "FEATURES", "UNIT_WORDS", "YEAR", "completions", "features", "seasonal"]

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
    "mean_score",
)
UNIT_WORDS = {"person_times": "trainings", "hours": "hours", "credits": "credits"}


def _mode_ok(snap: Snapshot, policy: Policy) -> np.ndarray:
    return snap.modules["mode"].isin(policy.modes).to_numpy()


def completions(snap: Snapshot, policy: Policy) -> tuple[pd.DataFrame, np.ndarray]:
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


def seasonal(season: Season | None) -> Season | None:
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
    season = seasonal(season)
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

    done, v = completions(snap, policy)
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
