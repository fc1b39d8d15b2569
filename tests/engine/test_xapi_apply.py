"""Statements become records: the mapping table of ``engine.xapi.apply``, hour rules,
voiding, pending statements that apply once the maps know them, held statements."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from engine.ingest import ingest
from engine.policy import OnlineHours, load_policy
from engine.store import Store
from engine.xapi import lrs
from engine.xapi.accept import Rejected, prepare, save
from engine.xapi.apply import after_ingest, apply, pending
from engine.xapi.hours import hours_for
from tests.xapi_world import COURSE, load_world, statement, write_world

AUTH = {"objectType": "Agent", "account": {"homePage": "https://learnmap.test", "name": "k1"}}
RULES = load_policy("cadre-online").online_hours


@pytest.fixture
def world(store: Store, tmp_path: Path) -> Store:
    load_world(store, tmp_path / "world")
    yield store
    lrs.META.drop_all(store.engine)


def send(store: Store, *items: dict, rules: OnlineHours = RULES) -> None:
    save(store.engine, prepare(list(items), AUTH))
    apply(store, rules, "Asia/Shanghai", ("new",))


def parts(store: Store) -> pd.DataFrame:
    return store.load_table("participations").sort_values("enrolled_on").reset_index(drop=True)


def test_a_course_lifecycle_becomes_one_participation_and_an_assessment(world: Store) -> None:
    send(
        world,
        statement("registered", when="2026-03-01T09:00:00+08:00"),
        statement("launched", when="2026-03-02T09:00:00+08:00"),
        statement("completed", when="2026-03-05T10:00:00+08:00", result={"duration": "PT45M"}),
        statement("passed", when="2026-03-05T10:05:00+08:00",
                  result={"score": {"raw": 45, "min": 0, "max": 50}, "success": True}),
    )  # fmt: skip
    p = parts(world)
    assert len(p) == 1
    row = p.iloc[0]
    assert (row.staff_id, row.module_id, row.status) == ("S1", "M1", "completed")
    assert str(row.enrolled_on.date()) == "2026-03-01"
    assert str(row.completed_on.date()) == "2026-03-05"
    assert row.hours == 1.0  # 45 minutes ≥ 30 → 1 学时 under cadre-online
    a = world.load_table("assessments")
    assert a["score"].tolist() == [90.0] and a["staff_id"].tolist() == ["S1"]


def test_dates_are_read_in_beijing_time(world: Store) -> None:
    send(world, statement("registered", when="2026-03-01T23:30:00Z"))
    assert str(parts(world).iloc[0].enrolled_on.date()) == "2026-03-02"


@pytest.mark.parametrize(("duration", "hours"), [("PT30M", 1.0), ("PT29M", 0.5), ("PT15M", 0.5),
                                                 ("PT14M59S", 0.25), ("PT2M", 0.25)])  # fmt: skip
def test_hours_follow_the_policy_steps(world: Store, duration: str, hours: float) -> None:
    send(world, statement("completed", result={"duration": duration}))
    assert parts(world).iloc[0].hours == hours


def test_no_duration_counts_the_catalogue_hours(world: Store) -> None:
    send(world, statement("completed", course="2"))
    assert parts(world).iloc[0].hours == 1.5  # M2's hours in the catalogue


def test_the_yearly_cap_credits_only_what_is_left() -> None:
    rules = OnlineHours(steps=((30, 1.0), (0, 0.25)), yearly_cap=2.5)
    assert [hours_for(m, rules) for m in (45, 10)] == [1.0, 0.25]


def test_a_cap_reached_within_a_year_and_a_fresh_one_next_year(world: Store) -> None:
    rules = OnlineHours(steps=((30, 1.0), (0, 0.25)), yearly_cap=1.5)
    send(
        world,
        statement("completed", course="1", when="2026-03-01T09:00:00+08:00",
                  result={"duration": "PT40M"}),
        statement("completed", course="2", when="2026-04-01T09:00:00+08:00",
                  result={"duration": "PT40M"}),
        statement("completed", course="2", when="2027-01-10T09:00:00+08:00",
                  result={"duration": "PT40M"},
                  context={"registration": "6f1b4c8e-1d2a-4f0a-9a3b-0c1d2e3f4a5b"}),
        rules=rules,
    )  # fmt: skip
    assert parts(world)["hours"].tolist() == [1.0, 0.5, 1.0]


def test_a_registration_is_its_own_participation(world: Store) -> None:
    reg1, reg2 = "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"
    send(
        world,
        statement("registered", context={"registration": reg1}),
        statement("completed", context={"registration": reg1}, result={"duration": "PT31M"}),
        statement("registered", when="2026-05-01T09:00:00+08:00", context={"registration": reg2}),
        statement("attempted", when="2026-05-02T09:00:00+08:00", context={"registration": reg2}),
    )  # fmt: skip
    assert parts(world)["status"].tolist() == ["completed", "enrolled"]


def test_voiding_withdraws_the_effect_and_only_that(world: Store) -> None:
    reg, done = statement("registered"), statement("completed", result={"duration": "PT45M"})
    send(world, reg, done)
    assert parts(world).iloc[0].status == "completed"
    void = statement("voided", object={"objectType": "StatementRef", "id": done["id"]})
    send(world, void)
    row = parts(world).iloc[0]
    assert (row.status, row.hours) == ("enrolled", 0.0) and pd.isna(row.completed_on)
    send(world, statement("voided", object={"objectType": "StatementRef", "id": reg["id"]}))
    assert parts(world).empty  # no evidence left: the participation is withdrawn


def test_a_voiding_statement_cannot_be_voided(world: Store) -> None:
    done = statement("completed")
    void = statement("voided", object={"objectType": "StatementRef", "id": done["id"]})
    send(world, done, void)
    again = statement("voided", object={"objectType": "StatementRef", "id": void["id"]})
    with pytest.raises(Rejected, match="another voiding statement"):
        send(world, again)


def test_same_id_same_content_is_idempotent_other_content_conflicts(world: Store) -> None:
    s = statement("completed", result={"duration": "PT45M"})
    send(world, s)
    send(world, s)
    assert len(parts(world)) == 1
    with pytest.raises(Rejected) as exc:
        send(world, {**s, "result": {"duration": "PT5M"}})
    assert exc.value.status == 409
    assert parts(world).iloc[0].hours == 1.0


def test_unknown_accounts_wait_and_apply_once_mapped(world: Store, tmp_path: Path) -> None:
    s = statement("completed", user="u3", result={"duration": "PT45M"})
    t = statement("completed", user="u1", course="9")  # an activity nobody mapped
    send(world, s, t)
    assert parts(world).empty
    waiting = pending(world)
    assert set(waiting["statement_id"]) == {s["id"], t["id"]}
    assert set(waiting["state"]) == {"pending"}
    assert any("u3" in n for n in waiting["note"]) and any("course/9" in n for n in waiting["note"])
    counts = ingest(write_world(tmp_path / "maps", map_u3=True) / "accounts.csv", world)
    done = after_ingest(world, [t for t, c in counts.items() if c.new], RULES, "Asia/Shanghai")
    assert done is not None and done.applied == 1 and done.pending == 1
    assert parts(world)["staff_id"].tolist() == ["S3"]
    assert pending(world)["statement_id"].tolist() == [t["id"]]


def test_a_completion_before_hiring_is_held_with_the_rule(world: Store) -> None:
    early = statement("completed", user="u2", when="2026-01-05T09:00:00+08:00")  # S2 hired 06-01
    fine = statement("completed", user="u1", course="2")
    send(world, early, fine)
    assert parts(world)["staff_id"].tolist() == ["S1"]  # the other person's record still applies
    held = pending(world)
    assert held["statement_id"].tolist() == [early["id"]]
    assert held["state"].tolist() == ["held"] and "hired" in held["note"].iloc[0]


def test_other_verbs_are_kept_and_change_nothing(world: Store) -> None:
    s = statement("http://id.tincanapi.com/verb/viewed")
    send(world, s)
    assert parts(world).empty and pending(world).empty
    with world.engine.connect() as conn:
        state = conn.execute(sa.select(lrs.STATEMENTS.c.state)).scalar_one()
    assert state == "ignored"


def test_a_crash_between_store_and_apply_is_repaired_by_the_next_apply(world: Store) -> None:
    save(world.engine, prepare([statement("completed", result={"duration": "PT45M"})], AUTH))
    assert parts(world).empty  # stored, not yet applied (as if the process died here)
    apply(world, RULES)
    assert parts(world)["status"].tolist() == ["completed"]
    assert COURSE  # the world's activities are IRIs under the platform's home page
