"""POST /v1/records/{table}: the rules of file ingest, all or nothing, idempotent by id,
413 over the size limit, and never a 5xx whatever the records hold."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.app import create_app
from api.audit import entries
from api.keys import create_key
from engine.schema import TABLES
from engine.store import Store
from tests.api.conftest import World, make_settings


@pytest.fixture
def private(private_world: World):  # noqa: ANN201
    app = create_app(
        make_settings(private_world.db, private_world.models, warm=False, recommender="popularity", max_body_bytes=20_000)
    )  # fmt: skip
    with TestClient(app) as client:
        assert app.state.service.wait_ready()  # starts in the background
        key = create_key(app.state.service.engine, "admin")[0]
        client.headers["X-API-Key"] = key
        yield app, client, private_world


def _new(w: World, n: int, prefix: str = "APITEST") -> list[dict]:
    base = dict(w.participation_a)
    return [
        {
            **base,
            "participation_id": f"{prefix}{i:04d}",
            "session_id": None,
            "status": "enrolled",
            "completed_on": None,
            "hours": 0,
        }
        for i in range(n)
    ]


def _count(w: World, table: str = "participations") -> int:
    return Store(f"sqlite:///{w.db}").counts()[table]


def test_idempotent_by_record_id(private) -> None:  # noqa: ANN001
    app, client, w = private
    before = _count(w)
    recs = _new(w, 3)
    r = client.post("/v1/records/participations", json=recs)
    assert r.status_code == 200, r.text
    assert r.json() | {"problems": []} == {
        "table": "participations",
        "received": 3,
        "inserted": 3,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
        "problems": [],
    }
    again = client.post("/v1/records/participations", json=recs).json()
    assert (again["inserted"], again["updated"], again["unchanged"]) == (0, 0, 3)
    recs[1]["status"] = "dropped"
    changed = client.post("/v1/records/participations", json=recs).json()
    assert (changed["inserted"], changed["updated"], changed["unchanged"]) == (0, 1, 2)
    assert _count(w) == before + 3
    stored = Store(f"sqlite:///{w.db}").lookup(
        "participations", ["participation_id", "status"], "participation_id", ["APITEST0001"]
    )
    assert stored["status"].tolist() == ["dropped"]
    assert entries(app.state.service.engine, 1)[0]["outcome"].startswith(
        "ok: 0 inserted, 1 updated"
    )


def test_one_bad_record_rejects_the_batch_and_names_it(private) -> None:  # noqa: ANN001
    app, client, w = private
    before = _count(w)
    recs = _new(w, 3)
    recs.append({**_new(w, 1, "BADHOURS")[0], "hours": -5})
    recs.append({**_new(w, 1, "BADSTAFF")[0], "staff_id": "ST_NOBODY"})
    r = client.post("/v1/records/participations", json=recs)
    assert r.status_code == 422
    body = r.json()
    assert (body["inserted"], body["updated"], body["rejected"]) == (0, 0, 2)
    where = {(p["item"], p["column"]) for p in body["problems"]}
    assert (4, "hours") in where and (5, "staff_id") in where
    assert any(p["value"] == "ST_NOBODY" for p in body["problems"])
    assert _count(w) == before  # nothing written, not even the three good records
    assert entries(app.state.service.engine, 1)[0]["outcome"].startswith("rejected")


def test_an_event_never_moves_to_another_person(private) -> None:  # noqa: ANN001
    _, client, w = private
    moved = {**w.participation_a, "staff_id": w.staff_a2}
    r = client.post("/v1/records/participations", json=[moved])
    assert r.status_code == 422
    assert any(p["column"] == "staff_id" for p in r.json()["problems"])


def test_nested_values_and_unknown_tables(private) -> None:  # noqa: ANN001
    _, client, w = private
    rec = {**_new(w, 1)[0], "hours": {"value": 2}}
    r = client.post("/v1/records/participations", json=[rec])
    assert r.status_code == 422
    assert [(p["item"], p["column"]) for p in r.json()["problems"]] == [(1, "hours")]
    assert client.post("/v1/records/staff", json=[{"staff_id": "X"}]).status_code == 422
    assert client.post("/v1/records/participations", json=[]).status_code == 422
    assert client.post("/v1/records/participations", json={"a": 1}).status_code == 422


def test_body_over_the_limit_is_413_and_writes_nothing(private) -> None:  # noqa: ANN001
    _, client, w = private
    before = _count(w)
    r = client.post("/v1/records/participations", json=_new(w, 200))
    assert r.status_code == 413
    assert "limit" in r.json()["detail"]
    assert _count(w) == before


_cols = TABLES["participations"].names
_value = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-10, 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["completed", "enrolled", "2025-03-01", "2025/3/1", "已结业", "M001"]),
)
_record = st.dictionaries(st.sampled_from([*_cols, "extra", "人员编号"]), _value, max_size=9)


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(records=st.lists(_record, min_size=1, max_size=4))
def test_any_records_get_200_or_422_and_422_writes_nothing(private, records) -> None:  # noqa: ANN001
    _, client, w = private
    before = _count(w)
    body = json.dumps(records)  # NaN / Infinity as Python writes them: the server parses them
    r = client.post(
        "/v1/records/participations", content=body, headers={"content-type": "application/json"}
    )
    assert r.status_code in (200, 422), r.text
    body = r.json()
    if r.status_code == 422:
        assert _count(w) == before
        assert body["problems"] if isinstance(body.get("problems"), list) else body["detail"]
    else:
        assert _count(w) == before + body["inserted"]
