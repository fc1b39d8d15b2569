"""The as-of guarantee: appending records dated after the as-of date changes no output."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.policy import load_policy
from features.compliance import compliance
from features.graph import learning_map, skills_graph, to_json
from features.org import org_profiles
from features.profile import learner_profiles
from features.report import programme_report
from features.snapshot import snapshot

AS_OF = "2026-03-01"


def _future(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The same dataset plus records dated after AS_OF: new staff, enrolments,
    completions of old enrolments, scores and outcomes."""
    cut = pd.Timestamp(AS_OF)
    t = {k: v.copy() for k, v in tables.items()}
    later = pd.Timedelta(days=40)
    s = t["staff"].head(30).copy()
    s["staff_id"] = s["staff_id"] + "F"
    s["hired_on"] = cut + pd.Timedelta(days=1)
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
