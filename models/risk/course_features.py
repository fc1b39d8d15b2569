"""Course-risk features: one row per OULAD registration as of a day of the presentation.

The model is ``models.risk.course.OuladRisk``.

Works on the canonical tables written by ``learnmap import oulad`` (the OULAD extras
``registration_day``, ``unregistration_day``, ``due_day``, ``weight``,
``assessment_type``, ``submitted_day``, ``is_banked`` and the optional
``_oulad/student_vle`` side table).  As of cut-off day ``d``:

- **population**: registrations still registered at ``d`` (no unregistration day, or
  one after ``d``), registered on or before ``d``;
- **evidence**: submissions dated on or before ``d`` only; an assessment is *due*
  when its due day is on or before ``d``; clicks on or before ``d``;
- **label** (for training and evaluation only): final result Fail or Withdrawn.

Features are built to transfer to presentations and modules never seen in training:
scores relative to the same assessment's other submitters, shares of due work
submitted rather than counts, lateness in days against the due day, within-
presentation percentiles, and clicks normalised within the presentation.

``rule_score`` is the untrained rule: 1 − (weighted score to date / 100) with missing
due work counted as 0 (weights as OULAD gives them; where every due assessment has
weight 0, the unweighted mean is used).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["BAD_RESULTS", "BASE_RATE", "CONTEXT", "FEATURES", "oulad_frame"]

BAD_RESULTS = ("Fail", "Withdrawn")
_EDU = {
    "No Formal quals": 0,
    "Lower Than A Level": 1,
    "A Level or Equivalent": 2,
    "HE Qualification": 3,
    "Post Graduate Qualification": 4,
}
_AGE = {"0-35": 0, "35-55": 1, "55<=": 2}

FEATURES = (
    "wscore",
    "wscore_pct",
    "mean_score",
    "rel_score",
    "min_rel_score",
    "share_due_submitted",
    "share_weight_submitted",
    "mean_late",
    "max_late",
    "days_since_last",
    "overdue_days",
    "has_due",
    "banked",
    "registration_day",
    "prev_attempts",
    "studied_credits",
    "education",
    "imd",
    "age",
    "disability",
    "clicks_pct",
    "active_days_pct",
    "clicks_recent_pct",
    "has_clicks",
    "cutoff_share",
    "wscore_rel",
    "rel_pct",
    "last_submitted",
    "last_rel",
    "missed_last2",
    "trend",
    "days_since_last_rel",
    "progress_weight",
    "start_month",
)
# Computed and returned for reading, but not model inputs: presentation-level shares
# (with a handful of training presentations their coefficients are spurious — the
# 2013B model read a *low* withdrawal share so far as *higher* risk) and counts whose
# scale is the module's assessment plan rather than the student.  Dropped by
# leave-one-presentation-out validation on the 2013B training presentations only
# (logistic regression, mean over held-out presentations at day 60 / 120: ROC-AUC
# 0.835 / 0.899 and share error 0.042 / 0.048 without them, 0.826 / 0.890 and
# 0.039 / 0.056 with them).
CONTEXT = (
    "n_due",
    "n_missing",
    "missing_tma",
    "missing_cma",
    "n_late",
    "n_early",
    "n_low",
    "next_due_days",
    "unit_withdrawn_share",
    "unit_submit_share",
    "unit_wscore",
)


# Presentation-level aggregates as of the cut-off (each computed over the whole
# presentation from rows dated on or before the cut-off, so observable when scoring):
# the inputs of the base-rate model for modules never seen in training.
BASE_RATE = ("unit_withdrawn_share", "unit_submit_share", "unit_wscore", "cutoff_share")


def _pct(values: pd.Series, groups: pd.Series) -> pd.Series:
    """Percentile rank within each group (0..1, ties averaged)."""
    return values.groupby(groups).rank(pct=True, method="average")


def oulad_frame(tables: dict[str, pd.DataFrame], cutoff: int) -> pd.DataFrame:
    """One row per registration still registered at ``cutoff``: ids, features, label.

    ``label`` is 1 for Fail/Withdrawn, NaN when ``_oulad/results`` is absent."""
    staff = tables["staff"]
    orgs = tables["organizations"].set_index("org_id")
    reg = staff["registration_day"].astype(float).fillna(0.0)
    unreg = staff["unregistration_day"].astype(float)
    keep = (reg <= cutoff) & (unreg.isna() | (unreg > cutoff))
    people = staff[keep.to_numpy()].reset_index(drop=True)
    unit = people["org_id"]
    out = pd.DataFrame({"staff_id": people["staff_id"], "unit": unit})
    out["id_student"] = people["id_student"].to_numpy()
    length = unit.map(orgs["length_days"]).astype(float).to_numpy()
    out["cutoff_share"] = cutoff / length
    out["cutoff_day"] = float(cutoff)
    # the module (OULAD's code_module) and the month the presentation starts (B =
    # February, J = October): February presentations fail or lose more students at the
    # same point of the course (2013: BBB, DDD and FFF, each B above its J)
    out["module"] = unit.map(orgs["code_module"]).astype(str).to_numpy()
    start = pd.to_datetime(unit.map(orgs["start_date"]))
    out["start_month"] = start.dt.month.astype(float).to_numpy()

    mods = tables["modules"]
    due = mods[mods["due_day"].astype(float) <= cutoff][
        ["module_id", "org_id", "weight", "assessment_type", "due_day"]
    ].copy()
    due["module_id"] = due["module_id"].astype(str)
    # every (person, due assessment) pair
    pairs = people[["staff_id", "org_id"]].merge(due, on="org_id", how="inner")
    parts = tables["participations"]
    parts = parts[parts["submitted_day"].astype(float) <= cutoff]
    sub = parts[["staff_id", "module_id", "submitted_day", "is_banked"]].copy()
    sub["module_id"] = sub["module_id"].astype(str)
    sc = tables["assessments"][["staff_id", "module_id", "score", "submitted_day"]].copy()
    sc = sc[sc["submitted_day"].astype(float) <= cutoff].drop(columns="submitted_day")
    sc["module_id"] = sc["module_id"].astype(str)
    sub = sub.merge(sc, on=["staff_id", "module_id"], how="left")
    # score relative to the same assessment's submitters so far (z-score)
    g = sub.groupby("module_id")["score"]
    sub["rel"] = (sub["score"] - g.transform("mean")) / g.transform("std").replace(0, np.nan)
    pairs = pairs.merge(sub, on=["staff_id", "module_id"], how="left")
    pairs["submitted"] = pairs["submitted_day"].notna()
    pairs["s0"] = pairs["score"].fillna(0.0)
    pairs["late"] = pairs["submitted_day"] - pairs["due_day"]
    w = pairs["weight"].astype(float)
    pairs["w"] = w
    pairs["ws"] = w * pairs["s0"]
    pairs["wsub"] = w * pairs["submitted"]
    pairs["miss_tma"] = (~pairs["submitted"]) & (pairs["assessment_type"] == "TMA")
    pairs["miss_cma"] = (~pairs["submitted"]) & (pairs["assessment_type"] == "CMA")
    pairs["is_late"] = pairs["late"] > 0
    agg = pairs.groupby("staff_id").agg(
        n_due=("module_id", "size"),
        n_sub=("submitted", "sum"),
        w=("w", "sum"),
        ws=("ws", "sum"),
        wsub=("wsub", "sum"),
        s0=("s0", "mean"),
        mean_score=("score", "mean"),
        rel_score=("rel", "mean"),
        min_rel_score=("rel", "min"),
        missing_tma=("miss_tma", "sum"),
        missing_cma=("miss_cma", "sum"),
        mean_late=("late", "mean"),
        max_late=("late", "max"),
        n_late=("is_late", "sum"),
        banked=("is_banked", "max"),
    )
    out = out.join(agg, on="staff_id")
    out["n_due"] = out["n_due"].fillna(0)
    n_sub = out["n_sub"].fillna(0)
    out["n_missing"] = out["n_due"] - n_sub
    out["share_due_submitted"] = np.where(out["n_due"] > 0, n_sub / out["n_due"].clip(lower=1), 1.0)
    wsum = out["w"].fillna(0)
    out["share_weight_submitted"] = np.where(
        wsum > 0, out["wsub"].fillna(0) / wsum.clip(lower=1e-9), out["share_due_submitted"]
    )
    out["wscore"] = np.where(
        wsum > 0, out["ws"].fillna(0) / wsum.clip(lower=1e-9), out["s0"].fillna(np.nan)
    )
    # no assessment due yet: nothing is known; the rule then sees the group's middle
    out["wscore_pct"] = _pct(out["wscore"], out["unit"])
    for c in ("missing_tma", "missing_cma", "n_late", "banked"):
        out[c] = out[c].fillna(0)

    allsub = sub.merge(people[["staff_id"]], on="staff_id")
    last = allsub.groupby("staff_id")["submitted_day"].max()
    out["days_since_last"] = cutoff - out["staff_id"].map(last).astype(float)
    out["days_since_last"] = out["days_since_last"].fillna(float(cutoff))
    # the oldest due work still missing: how long it has been overdue (0 if none)
    miss = pairs[~pairs["submitted"]].groupby("staff_id")["due_day"].min()
    out["overdue_days"] = (cutoff - out["staff_id"].map(miss).astype(float)).fillna(0.0)
    out["has_due"] = (out["n_due"] > 0).astype(float)
    # presentation-level context as of the cut-off (legitimately observable)
    allreg = staff.assign(reg=reg, unreg=unreg)
    allreg = allreg[allreg["reg"] <= cutoff]
    gone = (allreg["unreg"] <= cutoff).groupby(allreg["org_id"]).mean()
    out["unit_withdrawn_share"] = unit.map(gone).astype(float).fillna(0.0)
    out["unit_submit_share"] = out.groupby("unit")["share_due_submitted"].transform("mean")
    out["unit_wscore"] = out.groupby("unit")["wscore"].transform("mean")
    dued = allsub.merge(mods[["module_id", "due_day"]].astype({"module_id": str}), on="module_id")
    early = dued[dued["due_day"].astype(float) > cutoff].groupby("staff_id").size()
    out["n_early"] = out["staff_id"].map(early).fillna(0)

    # standing against the cohort and the latest work (scored to transfer across modules)
    out["wscore_rel"] = out["wscore"] - out["unit_wscore"]
    out["rel_pct"] = _pct(out["rel_score"].fillna(-10.0), out["unit"])
    order = pairs.sort_values(["staff_id", "due_day", "module_id"])
    lastk = order.groupby("staff_id").tail(2)
    out["missed_last2"] = out["staff_id"].map(
        (~lastk["submitted"]).groupby(lastk["staff_id"]).sum()
    )
    out["missed_last2"] = out["missed_last2"].fillna(0.0)
    last1 = order.groupby("staff_id").tail(1).set_index("staff_id")
    out["last_submitted"] = out["staff_id"].map(last1["submitted"].astype(float))
    out["last_rel"] = out["staff_id"].map(last1["rel"])
    out["trend"] = out["last_rel"] - out["rel_score"]
    low = pairs["submitted"] & (pairs["score"] < 40)
    out["n_low"] = out["staff_id"].map(low.groupby(pairs["staff_id"]).sum()).fillna(0.0)
    med = out.groupby("unit")["days_since_last"].transform("median")
    out["days_since_last_rel"] = out["days_since_last"] - med
    # share of the presentation's coursework weight (exams excluded) submitted so far
    course = mods[mods["assessment_type"] != "Exam"].astype({"module_id": str})
    total_w = course.groupby("org_id")["weight"].sum().astype(float)
    wdone = allsub.merge(course[["module_id", "weight"]], on="module_id")
    wdone = wdone.groupby("staff_id")["weight"].sum().astype(float)
    tw = unit.map(total_w).astype(float)
    out["progress_weight"] = np.where(
        tw > 0, out["staff_id"].map(wdone).fillna(0.0) / tw.clip(lower=1e-9), np.nan
    )
    nxt = mods[mods["due_day"].astype(float) > cutoff].groupby("org_id")["due_day"].min()
    out["next_due_days"] = unit.map(nxt).astype(float) - cutoff

    out["registration_day"] = reg[keep.to_numpy()].to_numpy()
    out["prev_attempts"] = people["num_of_prev_attempts"].astype(float).to_numpy()
    out["studied_credits"] = people["studied_credits"].astype(float).to_numpy()
    out["education"] = people["highest_education"].map(_EDU).astype(float).to_numpy()
    imd = people["imd_band"].astype(str).str.extract(r"^(\d+)")[0].astype(float)
    out["imd"] = imd.to_numpy()
    out["age"] = people["age_band"].map(_AGE).astype(float).to_numpy()
    out["disability"] = (people["disability"] == "Y").astype(float).to_numpy()

    clicks = tables.get("_oulad/student_vle")
    if clicks is not None and len(clicks):
        c = clicks[clicks["date"].astype(float) <= cutoff]
        total = c.groupby("staff_id")["sum_click"].sum()
        days = c.groupby("staff_id")["date"].nunique()
        recent = c[c["date"].astype(float) > cutoff - 14].groupby("staff_id")["sum_click"].sum()
        for name, series in (("clicks", total), ("days", days), ("recent", recent)):
            out[f"_{name}"] = out["staff_id"].map(series).fillna(0).astype(float)
        out["clicks_pct"] = _pct(out["_clicks"], out["unit"])
        out["active_days_pct"] = _pct(out["_days"], out["unit"])
        out["clicks_recent_pct"] = _pct(out["_recent"], out["unit"])
        out["has_clicks"] = 1.0
        out = out.drop(columns=["_clicks", "_days", "_recent"])
    else:
        for c in ("clicks_pct", "active_days_pct", "clicks_recent_pct"):
            out[c] = np.nan
        out["has_clicks"] = 0.0

    out["rule_score"] = 1.0 - np.clip(out["wscore"].fillna(0.0), 0, 100) / 100.0
    results = tables.get("_oulad/results")
    if results is not None:
        res = results.set_index("staff_id")["final_result"]
        out["label"] = out["staff_id"].map(res).isin(BAD_RESULTS).astype(int)
    else:
        out["label"] = np.nan
    cols = [*FEATURES, *CONTEXT]
    out[cols] = out[cols].astype(float)
    keep_cols = [
        "staff_id", "unit", "module", "cutoff_day", "id_student", *cols, "rule_score", "label",
    ]  # fmt: skip
    return out[keep_cols].reset_index(drop=True)
