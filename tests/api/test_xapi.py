"""``/xAPI/statements`` over HTTP: auth and version header, store and read back,
conflicts, paging, the learner's profile reflecting statements, a real xAPI client
(TinCanPython's ``RemoteLRS``), and all-or-nothing batches (property test)."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.app import create_app
from api.keys import create_key
from api.settings import Settings
from engine.store import Store
from tests.xapi_world import COURSE, HOME, load_world, statement

V = {"X-Experience-API-Version": "1.0.3"}


class Env:
    def __init__(self, root: Path) -> None:
        self.db = root / "x.db"
        self.store = load_world(Store(f"sqlite:///{self.db}"), root / "world")
        self.keys = {r: create_key(self.store.engine, r, staff_id="S1" if r == "staff" else None)[0]
                     for r in ("platform", "admin", "staff", "researcher")}  # fmt: skip
        self.settings = Settings(
            database_url=f"sqlite:///{self.db}", warm=False, key_cache_seconds=0.0,
            as_of=__import__("datetime").date(2026, 6, 30), model_dir=root / "models",
        )  # fmt: skip
        self.app = create_app(self.settings)

    def h(self, role: str = "platform") -> dict[str, str]:
        return {**V, "X-API-Key": self.keys[role]}


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Env, TestClient]]:
    e = Env(tmp_path_factory.mktemp("xapi"))
    with TestClient(e.app) as c:
        yield e, c


def test_every_request_needs_the_version_header_and_a_platform_or_admin_key(env) -> None:  # noqa: ANN001
    e, c = env
    s = [statement("registered")]
    assert (
        c.post("/xAPI/statements", json=s, headers={"X-API-Key": e.keys["platform"]}).status_code
        == 400
    )
    assert c.post("/xAPI/statements", json=s, headers=V).status_code == 401
    for role in ("staff", "researcher"):
        r = c.post("/xAPI/statements", json=s, headers=e.h(role))
        assert r.status_code == 403 and r.headers["X-Experience-API-Version"] == "1.0.3"
    basic = base64.b64encode(f"lms:{e.keys['platform']}".encode()).decode()
    r = c.post("/xAPI/statements", json=s, headers={**V, "Authorization": f"Basic {basic}"})
    assert r.status_code == 200 and r.json() == [s[0]["id"]]


def test_a_platform_key_reaches_nothing_else(env) -> None:  # noqa: ANN001
    e, c = env
    h = {"X-API-Key": e.keys["platform"]}
    for url in ("/v1/learners/S1/profile", "/v1/learners/S1/recommendations",
                "/v1/organizations/O1/staff", "/v1/reports/programme"):  # fmt: skip
        assert c.get(url, headers=h).status_code == 403, url
    r = c.post("/v1/records/participations", json=[{"participation_id": "x"}], headers=h)
    assert r.status_code == 403


def test_store_read_back_and_the_profile_reflects_it(env) -> None:  # noqa: ANN001
    e, c = env
    before = c.get("/v1/learners/S2/profile", headers=e.h("admin")).json()
    items = [
        statement("registered", user="u2", course="2", when="2026-06-10T09:00:00+08:00"),
        statement("completed", user="u2", course="2", when="2026-06-12T09:00:00+08:00",
                  result={"duration": "PT20M", "completion": True}),
    ]  # fmt: skip
    r = c.post("/xAPI/statements", json=items, headers=e.h())
    assert r.status_code == 200 and r.json() == [s["id"] for s in items]
    got = c.get("/xAPI/statements", params={"statementId": items[1]["id"]}, headers=e.h())
    body = got.json()
    assert got.status_code == 200 and body["result"]["duration"] == "PT20M"
    assert body["version"] == "1.0.3" and body["stored"].endswith("Z")
    assert body["authority"]["account"]["name"] == e.keys["platform"].split("_")[1]
    after = c.get("/v1/learners/S2/profile", headers=e.h("admin")).json()
    assert after["completions"] == before["completions"] + 1
    assert after["hours_2026"] == before["hours_2026"] + 0.5  # 15–30 minutes = 0.5 学时


def test_put_stores_under_the_given_id_and_conflicts_are_409(env) -> None:  # noqa: ANN001
    e, c = env
    s = statement("attempted")
    sid = s.pop("id")
    r = c.put("/xAPI/statements", params={"statementId": sid}, json=s, headers=e.h())
    assert r.status_code == 204
    assert (
        c.put("/xAPI/statements", params={"statementId": sid}, json=s, headers=e.h()).status_code
        == 204
    )
    other = {**s, "verb": {"id": "http://adlnet.gov/expapi/verbs/launched"}}
    r = c.put("/xAPI/statements", params={"statementId": sid}, json=other, headers=e.h())
    assert r.status_code == 409 and r.json()["problems"][0]["value"] == sid
    r = c.put(
        "/xAPI/statements",
        params={"statementId": sid},
        json={**s, "id": statement("x")["id"]},
        headers=e.h(),
    )
    assert r.status_code == 400


def test_a_bad_batch_lists_every_problem_and_stores_nothing(env) -> None:  # noqa: ANN001
    e, c = env
    good = statement("registered", user="u1", course="2")
    bad1 = {**statement("completed"), "verb": {"id": "completed"}}
    bad2 = {**statement("passed"), "result": {"score": {"scaled": 3}}}
    r = c.post("/xAPI/statements", json=[good, bad1, bad2], headers=e.h())
    assert r.status_code == 400
    probs = r.json()["problems"]
    assert [(p["statement"], p["field"]) for p in probs] == [
        (1, "verb.id"),
        (2, "result.score.scaled"),
    ]
    assert probs[0]["value"] == "completed"
    got = c.get("/xAPI/statements", params={"statementId": good["id"]}, headers=e.h())
    assert got.status_code == 404


def test_queries_filter_and_page_through_everything_once(env) -> None:  # noqa: ANN001
    e, c = env
    reg = "33333333-3333-4333-8333-333333333333"
    mine = [statement("experienced" if i % 2 else "attempted", user="u9", course=str(i),
                      context={"registration": reg}) for i in range(7)]  # fmt: skip
    mine = [{**s, "verb": {"id": "http://adlnet.gov/expapi/verbs/" + ("experienced" if i % 2 else "attempted")}}
            for i, s in enumerate(mine)]  # fmt: skip
    assert c.post("/xAPI/statements", json=mine, headers=e.h()).status_code == 200
    agent = json.dumps({"account": {"homePage": HOME, "name": "u9"}})
    seen, url, params = [], "/xAPI/statements", {"agent": agent, "limit": 3}
    while url:
        page = c.get(url, params=params, headers=e.h()).json()
        seen += [s["id"] for s in page["statements"]]
        url, params = page["more"], None
    assert sorted(seen) == sorted(s["id"] for s in mine) and len(seen) == 7
    only = c.get(
        "/xAPI/statements",
        headers=e.h(),
        params={
            "agent": agent,
            "verb": "http://adlnet.gov/expapi/verbs/attempted",
            "activity": COURSE + "2",
        },
    ).json()
    assert [s["id"] for s in only["statements"]] == [mine[2]["id"]]
    by_reg = c.get(
        "/xAPI/statements", headers=e.h(), params={"registration": reg, "ascending": "true"}
    ).json()
    assert [s["id"] for s in by_reg["statements"]] == [s["id"] for s in mine]
    later = c.get(
        "/xAPI/statements", headers=e.h(), params={"agent": agent, "since": "2999-01-01T00:00:00Z"}
    ).json()
    assert later["statements"] == []


def test_voided_statements_leave_queries_and_are_found_by_voided_id(env) -> None:  # noqa: ANN001
    e, c = env
    s = statement("attempted", user="u8")
    v = statement("voided", user="u8", object={"objectType": "StatementRef", "id": s["id"]})
    assert c.post("/xAPI/statements", json=[s, v], headers=e.h()).status_code == 200
    assert (
        c.get("/xAPI/statements", params={"statementId": s["id"]}, headers=e.h()).status_code == 404
    )
    got = c.get("/xAPI/statements", params={"voidedStatementId": s["id"]}, headers=e.h())
    assert got.status_code == 200 and got.json()["id"] == s["id"]
    agent = json.dumps({"account": {"homePage": HOME, "name": "u8"}})
    ids = [
        x["id"]
        for x in c.get("/xAPI/statements", params={"agent": agent}, headers=e.h()).json()[
            "statements"
        ]
    ]
    assert ids == [v["id"]]


# ---- a real, independent client --------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Env, str]]:
    e = Env(tmp_path_factory.mktemp("xapi-live"))
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(e.app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started, "the server did not start"
    yield e, f"http://127.0.0.1:{port}/xAPI/"
    srv.should_exit = True
    thread.join(timeout=10)


def test_tincan_remote_lrs_saves_and_queries(server) -> None:  # noqa: ANN001
    from tincan import (
        Activity,
        Agent,
        AgentAccount,
        RemoteLRS,
        Result,
        Statement,
        StatementList,  # fmt: skip
        Verb,
    )

    e, endpoint = server
    lrs = RemoteLRS(version="1.0.3", endpoint=endpoint, username="lms", password=e.keys["platform"])
    actor = Agent(account=AgentAccount(home_page=HOME, name="u1"))
    done = Statement(
        actor=actor,
        verb=Verb(id="http://adlnet.gov/expapi/verbs/completed", display={"zh-CN": "完成"}),
        object=Activity(id=COURSE + "2"),
        result=Result(duration="PT1H", completion=True),
        timestamp="2026-04-01T10:00:00+08:00",
    )
    started = Statement(actor=actor, verb=Verb(id="http://adlnet.gov/expapi/verbs/registered"),
                        object=Activity(id=COURSE + "2"), timestamp="2026-03-30T10:00:00+08:00")  # fmt: skip
    resp = lrs.save_statements(StatementList([started, done]))
    assert resp.success, (resp.response.status, resp.data)
    got = lrs.query_statements(
        {"agent": actor, "verb": Verb(id="http://adlnet.gov/expapi/verbs/completed")}
    )
    assert got.success
    assert [str(s.object.id) for s in got.content.statements] == [COURSE + "2"]
    parts = e.store.load_table("participations")
    row = parts[(parts.staff_id == "S1") & (parts.module_id == "M2")].iloc[0]
    assert (row.status, row.hours) == ("completed", 1.0)
    bad = RemoteLRS(version="1.0.3", endpoint=endpoint, username="lms", password="lm_nope_nope")
    assert not bad.save_statement(done).success


# ---- all or nothing, replay changes nothing ----------------------------------------
_VERBS = ["registered", "launched", "completed", "passed", "failed", "satisfied", "experienced"]


@st.composite
def _arrays(draw: st.DrawFn) -> list[dict]:
    n = draw(st.integers(1, 5))
    out = []
    for _ in range(n):
        s = statement(draw(st.sampled_from(_VERBS)), user=draw(st.sampled_from(["u1", "u2", "u3"])),
                      course=draw(st.sampled_from(["1", "2", "9"])),
                      when=f"2026-0{draw(st.integers(6, 9))}-1{draw(st.integers(0, 9))}T09:00:00+08:00")  # fmt: skip
        if draw(st.booleans()):
            s["result"] = {"duration": draw(st.sampled_from(["PT10M", "PT20M", "PT1H", "bad"])),
                           "score": {"scaled": draw(st.sampled_from([0.5, 0.9, 2.0]))}}  # fmt: skip
        out.append(s)
    return out


def _snapshot(e: Env) -> tuple:
    p = (
        e.store.load_table("participations")
        .sort_values("participation_id")
        .to_json(date_format="iso")
    )
    a = e.store.load_table("assessments").sort_values("assessment_id").to_json(date_format="iso")
    with e.store.engine.connect() as conn:
        n = conn.exec_driver_sql("SELECT count(*), sum(voided) FROM xapi_statements").one()
    return p, a, tuple(n)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(items=_arrays())
def test_an_array_applies_whole_or_not_at_all_and_a_replay_changes_nothing(env, items) -> None:  # noqa: ANN001
    e, c = env
    before = _snapshot(e)
    r = c.post("/xAPI/statements", json=items, headers=e.h())
    stored = [c.get("/xAPI/statements", params={"statementId": s["id"]}, headers=e.h()).status_code
              for s in items]  # fmt: skip
    if r.status_code == 200:
        assert stored == [200] * len(items)
    else:
        assert r.status_code == 400 and stored == [404] * len(items)
        assert _snapshot(e) == before
    after = _snapshot(e)
    again = c.post("/xAPI/statements", json=items, headers=e.h())
    assert again.status_code == r.status_code
    assert _snapshot(e) == after


def test_mapping_an_account_through_the_records_api_applies_its_waiting_statements(env) -> None:  # noqa: ANN001
    e, c = env
    s = statement("completed", user="u3", course="1", result={"duration": "PT40M"})
    assert c.post("/xAPI/statements", json=[s], headers=e.h()).status_code == 200
    parts = e.store.load_table("participations")
    assert not (parts.staff_id == "S3").any()
    mapping = [{"home_page": HOME, "name": "u3", "staff_id": "S3"}]
    assert (
        c.post(
            "/v1/records/accounts", json=mapping, headers={"X-API-Key": e.keys["platform"]}
        ).status_code
        == 403
    )
    r = c.post("/v1/records/accounts", json=mapping, headers={"X-API-Key": e.keys["admin"]})
    assert r.status_code == 200 and r.json()["inserted"] == 1
    parts = e.store.load_table("participations")
    assert parts[parts.staff_id == "S3"]["hours"].tolist() == [1.0]
