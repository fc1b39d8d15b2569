"""The as-of guarantee: appending records dated after the as-of date changes no output."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.policy import load_policy
from features.compliance import compliance
from features.graph import learning_map, skills_graph, to_json
from features.mastery import skill_mastery
from features.org import org_profiles
from features.profile import learner_profiles
from features.report import programme_report
from features.snapshot import snapshot
from tests.features.world import world

AS_OF = "2026-03-01"


def _future(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The same dataset plus records dated after AS_OF: new staff, departures,
    enrolments, completions of old enrolments, scores and outcomes."""
    cut = pd.Timestamp(AS_OF)
    t = {k: v.copy() for k, v in tables.items()}
    later = pd.Timedelta(days=40)
    s = t["staff"].head(30).copy()
    s["staff_id"] = s["staff_id"] + "F"
    s["hired_on"] = cut + pd.Timedelta(days=1)
    # departures not known yet: staff employed on AS_OF who leave later
    staying = t["staff"]["left_on"].isna() & (t["staff"]["hired_on"] <= cut)
    leaving = staying[staying].index[::7]
    t["staff"].loc[leaving, "left_on"] = cut + pd.Timedelta(days=20)
    t["staff"] = pd.concat([t["staff"], s], ignore_index=True)
    p = t["participations"].head(500).copy()
    p["participation_id"] = p["participation_id"] + "F"
    p["enrolled_on"] = cut + later
    p["completed_on"] = p["completed_on"].where(p["completed_on"].isna(), cut + 2 * later)
    p.loc[p.index[:5], "staff_id"] = s["staff_id"].to_numpy()[:5]
    t["participations"] = pd.concat([t["participations"], p], ignore_index=True)
    a = t["assessments"].head(300).copy()
    a["assessment_id"] = a["assessment_id"] + "F"
    a["taken_on"] = cut + later
    a["score"] = 1.0
    t["assessments"] = pd.concat([t["assessments"], a], ignore_index=True)
    o = t["outcomes"].head(300).copy()
    o["outcome_id"] = o["outcome_id"] + "F"
    o["measured_on"] = cut + later
    t["outcomes"] = pd.concat([t["outcomes"], o], ignore_index=True)
    return t


def _outputs(tables: dict[str, pd.DataFrame]) -> dict[str, object]:
    snap = snapshot(tables, AS_OF)
    out: dict[str, object] = {"profiles": learner_profiles(snap)}
    for name in ("national-2025", "cadre-hours", "credits"):
        out[name] = compliance(snap, load_policy(name))
    out["orgs"] = org_profiles(snap, out["national-2025"])
    rep = programme_report(snap, out["national-2025"], load_policy("national-2025"))
    out.update(rep.tables())
    sid = snap.staff["staff_id"].iloc[3]
    out["map"] = to_json(learning_map(snap, sid))
    g = skills_graph(snap, min_support=1)
    out["graph"] = sorted(
        (u, v, k, d.get("weight")) for u, v, k, d in g.edges(keys=True, data=True)
    )
    return out


def test_records_after_as_of_change_nothing(small_tables: dict[str, pd.DataFrame]) -> None:
    # the data must actually hold completions straddling the date for this to mean much
    p = small_tables["participations"]
    assert (p["completed_on"] > AS_OF).any() and (p["completed_on"] <= AS_OF).any()
    before, after = _outputs(small_tables), _outputs(_future(small_tables))
    for key, value in before.items():
        if isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(value, after[key], obj=key)
        else:
            assert value == after[key], key


def test_completion_after_as_of_is_still_enrolled(small_tables: dict[str, pd.DataFrame]) -> None:
    p = small_tables["participations"]
    straddle = p[(p["enrolled_on"] <= AS_OF) & (p["completed_on"] > AS_OF)]
    assert len(straddle)
    snap = snapshot(small_tables, AS_OF)
    ids = pd.Index(snap.staff["staff_id"]).get_indexer(straddle["staff_id"])
    seen = snap.part.merge(pd.DataFrame({"s": ids}), on="s")
    assert (seen["completed_on"].dropna() <= pd.Timestamp(AS_OF)).all()
    assert not np.isin("completed", snap.part.loc[snap.part["completed_on"].isna(), "status"])


def test_records_dated_on_the_as_of_date_count_and_the_day_after_does_not() -> None:
    """The boundary is inclusive for every dated record: an assessment taken, an
    outcome measured or a completion on the as-of date is known that day."""
    staff = [("F", "O2", "finance", "2020-01-01", ""), ("G", "O2", "finance", "2020-01-01", "")]
    day, after = AS_OF, "2026-03-02"
    parts = [("F", "ON6", day, "completed"), ("G", "ON6", after, "completed")]
    scores = [("F", "ON2", day, "90"), ("G", "ON2", after, "90")]
    outcomes = [
        ("F", "ON6", day, "satisfaction", "80"),
        ("F", "ON6", "2026-02-20", "pre", "40"),
        ("F", "ON6", day, "post", "70"),
        ("G", "ON6", after, "satisfaction", "80"),
        ("G", "ON6", "2026-02-20", "pre", "40"),
        ("G", "ON6", after, "post", "70"),
    ]
    snap = snapshot(world(staff, parts, scores, outcomes), AS_OF)
    prof = learner_profiles(snap).set_index("staff_id")
    f, g = prof.loc["F"], prof.loc["G"]
    assert (f["n_scores"], f["score_mean"], f["satisfaction_mean"], f["gain_post_pre"]) == (
        1,
        90,
        80,
        30,
    )
    assert f["person_times"] == 1 and f["hours_window"] == 6 and f["hours_2026"] == 6
    assert g["n_scores"] == 0 and pd.isna(g["satisfaction_mean"]) and pd.isna(g["gain_post_pre"])
    # G's completion falls the day after: still enrolled, with no hours and no credits
    assert (g["person_times"], g["hours_window"], g["hours_12m"], g["completions"]) == (0, 0, 0, 0)
    assert g["credits_window"] == 0 and g["enrolments"] == 1
    mine = snap.part[snap.part["s"] == 1]
    assert (mine["status"] == "enrolled").all() and (mine["hours"] == 0).all()
    m = skill_mastery(snap).long(snap.staff["staff_id"].to_numpy())
    assert set(m["staff_id"]) == {"F"}  # only F's score is evidence as of the date
    hours = {
        p: compliance(snap, load_policy(p)).set_index("staff_id")["done"]
        for p in ("cadre-hours", "national-2025")
    }
    assert hours["cadre-hours"]["G"] == 0 and hours["national-2025"]["G"] == 0
    assert hours["cadre-hours"]["F"] > 0 and hours["national-2025"]["F"] == 1
