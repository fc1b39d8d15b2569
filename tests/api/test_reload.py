"""POST /v1/admin/reload: a new artifact is picked up without a restart; a broken or
mismatched one is refused and the working model keeps serving."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.keys import create_key
from engine.policy import load_policy
from engine.store import Store
from models.risk import artifacts
from tests.api.conftest import World, make_settings


@pytest.fixture
def served(private_world: World):  # noqa: ANN201
    app = create_app(
        make_settings(private_world.db, private_world.models, warm=False, recommender="popularity")
    )
    with TestClient(app) as client:
        assert app.state.service.wait_ready()  # starts in the background
        client.headers["X-API-Key"] = create_key(app.state.service.engine, "admin")[0]
        yield client, private_world


def _sha(client: TestClient) -> str:
    return client.get("/v1/version").json()["risk_model"]["model_sha256"]


def _serves_risk(client: TestClient, w: World) -> None:
    r = client.get(f"/v1/organizations/{w.org_a}/risk")
    assert r.status_code == 200 and r.json()["organization"]["org_id"] == w.org_a


def _break_model(folder) -> None:  # noqa: ANN001
    path = folder / "model.joblib"
    path.write_bytes(path.read_bytes()[:100])


def _other_policy(folder) -> None:  # noqa: ANN001
    path = folder / "manifest.json"
    man = json.loads(path.read_text())
    man["policy"]["sha256"] = "0" * 16
    path.write_text(json.dumps(man))


def _no_manifest(folder) -> None:  # noqa: ANN001
    (folder / "manifest.json").unlink()


def _other_features(folder) -> None:  # noqa: ANN001
    path = folder / "manifest.json"
    man = json.loads(path.read_text())
    man["features"] = man["features"][:-1]
    path.write_text(json.dumps(man))


@pytest.mark.parametrize("damage", [_break_model, _other_policy, _no_manifest, _other_features])
def test_a_broken_artifact_never_replaces_a_working_one(served, damage) -> None:  # noqa: ANN001
    client, w = served
    before = _sha(client)
    _serves_risk(client, w)
    damage(w.models / artifacts.NAME)
    r = client.post("/v1/admin/reload")
    assert r.status_code == 409
    assert r.json()["reloaded"] is False and r.json()["detail"].startswith("refused")
    assert _sha(client) == before
    _serves_risk(client, w)


def test_a_good_artifact_is_picked_up_without_restart(served) -> None:  # noqa: ANN001
    client, w = served
    before = client.get("/v1/version").json()["risk_model"]
    model, _ = artifacts.load(load_policy("national-2025"), root=w.models)
    model.calibrator_ = None  # a different model: its file and hash differ
    artifacts.save(model, Store(f"sqlite:///{w.db}").load(), root=w.models)
    r = client.post("/v1/admin/reload")
    assert r.status_code == 200 and r.json()["reloaded"] is True
    after = client.get("/v1/version").json()["risk_model"]
    assert after["model_sha256"] != before["model_sha256"]
    _serves_risk(client, w)


def test_without_a_model_risk_is_503_and_the_rest_serves(world: World, tmp_path) -> None:  # noqa: ANN001
    app = create_app(
        make_settings(world.db, tmp_path / "none", warm=False, recommender="popularity")
    )
    with TestClient(app) as client:
        assert app.state.service.wait_ready()  # starts in the background
        client.headers["X-API-Key"] = create_key(app.state.service.engine, "admin")[0]
        ready = client.get("/readyz").json()
        assert ready["ready"] is True and ready["risk_model"].startswith("missing")
        r = client.get(f"/v1/organizations/{world.org_a}/risk")
        assert r.status_code == 503 and "learnmap train" in r.json()["detail"]
        assert client.get(f"/v1/learners/{world.staff_a}/recommendations").status_code == 200


def test_an_empty_store_is_not_ready(tmp_path) -> None:  # noqa: ANN001
    app = create_app(make_settings(tmp_path / "empty.db", tmp_path / "models", warm=False))
    with TestClient(app) as client:
        assert app.state.service.wait_ready()  # starts in the background
        r = client.get("/readyz")
        assert r.status_code == 503
        assert r.json()["ready"] is False and "empty store" in r.json()["recommender"]
        assert client.get("/healthz").status_code == 200  # alive, just not ready
