"""The API answers like the CLI: served recommendations (modules, scores and reasons,
quota note included) equal `learnmap recommend` for the same person, date, model and
policy; a saved recommender fitted for no policy is refitted; risk:batch with unknown
organization ids is a 404 naming them."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from engine.cli import main
from models.recommend import artifacts as rec_artifacts
from models.registry import create
from tests.api.conftest import AS_OF, World, make_settings


def _cli(world: World, sid: str, monkeypatch, capsys) -> list[tuple]:  # noqa: ANN001
    monkeypatch.setenv("LEARNMAP_DATABASE_URL", f"sqlite:///{world.db}")
    argv = ["recommend", sid, "--as-of", AS_OF.isoformat(), "--model", "skillgap", "--json"]
    assert main([*argv, "--k", "10", "--policy", "national-2025"]) == 0
    rows = json.loads(capsys.readouterr().out)
    return [(r["module_id"], round(r["score"], 9), r["reason"]) for r in rows]


def test_served_reasons_equal_the_cli_quota_note_included(
    app, client: TestClient, keys: dict, world: World, monkeypatch, capsys
) -> None:  # noqa: ANN001
    model = app.state.service.recs.model
    behind = [str(u) for u in model.data_.users[model.quota_.behind][:3]]
    assert behind, "the demo store should have people behind on national-2025"
    h = {"X-API-Key": keys["admin"]}
    notes = 0
    for sid in [world.staff_a, world.staff_b, *behind]:
        body = client.get(f"/v1/learners/{sid}/recommendations?k=10", headers=h).json()
        served = [(d["module_id"], round(d["score"], 9), d["reason"]) for d in body["data"]]
        assert served == _cli(world, sid, monkeypatch, capsys), sid
        notes += sum("计入您" in r for _, _, r in served)  # the quota note (reason_quota)
    assert notes > 0  # the quota part is really compared, not absent from both


def test_a_saved_recommender_for_no_policy_is_refitted(private_world: World) -> None:
    w = private_world
    from engine.store import Store

    tables = Store(f"sqlite:///{w.db}").load()
    stale = create("popularity").fit(tables, AS_OF)  # no policy: no quota notes
    rec_artifacts.save(stale, "popularity", tables, AS_OF, root=w.models)
    app = create_app(make_settings(w.db, w.models, warm=False, recommender="popularity"))
    with TestClient(app):
        assert app.state.service.wait_ready()  # starts in the background
        service = app.state.service
        assert service.recommender_state == "fitted"
        assert service.recs.model.policy_ == service.policy
    again = create_app(make_settings(w.db, w.models, warm=False, recommender="popularity"))
    with TestClient(again):  # the refitted one was saved and now matches
        assert again.state.service.wait_ready()  # starts in the background
        assert again.state.service.recommender_state == "loaded"


@pytest.mark.parametrize("role", ["admin", "researcher"])
def test_risk_batch_with_unknown_org_ids_is_404_naming_them(
    client: TestClient, keys: dict, world: World, role: str
) -> None:
    h = {"X-API-Key": keys[role]}
    url = "/v1/organizations/risk:batch"
    r = client.post(url, json={"org_ids": ["NOPE"]}, headers=h)
    assert r.status_code == 404 and "'NOPE'" in r.json()["detail"]
    r = client.post(url, json={"org_ids": [world.org_a, "NOPE", "ALSO-NOPE", "NOPE"]}, headers=h)
    assert r.status_code == 404
    detail = r.json()["detail"]
    assert "'NOPE'" in detail and "'ALSO-NOPE'" in detail and world.org_a not in detail
    r = client.post(url, json={"org_ids": [world.org_a, world.org_b]}, headers=h)
    assert r.status_code == 200
    got = {json.loads(line)["org_id"] for line in r.text.splitlines()}
    assert got == {world.org_a, world.org_b}


def test_risk_batch_region_unknown_is_404_and_english_names_work(
    client: TestClient, keys: dict, world: World
) -> None:
    """Issue 23: a region the store does not hold is a 404 listing the known ones, not
    a 200 with an empty body; a region may be asked by its English name."""
    h = {"X-API-Key": keys["admin"]}
    url = "/v1/organizations/risk:batch"
    r = client.post(url, json={"region": "Atlantis"}, headers=h)
    assert r.status_code == 404 and "'Atlantis'" in r.json()["detail"]
    assert "known regions" in r.json()["detail"]
    from engine.store import Store

    orgs = Store(f"sqlite:///{world.db}").load(["organizations"])["organizations"]
    region = orgs["region"].mode()[0]
    zh = client.post(url, json={"region": region}, headers=h)
    assert zh.status_code == 200 and zh.text
    from engine.labels import label

    en = client.post(url, json={"region": label("region", region, "en")}, headers=h)
    assert en.status_code == 200 and en.text == zh.text
