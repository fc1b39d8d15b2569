"""No leaks: facts that become known only after ``as_of`` move no score.

Planted: drops and no-shows of sessions that end after ``as_of`` (the record exists on
``as_of`` as an enrolment; that the person dropped or did not show is known only at the
session's end), and organization ratings (a grade with no date, awarded after the fact).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.policy import load_policy
from features.asof import tables_as_of
from features.snapshot import snapshot
from models.risk.estimator import StaffRisk
from tests.models.test_risk import AS_OF, synthetic_world

SESSION_START, SESSION_END = pd.Timestamp("2026-07-06"), pd.Timestamp("2026-07-24")


def _world() -> dict[str, pd.DataFrame]:
    """The synthetic world, with ratings that follow how well an organization trains,
    and 200 enrolments made before ``as_of`` in a session held after it."""
    tables, rate = synthetic_world(n=700, seed=3)
    tables = {k: v.copy() for k, v in tables.items()}
    staff, orgs = tables["staff"], tables["organizations"]
    org_rate = pd.Series(rate).groupby(staff["org_id"].to_numpy()).mean()
    orgs["rating"] = np.clip(np.round(org_rate.reindex(orgs["org_id"]).to_numpy() * 2), 0, 5)
    tables["sessions"] = pd.DataFrame(
        {
            "session_id": ["LATER"],
            "module_id": ["M0"],
            "starts_on": [SESSION_START],
            "ends_on": [SESSION_END],
            "capacity": [np.nan],
        }
    )
    who = np.random.default_rng(5).choice(len(staff), 200, replace=False)
    planted = pd.DataFrame(
        {
            "participation_id": [f"LATE{i}" for i in range(len(who))],
            "staff_id": staff["staff_id"].to_numpy()[who],
            "module_id": "M0",
            "completed_on": pd.NaT,
            "enrolled_on": pd.Timestamp("2026-06-01"),
            "session_id": "LATER",
            "status": "enrolled",
            "hours": 0.0,
        }
    )
    tables["participations"] = pd.concat([tables["participations"], planted], ignore_index=True)
    return tables


def _with_future_facts(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The same world as recorded later: the planted enrolments ended as drops and
    no-shows (session over), and every organization got a new rating."""
    out = {k: v.copy() for k, v in tables.items()}
    p = out["participations"]
    late = p["participation_id"].str.startswith("LATE").to_numpy()
    p.loc[late, "status"] = np.where(np.arange(late.sum()) % 2 == 0, "dropped", "no_show")
    p.loc[late, "hours"] = 2.0
    out["organizations"]["rating"] = 5 - out["organizations"]["rating"]
    return out


@pytest.fixture(scope="module")
def worlds() -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    base = _world()
    return base, _with_future_facts(base)


def test_drops_and_no_shows_are_known_at_their_sessions_end(worlds) -> None:  # noqa: ANN001
    _, later = worlds
    for day, seen in ((AS_OF, {"enrolled"}), (SESSION_END, {"dropped", "no_show"})):
        view = tables_as_of(later, day)["participations"]
        assert set(view.loc[view["participation_id"].str.startswith("LATE"), "status"]) == seen
        assert (view.loc[view["participation_id"].str.startswith("LATE"), "hours"] > 0).all() == (
            day == SESSION_END
        )
        # the coded view the features read: the world has no other drops or no-shows
        status = snapshot(later, day).part["status"].astype(str)
        assert status.isin(["dropped", "no_show"]).sum() == (200 if day == SESSION_END else 0)
    # the view is idempotent: what was not known stays unknown when viewed again
    once = tables_as_of(later, AS_OF)
    twice = tables_as_of({k: v.copy() for k, v in once.items()}, AS_OF)
    pd.testing.assert_frame_equal(once["participations"], twice["participations"])


def test_future_facts_move_no_score(worlds) -> None:  # noqa: ANN001
    base, later = worlds
    policy = load_policy("national-2025")
    a = StaffRisk(max_iter=60).fit(base, AS_OF, policy)
    b = StaffRisk(max_iter=60).fit(later, AS_OF, policy)
    pa, pb = a.predict(base, AS_OF), b.predict(later, AS_OF)
    assert pa["p_miss"].nunique() > 20  # a model that says something
    pd.testing.assert_frame_equal(pa, pb)
    # the trained model too: scoring the later records with the model trained on as_of
    pd.testing.assert_frame_equal(a.predict(later, AS_OF), pa)
