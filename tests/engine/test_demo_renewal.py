"""Demo data III's catalogue renews (``engine.demo.renewal``): new modules every year
(source 002: ≥ 35 %), retired ones gone, classes announced before they start, and the
oracle exact on modules nobody has taken yet."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.demo import stats as S
from tests.engine.test_demo_choice import cadre


def test_at_least_35_percent_of_each_years_modules_are_new() -> None:
    shares = S.renewal_shares(cadre()[0])
    assert list(shares.index) == [2023, 2024, 2025]
    assert (shares >= 0.35).all(), shares.to_dict()
    assert (shares <= 0.6).all(), shares.to_dict()  # a renewing catalogue, not a new one


def test_retired_modules_are_never_chosen_or_scheduled_again() -> None:
    t, truth = cadre()
    last = truth.offers.groupby("module_id")["month"].max()
    retired = last[last < "2025-12"]
    assert len(retired) > 100
    p = t["participations"]
    month = p["enrolled_on"].dt.strftime("%Y-%m")
    late = p[p["module_id"].isin(retired.index) & (month > p["module_id"].map(retired))]
    assert late.empty
    s = t["sessions"]
    opens = pd.to_datetime(s["enrol_from"]).dt.strftime("%Y-%m")
    assert not (s["module_id"].isin(retired.index) & (opens > s["module_id"].map(retired))).any()
    m = t["modules"].set_index("module_id")
    paced = p[p["module_id"].map(m["mode"]) == "online"]
    to = paced["module_id"].map(m["offered_to"])
    frm = paced["module_id"].map(m["offered_from"])
    assert not (paced["enrolled_on"] > to).any() and not (paced["enrolled_on"] < frm).any()


def test_classes_are_announced_before_they_start() -> None:
    t, _ = cadre()
    s = t["sessions"].set_index("session_id")
    assert (s["enrol_from"] < s["starts_on"]).all()
    p = t["participations"]
    p = p[p["session_id"].fillna("") != ""]
    opens, starts = p["session_id"].map(s["enrol_from"]), p["session_id"].map(s["starts_on"])
    assert ((p["enrolled_on"] >= opens) & (p["enrolled_on"] < starts)).all()
    # the schedule reaches past the last enrolment: the next classes are already listed
    assert s["starts_on"].max() > t["participations"]["enrolled_on"].max()
    empty = ~s.index.isin(p["session_id"])
    assert empty.any() and (~empty).sum() > 100


def _new_modules(truth, month: str) -> set[str]:  # noqa: ANN001
    first = truth.offers.groupby("module_id")["month"].min()
    return set(first.index[first == month])


def test_oracle_is_the_documented_formula_on_new_modules() -> None:
    """With no history, P(m | online pool) ∝ exp(θ·τ_m + log popularity + quality_uptake·q)
    over the online modules offered that month, × prereq_skip where a prerequisite is unmet."""
    t, truth = cadre()
    as_of, month = "2024-06-30", "2024-07"
    new = _new_modules(truth, month)
    assert len(new) > 20
    ids = truth.people["staff_id"].iloc[:30].tolist()
    empty = t["participations"].iloc[:0]
    p = truth.choice_probabilities(empty, as_of, ids)
    mods = truth.modules.set_index("module_id")
    on = p[p["module_id"].map(mods["pool"]) == "online"].copy()
    on["p"] /= on.groupby("staff_id")["p"].transform("sum")
    fx = truth.params["effects"]
    offered = truth.offers.loc[truth.offers["month"] == month, "module_id"]
    m = mods.loc[mods.index.isin(offered) & (mods["pool"] == "online")]
    tau = m[[c for c in m.columns if c.startswith("tau_")]].to_numpy()
    it = truth.interests[truth.interests["year"] == 2024].set_index("staff_id")
    theta = it.loc[ids, [c for c in it.columns if c.startswith("interest_")]].to_numpy()
    skip = np.where(m["prerequisites"] != "", fx["prereq_skip"], 1.0)
    w = (
        np.exp(
            theta @ tau.T
            + np.log(m["popularity"].to_numpy())
            + fx["quality_uptake"] * m["quality"].to_numpy()
        )
        * skip
    )
    w /= w.sum(axis=1, keepdims=True)
    want = pd.DataFrame(w, index=ids, columns=m.index).stack().rename("want")
    got = on.set_index(["staff_id", "module_id"])["p"]
    both = pd.concat([got, want], axis=1).fillna(0.0)
    assert np.allclose(both["p"], both["want"], atol=1e-5)
    assert both.loc[both.index.get_level_values(1).isin(new), "want"].sum() > 1.0


def test_oracle_predicts_how_often_new_modules_are_chosen() -> None:
    """Over everyone who enrolled in a launch month: the oracle's expected number of first
    choices that are new modules matches what the generator drew."""
    t, truth = cadre()
    part = t["participations"]
    for as_of, month in (("2024-06-30", "2024-07"), ("2025-03-31", "2025-04")):
        new = _new_modules(truth, month)
        nxt = part[part["enrolled_on"].dt.strftime("%Y-%m") == month]
        nxt = nxt.sort_values(["enrolled_on", "participation_id"]).drop_duplicates("staff_id")
        p = truth.choice_probabilities(part, as_of, nxt["staff_id"])
        expected = p.loc[p["module_id"].isin(new), "p"].sum()
        observed = nxt["module_id"].isin(new).sum()
        sd = np.sqrt(expected)
        assert abs(observed - expected) < 4 * sd + 0.05 * expected, (month, observed, expected)
        assert observed > 50
