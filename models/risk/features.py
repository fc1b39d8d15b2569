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

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from engine.policy import Policy
from features.compliance import compliance
from features.credits import earned_credits
from features.snapshot import Snapshot
from models.risk.season import Season

__all__ = [
    "DAY",
    "FEATURES",
    "UNIT_WORDS",
    "YEAR",
    "Colleagues",
    "Population",
    "colleague_sums",
    "completions",
    "features",
    "first_enrolment",
    "last_year",
    "seasonal",
]

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


@dataclass(frozen=True)
class Colleagues:
    """Sums over the employed staff of every organization and role, that colleagues'
    and role peers' rates divide: ``org`` has three rows (last year's completions,
    exposure in years, staff) and a column per row of the organizations table (the
    code ``org`` of ``Snapshot.staff``: the catalogue is the same in every partition,
    so partitions' arrays add up); ``roles`` has columns ``u`` and ``e`` per first
    role.  Partitions' sums add up with ``total`` (floating-point sums in another
    order: equal to the whole's to about 1e-15 relative)."""

    org: np.ndarray
    roles: pd.DataFrame

    @staticmethod
    def total(parts: list[Colleagues]) -> Colleagues:
        org = np.sum([p.org for p in parts], axis=0)
        roles = pd.concat([p.roles for p in parts]).groupby(level=0, sort=True).sum()
        return Colleagues(org=org, roles=roles)


@dataclass(frozen=True)
class Population:
    """What the features of one person read beyond their own rows, the catalogue and
    the policy: ``seen_from`` (the first enrolment on record: where everyone's
    observed history starts; NaT: none), ``first`` (``compliance``'s first day the
    records cover; None: of the snapshot itself) and ``colleagues`` (None: of the
    snapshot itself).  Left at None, ``features`` takes them from the snapshot it is
    given — the whole population's, on the pandas engine; the dask engine computes
    them once over all partitions and gives every partition the same
    (``models.risk.partitioned``)."""

    seen_from: Any = None
    first: Any = None
    colleagues: Colleagues | None = None


def first_enrolment(snap: Snapshot) -> np.datetime64:
    """The earliest enrolment of ``snap`` (ns; NaT when it has none)."""
    if not len(snap.part):
        return np.datetime64("NaT", "ns")
    return np.datetime64(pd.Timestamp(snap.part["enrolled_on"].min()), "ns")


def colleague_sums(snap: Snapshot, r365: np.ndarray, exposure: np.ndarray) -> Colleagues:
    """``Colleagues`` of the staff of ``snap`` (``r365``: last year's completions and
    ``exposure`` its length in years, per staff code)."""
    emp = snap.employed.astype(float)
    org = _org_codes(snap)
    no = max(len(snap.orgs), int(org.max(initial=0)) + 1)
    sums = np.vstack(
        [
            np.bincount(org, weights=r365 * emp, minlength=no),
            np.bincount(org, weights=exposure * emp, minlength=no),
            np.bincount(org, weights=emp, minlength=no),
        ]
    )
    role1 = _first_roles(snap)
    roles = pd.DataFrame({"r": role1, "u": r365 * emp, "e": exposure * emp}).groupby("r").sum()
    return Colleagues(org=sums, roles=roles)


def last_year(
    snap: Snapshot, policy: Policy, season: Season | None, pop: Population | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Per staff code of ``snap``: last year's completions (in the policy's units) and
    the (seasonal) years they were observed over — what ``colleague_sums`` adds up,
    computed exactly as ``features`` computes them."""
    _, done, v, age, span = _history(snap, policy, seasonal(season), pop or Population())
    k = age <= 365
    exposure = _exposure(span(365))
    r365 = _rate(done["s"].to_numpy()[k], v[k], snap.n_staff, span(365)) * exposure
    return r365, exposure


def _exposure(days: np.ndarray) -> np.ndarray:
    return np.maximum(days, 30) / YEAR


def _history(snap: Snapshot, policy: Policy, season: Season | None, pop: Population):  # noqa: ANN202
    """Days each person is observed, the completions that count (and their values and
    ages in days) and ``span(w)``: the (seasonal) days a rate over ``w`` days is taken
    over (None: the whole observed history)."""
    t = snap.as_of.to_datetime64()
    hired = snap.staff["hired_on"].to_numpy().astype("datetime64[ns]")
    first = first_enrolment(snap) if pop.seen_from is None else pop.seen_from
    first = np.datetime64(snap.as_of, "ns") if pd.isna(first) else np.datetime64(first, "ns")
    observed = np.maximum((t - np.maximum(hired, first)) / DAY, 0)
    done, v = completions(snap, policy)
    age = (t - done["completed_on"].to_numpy()) / DAY

    def span(w: float | None) -> np.ndarray:
        days = observed if w is None else np.minimum(observed, w)
        if season is None:
            return days
        back = (np.nan_to_num(days) * 86_400e9).astype(np.int64).astype("timedelta64[ns]")
        exp = season.exposure(np.datetime64(t, "ns") - back, t)
        return np.where(np.isnan(exp), days, exp)

    return observed, done, v, age, span


def _org_codes(snap: Snapshot) -> np.ndarray:
    org = snap.staff["org"].to_numpy()
    return np.where(org < 0, 0, org)


def _first_roles(snap: Snapshot) -> np.ndarray:
    return snap.staff["role"].astype(str).str.split("|").str[0].to_numpy()


def features(
    snap: Snapshot,
    policy: Policy,
    horizon_days: np.ndarray | float | None = None,
    season: Season | None = None,
    pop: Population | None = None,
) -> pd.DataFrame:
    """One row per staff member of ``snap`` (row = staff code): status and features.

    ``pop``: the population statistics (``Population``); None: those of ``snap``.

    With a ``season`` (``models.season``), the rates of one's history (own, colleagues',
    role peers') are per *seasonal* year: completions over the seasonal days of the span
    they were observed in, so half a year of quiet months is not read as a low rate."""
    season = seasonal(season)
    t = snap.as_of.to_datetime64()
    pop = pop or Population()
    status = compliance(snap, policy, pop.first).reset_index(drop=True)
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
    out["tenure_days"] = (t - hired) / DAY
    observed, done, v, age, span = _history(snap, policy, season, pop)
    s = done["s"].to_numpy()

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
    exposure = _exposure(spans[365])
    r365 = out["rate_365"].to_numpy() * exposure
    emp = snap.employed.astype(float)
    org = _org_codes(snap)
    sums = pop.colleagues or colleague_sums(snap, r365, exposure)
    o_units, o_exp, o_n = sums.org
    loo_units = o_units[org] - r365 * emp
    loo_exp = o_exp[org] - exposure * emp
    out["org_rate"] = np.where(loo_exp > 0.05, loo_units / np.maximum(loo_exp, 1e-9), np.nan)
    out["org_size"] = o_n[org]
    rr = sums.roles
    role_rate = rr["u"] / rr["e"].where(rr["e"] > 0)
    out["role_rate"] = pd.Series(_first_roles(snap)).map(role_rate).to_numpy()
    out["n_roles"] = snap.staff["role"].astype(str).str.count(r"\|").to_numpy() + 1
    orgs = snap.orgs
    out["ministry_managed"] = orgs["ministry_managed"].astype(float).to_numpy()[org]
    out["rating"] = pd.to_numeric(orgs["rating"], errors="coerce").to_numpy()[org]
    a = snap.assess
    ms = pd.Series(a["score"].to_numpy(float)).groupby(a["s"].to_numpy()).mean()
    out["mean_score"] = pd.Series(np.arange(n)).map(ms).to_numpy()
    return out
