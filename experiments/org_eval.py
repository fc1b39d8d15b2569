"""Organization-level and per-group evaluation of a risk run (``task = "risk"``).

Every risk backtest on canonical data also scores the **organizations** (records with
``slice = "org"``; choice: a slice of the same run rather than a ``[split] level``, so
the organization figures come from the very staff predictions they roll up) and the
staff **per group** an administrator filters by (``slice = "<group>:<value>"``).

Organizations (``org_frame``): the cohort is everyone the split scores plus those who
had already met the requirement on ``as_of`` and stay to the deadline (p = 0, label 0;
``experiments.splits.RiskFold.cohort``).  Per organization:

- ``p_unit_rule`` — the product's number (``models.risk.org``): P(at least ``share`` of
  the cohort misses), Poisson-binomial over the staff probabilities, with the shared
  unit effect the staff model measured (``StaffRisk.unit_sigma_``); the same with staff
  independent is the baseline ``<model>/independent`` in the same run (models without
  a unit effect have only the independent version, under their own name);
- observed: whether at least that share did miss (``ceil(share × n)`` people);
- ``expected_missing`` = Σ p against the observed count.

``share`` is ``[split] org_share`` if given, else the policy's unit rule
(``models.risk.org.unit_share``), else 1/3.  Under a policy without the unit rule
(``national-2025``) the product shows no ``p_unit_rule``; the run still evaluates the
same event, as a check of the joint distribution the organization figures rest on.

Metrics (``slice = "org"``): ``roc_auc``, ``pr_auc``, ``brier``, ``ece``, ``base_rate`` of
``p_unit_rule`` against the observed rule; ``missing_error`` = (Σ expected − Σ observed) /
Σ observed over all organizations (relative, signed); ``missing_mae`` = mean |expected −
observed| per organization; ``dispersion`` = Σ (observed − expected)² / Σ Var, with Var
= Σ p(1 − p) the Poisson-binomial variance: ≈ 1 when staff of one unit miss
independently given their probabilities, > 1 when they miss together (a shared unit
culture the staff model does not carry); ``orgs``: how many were scored.

Groups (``group_metrics``): ``ece``, ``base_rate``, ``mean_p`` and ``n`` per value of
``deadline``, ``role`` (a person with several roles counts in each), ``org_type`` and
``region`` over the scored staff (the ``all`` slice's people).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score

from experiments.metrics import brier, ece
from models.risk.org import unit_rule_probability, unit_threshold

__all__ = ["GROUPS", "group_frame", "group_metrics", "org_frame", "org_metrics"]

GROUPS = ("deadline", "role", "org_type", "region")


def org_frame(cohort: pd.DataFrame, p: pd.Series, share: float, sigma: float = 0.0) -> pd.DataFrame:
    """Per organization: ``org_id, n, observed_missing, expected_missing, p_unit_rule,
    unit_rule`` (observed 0/1).  ``p``: probability per staff id of the scored people
    (the already-met ones count as 0); ``sigma``: the shared unit effect
    (``models.risk.unit_effect``; 0 = staff independent)."""
    c = cohort.assign(p=p.reindex(cohort["staff_id"].astype(str)).fillna(0.0).to_numpy())
    c.loc[c["met"].to_numpy(bool), "p"] = 0.0
    g = c.groupby("org_id", sort=True)
    out = pd.DataFrame(
        {
            "n": g.size(),
            "observed_missing": g["label"].sum(),
            "expected_missing": g["p"].sum(),
        }
    )
    probs = {k: v.to_numpy(float) for k, v in g["p"]}
    m = unit_threshold(out["n"].to_numpy(), share)
    out["p_unit_rule"] = unit_rule_probability([probs[o] for o in out.index], m, sigma)
    out["unit_rule"] = (out["observed_missing"].to_numpy() >= m).astype(int)
    out["variance"] = g["p"].apply(lambda q: float((q * (1 - q)).sum()))
    return out.reset_index()


def org_metrics(frame: pd.DataFrame) -> dict[str, float]:
    """The ``slice = "org"`` metrics of an ``org_frame`` (module docstring)."""
    y, p = frame["unit_rule"].to_numpy(int), frame["p_unit_rule"].to_numpy(float)
    both = 0 < y.sum() < len(y)
    obs, exp = frame["observed_missing"].to_numpy(float), frame["expected_missing"].to_numpy(float)
    var = frame["variance"].to_numpy(float)
    return {
        "roc_auc": float(roc_auc_score(y, p)) if both else float("nan"),
        "pr_auc": float(average_precision_score(y, p)) if both else float("nan"),
        "base_rate": float(y.mean()),
        "brier": brier(y, p),
        "ece": ece(y, p),
        "missing_error": float((exp.sum() - obs.sum()) / obs.sum()) if obs.sum() else float("nan"),
        "missing_mae": float(np.abs(exp - obs).mean()),
        "dispersion": float(((obs - exp) ** 2).sum() / var.sum())
        if var.sum() > 0
        else float("nan"),
        "orgs": float(len(frame)),
    }


def group_frame(labels: pd.DataFrame, status: pd.DataFrame, orgs: pd.DataFrame) -> pd.DataFrame:
    """Per scored person (rows of ``labels``): their ``deadline``, ``role`` ("a|b" for
    several), ``org_type`` and ``region``."""
    st = status.set_index("staff_id").reindex(labels["staff_id"])
    meta = orgs.set_index("org_id").reindex(labels["org_id"])
    return pd.DataFrame(
        {
            "deadline": pd.to_datetime(st["deadline"]).dt.date.astype(str).to_numpy(),
            "role": st["role"].astype(str).to_numpy(),
            "org_type": meta["org_type"].astype(str).to_numpy() if "org_type" in meta else "",
            "region": meta["region"].astype(str).to_numpy() if "region" in meta else "",
        }
    )


def group_metrics(
    groups: pd.DataFrame, y: np.ndarray, p: np.ndarray
) -> dict[str, dict[str, float]]:
    """``{"<group>:<value>": {ece, base_rate, mean_p, n}}`` for every group value."""
    y, p = np.asarray(y, int), np.asarray(p, float)
    out: dict[str, dict[str, float]] = {}
    for name in GROUPS:
        col = groups[name].astype(str)
        values = col.str.split("|") if name == "role" else col.map(lambda v: [v])
        for value in sorted({v for vs in values for v in vs}):
            rows = values.map(lambda vs, v=value: v in vs).to_numpy(bool)
            out[f"{name}:{value}"] = {
                "ece": ece(y[rows], p[rows]),
                "base_rate": float(y[rows].mean()),
                "mean_p": float(p[rows].mean()),
                "n": float(rows.sum()),
            }
    return out
