"""``/v1/learners/{id}/profile`` and ``/learning-map`` answer what the CLI answers
(``learnmap profile --json``, ``learnmap learning-map``), and a precomputed profile
(``api.profiles.warm_profiles``) equals the one computed for the person alone."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from api.profiles import profile_json
from engine.cli import main
from tests.api.conftest import AS_OF, World


def _cli_profile(world: World, sid: str, monkeypatch, capsys) -> dict:  # noqa: ANN001
    monkeypatch.setenv("LEARNMAP_DATABASE_URL", f"sqlite:///{world.db}")
    assert main(["profile", sid, "--as-of", AS_OF.isoformat(), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def _close(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= 1e-9 * max(1.0, abs(a))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def test_profile_body_equals_the_cli(client: TestClient, keys, world, monkeypatch, capsys) -> None:  # noqa: ANN001
    for sid in (world.staff_a, world.staff_a2, world.staff_b):
        body = client.get(f"/v1/learners/{sid}/profile", headers={"X-API-Key": keys["admin"]})
        assert body.status_code == 200
        got = body.json()
        cli = _cli_profile(world, sid, monkeypatch, capsys)
        status = cli.pop("status")
        # the codes as the CLI's; display fields (status_label …) beside them
        assert [{k: s[k] for k in status} for s in got["statuses"]] == [status]
        assert {k for s in got["statuses"] for k in s} - set(status) == {
            "policy_label",
            "status_label",
        }
        assert all("evidence_label" in g for g in got["skill_gaps"])
        got["skill_gaps"] = [
            {k: v for k, v in g.items() if k != "evidence_label"} for g in got["skill_gaps"]
        ]
        assert got["as_of"] == AS_OF.isoformat()
        for k, v in cli.items():
            assert _close(got[k], v), (sid, k, got[k], v)


def test_precomputed_profiles_equal_the_per_person_path(app, world) -> None:  # noqa: ANN001
    service = app.state.service
    names = [service.settings.policy]
    key = (service.data_version, world.staff_a, AS_OF, tuple(names))
    warm = service.profiles.get(key)
    assert warm is not None  # precomputed at start-up
    for sid in (world.staff_a, world.staff_b, world.staff_a2):
        cached = service.profiles.get((service.data_version, sid, AS_OF, tuple(names)))
        service.profiles._data.pop((service.data_version, sid, AS_OF, tuple(names)), None)
        fresh = profile_json(service, sid, AS_OF, names)
        assert _close(json.loads(cached), json.loads(fresh)), sid


def test_learning_map_answers_the_cli(
    client: TestClient, keys, world, monkeypatch, capsys, tmp_path
) -> None:  # noqa: ANN001
    monkeypatch.setenv("LEARNMAP_DATABASE_URL", f"sqlite:///{world.db}")
    out = tmp_path / "map.json"
    assert (
        main(["learning-map", world.staff_a, "--as-of", AS_OF.isoformat(), "--out", str(out)]) == 0
    )
    capsys.readouterr()
    cli = json.loads(out.read_text())
    got = client.get(f"/v1/learners/{world.staff_a}/learning-map",
                     headers={"X-API-Key": keys["admin"]}).json()  # fmt: skip
    assert {n["id"] for n in got["nodes"]} == {n["id"] for n in cli["nodes"]}
    assert len(got["links"]) == len(cli["links"])
