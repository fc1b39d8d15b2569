"""Every role against every endpoint: own data, another person of the same organization,
another organization, ids that do not exist; no key, a wrong key, a revoked key."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import World

ROLES = ("admin", "org_manager", "staff", "researcher")
# (case, method, path, body, expected status for admin, org_manager, staff, researcher)
# {A} = a person of org A (the org manager's; the staff key's own), {A2} another person
# of org A, {B} a person of org B, {X} nobody; {OA}, {OB}, {OX} likewise organizations.
CASES = [
    ("recs own", "GET", "/v1/learners/{A}/recommendations?k=3", None, (200, 200, 200, 403)),
    ("recs colleague", "GET", "/v1/learners/{A2}/recommendations", None, (200, 200, 403, 403)),
    ("recs other org", "GET", "/v1/learners/{B}/recommendations", None, (200, 403, 403, 403)),
    ("recs nobody", "GET", "/v1/learners/{X}/recommendations", None, (404, 403, 403, 403)),
    ("profile own", "GET", "/v1/learners/{A}/profile", None, (200, 200, 200, 403)),
    ("profile colleague", "GET", "/v1/learners/{A2}/profile", None, (200, 200, 403, 403)),
    ("profile other org", "GET", "/v1/learners/{B}/profile", None, (200, 403, 403, 403)),
    ("profile nobody", "GET", "/v1/learners/{X}/profile", None, (404, 403, 403, 403)),
    ("map own", "GET", "/v1/learners/{A}/learning-map", None, (200, 200, 200, 403)),
    ("map colleague", "GET", "/v1/learners/{A2}/learning-map", None, (200, 200, 403, 403)),
    ("map other org", "GET", "/v1/learners/{B}/learning-map", None, (200, 403, 403, 403)),
    ("map nobody", "GET", "/v1/learners/{X}/learning-map", None, (404, 403, 403, 403)),
    ("png own", "GET", "/v1/learners/{A}/learning-map.png", None, (200, 200, 200, 403)),
    ("png other org", "GET", "/v1/learners/{B}/learning-map.png", None, (200, 403, 403, 403)),
    ("png nobody", "GET", "/v1/learners/{X}/learning-map.png", None, (404, 403, 403, 403)),
    ("org risk own", "GET", "/v1/organizations/{OA}/risk", None, (200, 200, 403, 200)),
    ("org risk other", "GET", "/v1/organizations/{OB}/risk", None, (200, 403, 403, 200)),
    ("org risk nobody", "GET", "/v1/organizations/{OX}/risk", None, (404, 403, 403, 404)),
    ("org staff own", "GET", "/v1/organizations/{OA}/staff", None, (200, 200, 403, 200)),
    ("org staff other", "GET", "/v1/organizations/{OB}/staff", None, (200, 403, 403, 200)),
    ("org staff nobody", "GET", "/v1/organizations/{OX}/staff", None, (404, 403, 403, 404)),
    ("batch all", "POST", "/v1/organizations/risk:batch", {}, (200, 200, 403, 200)),
    ("batch other", "POST", "/v1/organizations/risk:batch", {"org_ids": ["{OB}"]}, (200, 403, 403, 200)),
    ("report", "GET", "/v1/reports/programme", None, (200, 403, 403, 200)),
    ("records own org", "POST", "/v1/records/participations", ["{PA}"], (200, 200, 403, 403)),
    ("records other org", "POST", "/v1/records/participations", ["{PB}"], (200, 403, 403, 403)),
    ("reload", "POST", "/v1/admin/reload", None, (200, 403, 403, 403)),
]  # fmt: skip
PUBLIC = ["/healthz", "/readyz", "/v1/version", "/openapi.json"]


def _fill(text: str, w: World) -> str:
    for k, v in {
        "{A2}": w.staff_a2,
        "{A}": w.staff_a,
        "{B}": w.staff_b,
        "{X}": "ST_NOBODY",
        "{OA}": w.org_a,
        "{OB}": w.org_b,
        "{OX}": "ORG_NOBODY",
    }.items():
        text = text.replace(k, v)
    return text


def _body(body: object, w: World) -> object:
    if body is None:
        return None
    if body == ["{PA}"]:
        return [w.participation_a]
    if body == ["{PB}"]:
        return [w.participation_b]
    return json.loads(_fill(json.dumps(body), w))


def _call(client: TestClient, method: str, path: str, body: object, key: str | None):
    headers = {"X-API-Key": key} if key else {}
    if method == "GET":
        return client.get(path, headers=headers)
    return client.post(path, headers=headers, json=body)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("role", ROLES)
def test_role_scope(client: TestClient, keys: dict, world: World, role: str, case) -> None:  # noqa: ANN001
    name, method, path, body, expected = case
    r = _call(client, method, _fill(path, world), _body(body, world), keys[role])
    want = expected[ROLES.index(role)]
    assert r.status_code == want, (name, role, r.status_code, r.text[:300])
    if want == 403:
        assert r.json() == {"detail": "this API key may not access this resource"}


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("who", ["none", "wrong", "revoked", "tampered"])
def test_no_valid_key_is_401(client: TestClient, keys: dict, world: World, who: str, case) -> None:  # noqa: ANN001
    _, method, path, body, _ = case
    key = {
        "none": None,
        "wrong": "lm_000000000000_not-a-real-secret",
        "revoked": keys["revoked"],
        "tampered": keys["admin"][:-2] + ("AA" if not keys["admin"].endswith("AA") else "BB"),
    }[who]
    r = _call(client, method, _fill(path, world), _body(body, world), key)
    assert r.status_code == 401
    assert r.headers.get("www-authenticate") == "ApiKey"


@pytest.mark.parametrize("path", PUBLIC)
def test_public_endpoints_need_no_key(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 200


def test_forbidden_reveals_nothing(client: TestClient, keys: dict, world: World) -> None:
    """For an org manager, a person of another organization and a person who does not
    exist get byte-identical answers."""
    h = {"X-API-Key": keys["org_manager"]}
    for tail in ("recommendations", "profile", "learning-map"):
        other = client.get(f"/v1/learners/{world.staff_b}/{tail}", headers=h)
        nobody = client.get(f"/v1/learners/ST_NOBODY/{tail}", headers=h)
        assert (other.status_code, other.content) == (nobody.status_code, nobody.content)
    other = client.get(f"/v1/organizations/{world.org_b}/risk", headers=h)
    nobody = client.get("/v1/organizations/ORG_NOBODY/risk", headers=h)
    assert (other.status_code, other.content) == (nobody.status_code, nobody.content)


def test_org_manager_batch_holds_only_their_org(
    client: TestClient, keys: dict, world: World
) -> None:
    r = client.post(
        "/v1/organizations/risk:batch", json={}, headers={"X-API-Key": keys["org_manager"]}
    )
    rows = [json.loads(line) for line in r.text.splitlines()]
    assert [row["org_id"] for row in rows] == [world.org_a]


def test_researcher_sees_pseudonyms_and_no_names(
    client: TestClient, keys: dict, world: World
) -> None:
    res = {"X-API-Key": keys["researcher"]}
    adm = {"X-API-Key": keys["admin"]}
    a = client.get(f"/v1/organizations/{world.org_a}/staff", headers=res).json()
    b = client.get(f"/v1/organizations/{world.org_a}/staff", headers=res).json()
    real = client.get(f"/v1/organizations/{world.org_a}/staff", headers=adm).json()
    ids = [r["staff_id"] for r in a["data"]]
    real_ids = [r["staff_id"] for r in real["data"]]
    assert ids == [r["staff_id"] for r in b["data"]]  # stable
    assert all(i.startswith("p_") for i in ids) and not set(ids) & set(real_ids)
    assert len(set(ids)) == len(ids) == len(real_ids)
    risk = client.get(f"/v1/organizations/{world.org_a}/risk", headers=res).json()
    assert risk["organization"]["name"] is None
    assert all(s["staff_id"].startswith("p_") for s in risk["staff_at_risk"])
    batch = client.post("/v1/organizations/risk:batch", json={}, headers=res).text
    assert all(json.loads(line)["name"] is None for line in batch.splitlines())


def test_batch_export_and_writes_are_audited(app, client: TestClient, keys: dict) -> None:  # noqa: ANN001
    from api.audit import entries

    app.state.service.audit.flush()
    before = len(entries(app.state.service.engine, limit=100_000))
    r = client.post(
        "/v1/organizations/risk:batch?format=csv",
        json={"org_type": "foundation"},
        headers={"X-API-Key": keys["admin"]},
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    n_rows = len(r.text.strip().splitlines()) - 1
    app.state.service.audit.flush()  # reads and exports are written in batches
    log = entries(app.state.service.engine, limit=100_000)
    assert len(log) == before + 1
    last = log[0]
    assert last["action"] == "export organizations/risk:batch" and last["rows"] == n_rows
    assert last["role"] == "admin" and last["key_id"] == keys["admin"].split("_")[1]
