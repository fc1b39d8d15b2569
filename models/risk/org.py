"""Organization scoring from staff probabilities, and roll-ups for equity reporting.

``score_orgs(staff_pred, orgs, unit_share)`` gives one row per organization (columns of
DESIGN.md's CLI contract: ``org_id, staff, expected_shortfall, expected_missing,
p_unit_rule, rank, reason``, plus ``name, region, org_type, owing``):

- ``staff``: staff employed on the as-of date (scored);
- ``expected_shortfall``: Σ of the staff's expected shortfall (person-times, hours or
  credits still missing at the deadline, in expectation);
- ``expected_missing``: Σ p_miss, the expected number of staff who will miss;
- ``p_unit_rule``: probability that at least ``unit_share`` of the staff who owe
  something (required > 0) end up unqualified — exact Poisson-binomial over the staff
  probabilities, not a count of thresholded staff; staff of one unit independent, or
  sharing a unit effect of the size the staff model measured on its backtests
  (``sigma``; ``models.risk.unit_effect``).
  With no one owing anything it is 0.  The unit rule is a *credits* rule (source 002
  第十八条); under a policy without it (``unit_share(policy)`` is None: person-time and
  hours policies such as ``national-2025``) the column is empty (NaN) and the reason
  does not mention it;
- ``rank``: 1 = act first: by expected number missing, then p_unit_rule, then
  expected shortfall (choice: "who will miss" is what a call-up fixes);
- ``reason``: a short sentence with those figures; where the staff predictions carry
  their top drivers (``top_driver``/``top_effect`` of ``StaffRisk``), it ends with the
  driver that raises the most staff's risk in the unit and how many ("most often
  raised by: own pace on record (4 staff)").  In the catalogue's words
  (``models.risk.words``): Chinese by default ("12 名有要求人员中预计 3.4 人未达标；
  预计缺口 5.1 次；风险升高最常见的原因：本人历来进度（4 人）"), English with
  ``LEARNMAP_LANG=en``.  Staff are not named in the reason (the
  API shows it to researchers, who see pseudonyms only; ``staff_at_risk`` lists them).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.labels import text
from engine.policy import Policy
from models.risk import words
from models.risk.explain import GROUPS

ORG_COLUMNS = [
    "org_id",
    "staff",
    "expected_shortfall",
    "expected_missing",
    "p_unit_rule",
    "rank",
    "reason",
]


def poisson_binomial_sf(p: np.ndarray, m: int) -> float:
    """P(at least ``m`` successes) among independent Bernoulli(``p``) (exact DP)."""
    p = np.asarray(p, float)
    if m <= 0:
        return 1.0
    if m > len(p):
        return 0.0
    dist = np.zeros(len(p) + 1)
    dist[0] = 1.0
    for q in p:
        dist[1:] = dist[1:] * (1 - q) + dist[:-1] * q
        dist[0] *= 1 - q
    return float(min(max(dist[m:].sum(), 0.0), 1.0))


def _batched_sf(groups: list[np.ndarray], thresholds: np.ndarray) -> np.ndarray:
    """``poisson_binomial_sf`` for many groups at once, groups of similar size together."""
    out = np.zeros(len(groups))
    sizes = np.array([len(g) for g in groups])
    order = np.argsort(sizes, kind="stable")
    for chunk in np.array_split(order, max(1, len(order) // 2048)):
        if len(chunk) == 0:
            continue
        width = int(sizes[chunk].max())
        P = np.zeros((len(chunk), max(width, 1)))
        for i, g in enumerate(chunk):
            P[i, : sizes[g]] = groups[g]
        dist = np.zeros((len(chunk), width + 1))
        dist[:, 0] = 1.0
        for j in range(width):
            q = P[:, j : j + 1]
            dist[:, 1:] = dist[:, 1:] * (1 - q) + dist[:, :-1] * q
            dist[:, 0] *= 1 - q[:, 0]
        m = thresholds[chunk]
        cum = np.concatenate([np.zeros((len(chunk), 1)), np.cumsum(dist, axis=1)], axis=1)
        idx = np.clip(m, 0, width + 1).astype(int)
        below = cum[np.arange(len(chunk)), idx]  # P(X < m)
        sf = 1.0 - below
        out[chunk] = np.where(m <= 0, 1.0, np.where(m > sizes[chunk], 0.0, np.clip(sf, 0, 1)))
    return out


def unit_rule_probability(
    groups: list[np.ndarray], thresholds: np.ndarray, sigma: float = 0.0
) -> np.ndarray:
    """P(at least ``thresholds[g]`` of group g miss): the Poisson-binomial tail with staff
    independent (``sigma = 0``), or averaged over a shared unit effect of size ``sigma``
    that keeps each person's own probability (``models.risk.unit_effect``)."""
    if sigma <= 0:
        return _batched_sf(groups, thresholds)
    from scipy.special import expit

    from models.risk.unit_effect import marginal_logits, quadrature

    z, w = quadrature()
    sizes = np.cumsum([0] + [len(g) for g in groups])
    flat = np.concatenate(groups) if len(groups) else np.zeros(0)
    a = marginal_logits(flat, sigma)
    out = np.zeros(len(groups))
    for zk, wk in zip(z, w, strict=True):
        q = expit(a + sigma * zk)
        out += wk * _batched_sf(
            [q[sizes[i] : sizes[i + 1]] for i in range(len(groups))], thresholds
        )
    return np.clip(out, 0, 1)


def unit_threshold(n_owing: np.ndarray, unit_share: float) -> np.ndarray:
    """Smallest number of unqualified staff that reaches ``unit_share`` of ``n_owing``."""
    return np.ceil(np.asarray(n_owing, float) * unit_share - 1e-9).astype(int)


def score_orgs(
    staff_pred: pd.DataFrame,
    orgs: pd.DataFrame,
    unit_share: float | None = 1 / 3,
    unit: str = "trainings",
    sigma: float = 0.0,
) -> pd.DataFrame:
    """One row per organization with employed staff (see the module docstring);
    ``unit_share=None``: the policy has no unit rule, ``p_unit_rule`` is empty.
    ``sigma``: the staff model's shared unit effect (``StaffRisk.unit_sigma_``; 0 =
    staff independent).  Each unit's staff are taken in ``staff_id`` order, so the
    floating-point sums do not depend on the order of the rows (the pandas engine's
    store order, the dask engine's partitions)."""
    sp = staff_pred
    if "staff_id" in sp:  # the same sums whatever order the rows come in (engines)
        sp = sp.sort_values(["org_id", "staff_id"], kind="stable")
    owing = sp["required"].to_numpy(float) > 0 if "required" in sp else np.ones(len(sp), bool)
    sp = sp.assign(_owing=owing)
    g = sp.groupby("org_id", sort=True)
    out = pd.DataFrame(
        {
            "staff": g.size(),
            "owing": g["_owing"].sum().astype(int),
            "expected_shortfall": g["expected_shortfall"].sum().round(4),
            "expected_missing": g["p_miss"].sum().round(4),
        }
    )
    if unit_share is None:
        out["p_unit_rule"] = np.nan
    else:
        owe = sp[owing]
        probs = {k: v.to_numpy(float) for k, v in owe.groupby("org_id")["p_miss"]}
        groups = [probs.get(o, np.zeros(0)) for o in out.index]
        m = unit_threshold(out["owing"].to_numpy(), unit_share)
        m = np.where(out["owing"].to_numpy() == 0, 1, m)  # nobody owes: the rule cannot fire
        out["p_unit_rule"] = np.round(unit_rule_probability(groups, m, sigma), 6)
    out = out.reset_index()
    order = out.sort_values(
        ["expected_missing", "p_unit_rule", "expected_shortfall", "org_id"],
        ascending=[False, False, False, True],
    ).index
    out.loc[order, "rank"] = np.arange(1, len(out) + 1)
    out["rank"] = out["rank"].astype(int)
    out["reason"] = _reasons(out, unit_share, unit, _top_raising(sp))
    meta = orgs.set_index("org_id").reindex(out["org_id"])
    for c in ("name", "region", "org_type"):
        if c in meta:
            out[c] = meta[c].to_numpy()
    return out[ORG_COLUMNS + [c for c in ("owing", "name", "region", "org_type") if c in out]]


def _reasons(
    out: pd.DataFrame, unit_share: float | None, unit: str, raised: pd.Series | None
) -> list[str]:
    """The reason column (catalogue ``org_*`` messages, ``models.risk.words``): expected
    missing of those owing; the unit rule's probability (policies with one); the
    expected shortfall; the driver that raises the most staff's risk."""
    join = text("driver_join")
    share = None if unit_share is None else _share_text(unit_share)
    u = words.unit(unit)
    extra = [None] * len(out) if raised is None else raised.reindex(out["org_id"]).tolist()
    got = []
    for em, n, pu, es, top in zip(
        out["expected_missing"],
        out["owing"],
        out["p_unit_rule"],
        out["expected_shortfall"],
        extra,
        strict=True,
    ):
        parts = [text("org_missing", missing=f"{em:.1f}", n=n)]
        if share is not None:
            parts.append(text("org_rule", share=share, p=f"{pu:.2f}"))
        parts.append(text("org_short", shortfall=f"{es:.1f}", unit=u))
        if isinstance(top, str):
            parts.append(top)
        got.append(join.join(parts))
    return got


def _top_raising(sp: pd.DataFrame) -> pd.Series | None:
    """Per organization: the top driver that raises the most staff's risk, in words
    (catalogue ``driver_group_<group>``, ``org_raised``)."""
    if "top_driver" not in sp or "top_effect" not in sp:
        return None
    up = sp[(sp["top_driver"].astype(str) != "") & (sp["top_effect"].to_numpy(float) > 0)]
    if up.empty:
        return pd.Series(dtype=object)
    n = up.groupby(["org_id", "top_driver"]).size().rename("n").reset_index()
    n = n.sort_values(["org_id", "n", "top_driver"], ascending=[True, False, True])
    best = n.drop_duplicates("org_id").set_index("org_id")
    said = {g: text(f"driver_group_{g}") for g in GROUPS}
    return pd.Series(
        [
            text("org_raised", what=said.get(g, g), n=k)
            for g, k in zip(best["top_driver"], best["n"], strict=True)
        ],
        index=best.index,
        dtype=object,
    )


def _share_text(unit_share: float) -> str:
    inv = 1 / unit_share
    return f"1/{round(inv)}" if abs(inv - round(inv)) < 1e-9 else f"{unit_share:.0%}"


def rollup(org_scores: pd.DataFrame, by: str) -> pd.DataFrame:
    """Totals by ``region`` or ``org_type``: orgs, staff, expected missing and shortfall,
    the expected share of staff missing, and the expected number of organizations
    that reach the unit rule (Σ p_unit_rule; empty where the policy has no unit rule)."""
    g = org_scores.groupby(by, sort=True)
    out = pd.DataFrame(
        {
            "orgs": g.size(),
            "staff": g["staff"].sum(),
            "expected_missing": g["expected_missing"].sum().round(3),
            "expected_shortfall": g["expected_shortfall"].sum().round(3),
            "expected_orgs_unit_rule": g["p_unit_rule"].sum(min_count=1).round(3),
        }
    )
    denom = g["owing"].sum() if "owing" in org_scores else out["staff"]
    out["expected_missing_share"] = (out["expected_missing"] / denom.where(denom > 0)).round(4)
    return out.reset_index()


def unit_share(policy: Policy) -> float | None:
    """The unit rule's share under ``policy``: the credits rule's
    ``unit_unqualified_share`` (source 002: 1/3) for a ``credits`` policy; None for every
    other kind (person-times, hours), where the rule does not exist (as in
    ``features.org.unit_rule``)."""
    credits = getattr(policy, "credits", None)
    if getattr(policy, "kind", None) != "credits" or credits is None:
        return None
    return float(credits.unit_unqualified_share)
