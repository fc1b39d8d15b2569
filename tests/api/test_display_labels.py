"""Issue 23, "the API's display fields": every enumeration code the API answers with
keeps its code and gains ``<field>_label`` beside it, the catalogue's label
(``engine.labels``) in the server's language (``LEARNMAP_LANG``, Chinese by default);
a label suppressed for researchers goes with its code."""

from __future__ import annotations

import csv
import io
import json

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from api.settings import Settings
from engine.labels import enum_labels, label, label_many
from engine.store import Store
from tests.api.conftest import World, make_settings

#: risk:batch's CSV columns before display fields existed (scripts read them by position)
BATCH_COLUMNS = ["org_id", "staff", "owing", "expected_shortfall", "expected_missing"]
BATCH_COLUMNS += ["p_unit_rule", "rank", "reason", "name", "region", "org_type"]


def _lang(app) -> str:  # noqa: ANN001
    return app.state.service.settings.display_lang


def _tables(world: World) -> dict:
    return Store(f"sqlite:///{world.db}").load(["modules", "organizations", "staff"])


def test_default_language_is_chinese_and_unknown_is_refused(monkeypatch, world: World) -> None:  # noqa: ANN001
    monkeypatch.delenv("LEARNMAP_LANG", raising=False)
    assert make_settings(world.db, world.models).display_lang == "zh-CN"
    monkeypatch.setenv("LEARNMAP_LANG", "en-US")
    assert make_settings(world.db, world.models).display_lang == "en"
    with pytest.raises(ValidationError, match="unknown language"):
        Settings(database_url="sqlite:///:memory:", display_lang="fr")


def test_recommendations_label_mode_and_tier(app, client: TestClient, keys, world) -> None:  # noqa: ANN001
    lang = _lang(app)
    mods = _tables(world)["modules"].astype({"module_id": str}).set_index("module_id")
    h = {"X-API-Key": keys["admin"]}
    url = f"/v1/learners/{world.staff_a}/recommendations"
    cached = client.get(url, headers=h).json()["data"]  # the precomputed path
    live = client.get(url, params={"mode": "offline", "k": 30}, headers=h).json()["data"]
    assert cached and live
    for r in cached + live:
        assert r["mode"] == mods.at[r["module_id"], "mode"]  # the code, unchanged
        assert r["tier"] == mods.at[r["module_id"], "tier"]
        assert r["mode_label"] == label("mode", r["mode"], lang) != r["mode"]
        assert r["tier_label"] == label("tier", r["tier"], lang) != r["tier"]
    assert {r["mode"] for r in live} == {"offline"}


def test_profile_labels_role_statuses_gaps_and_risk(app, client: TestClient, keys, world) -> None:  # noqa: ANN001
    lang = _lang(app)
    staff = _tables(world)["staff"].astype({"staff_id": str}).set_index("staff_id")
    h = {"X-API-Key": keys["admin"]}
    gaps = risks = 0
    for sid in (world.staff_a, world.staff_a2, world.staff_b):
        got = client.get(f"/v1/learners/{sid}/profile", headers=h).json()
        assert got["role"] == staff.at[sid, "role"]
        assert got["role_label"] == label_many("role", got["role"], lang)
        for s in got["statuses"]:
            assert s["status"] in enum_labels("status", lang)
            assert s["status_label"] == label("status", s["status"], lang)
            assert s["policy_label"] == label("policy", s["policy"], lang) != s["policy"]
        for g in got["skill_gaps"]:
            assert g["evidence_label"] == label("evidence", g["evidence"], lang)
            gaps += 1
        if got["risk"] is not None:
            r = got["risk"]
            assert r["status_label"] == label("status", r["status"], lang)
            want = label("forecast_vs_status", r["forecast_vs_status"], lang)
            assert r["forecast_vs_status_label"] == want
            risks += 1
    assert gaps and risks  # the checks above ran on real gaps and risks


def test_learning_map_labels_kinds_modules_and_roles(app, client: TestClient, keys, world) -> None:  # noqa: ANN001
    lang = _lang(app)
    got = client.get(f"/v1/learners/{world.staff_a}/learning-map",
                     headers={"X-API-Key": keys["admin"]}).json()  # fmt: skip
    kinds = {n["kind"] for n in got["nodes"]}
    assert kinds == {"role", "skill", "module"}
    for n in got["nodes"]:
        assert n["kind_label"] == label("node_kind", n["kind"], lang)
        if n["kind"] == "module":
            assert n["mode_label"] == label("mode", n["mode"], lang)
            assert n["tier_label"] == label("tier", n["tier"], lang)
            assert n["status"] in enum_labels("participation_status", lang)  # a catalogue code
            assert n["status_label"] == label("participation_status", n["status"], lang)
        if n["kind"] == "role":
            assert n["label"] in enum_labels("role", lang)  # the code, kept
            assert n["role_label"] == label("role", n["label"], lang)
    for e in got["links"]:
        assert e["kind_label"] == label("link_kind", e["kind"], lang) != e["kind"]


def test_organization_risk_and_staff_label_their_codes(
    app, client: TestClient, keys, world
) -> None:  # noqa: ANN001
    lang = _lang(app)
    orgs = _tables(world)["organizations"].astype({"org_id": str}).set_index("org_id")
    h = {"X-API-Key": keys["admin"]}
    risk = client.get(f"/v1/organizations/{world.org_a}/risk", headers=h).json()
    org = risk["organization"]
    assert org["org_type"] == orgs.at[world.org_a, "org_type"]
    assert org["region"] == orgs.at[world.org_a, "region"]
    assert org["org_type_label"] == label("org_type", org["org_type"], lang) != org["org_type"]
    assert org["region_label"] == label("region", org["region"], lang)
    assert risk["staff_at_risk"]
    for r in risk["staff_at_risk"]:
        assert r["status_label"] == label("status", r["status"], lang) != r["status"]
        want = label("forecast_vs_status", r["forecast_vs_status"], lang)
        assert r["forecast_vs_status_label"] == want != r["forecast_vs_status"]
    page = client.get(f"/v1/organizations/{world.org_a}/staff", headers=h).json()
    assert page["policy_label"] == label("policy", page["policy"], lang)
    status = app.state.service.view().status.set_index("staff_id")
    assert page["data"]
    for r in page["data"]:
        assert r["status"] == status.at[r["staff_id"], "status"]  # the code, unchanged
        assert r["status_label"] == label("status", r["status"], lang) != r["status"]
        assert r["role_label"] == label_many("role", r["role"], lang) != r["role"]


@pytest.mark.parametrize("fmt", ["ndjson", "csv"])
def test_risk_batch_adds_labels_after_its_columns(app, client: TestClient, keys, fmt: str) -> None:  # noqa: ANN001
    lang = _lang(app)
    r = client.post(f"/v1/organizations/risk:batch?format={fmt}", json={},
                    headers={"X-API-Key": keys["admin"]})  # fmt: skip
    assert r.status_code == 200
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(r.text)))
        header = next(csv.reader(io.StringIO(r.text)))
        assert header == [*BATCH_COLUMNS, "region_label", "org_type_label"]
    else:
        rows = [json.loads(line) for line in r.text.splitlines()]
    assert rows
    for row in rows:
        assert row["org_type"] in enum_labels("org_type", lang)
        assert row["org_type_label"] == label("org_type", row["org_type"], lang)
        assert row["region_label"] == label("region", row["region"], lang)


def test_programme_report_labels_its_tables(app, client: TestClient, keys) -> None:  # noqa: ANN001
    from api.routes.reports import KINDS
    from features.report_files import KINDS as FILE_KINDS

    assert KINDS == FILE_KINDS  # the API's rows label codes as the report's files do
    lang = _lang(app)
    got = client.get("/v1/reports/programme", headers={"X-API-Key": keys["admin"]}).json()
    assert got["policy_label"] == label("policy", got["policy"], lang)
    checks = {
        "volume": ("mode", "volume_mode"),
        "coverage_by_role": ("role", "role"),
        "coverage_by_org_type": ("org_type", "org_type"),
        "coverage_by_region": ("region", "region"),
    }
    for table, (col, kind) in checks.items():
        assert got[table], table
        for row in got[table]:
            want = (label_many if kind == "role" else label)(kind, row[col], lang)
            assert row[f"{col}_label"] == want, (table, row)


def test_researchers_role_label_is_suppressed_with_the_role(private_world: World) -> None:
    """api.privacy suppresses a researcher's view of rare roles: the label must not
    give back what the code withholds (and an org's name stays hidden).  k = 2 so that
    the small demo store releases some roles too (at 5 it releases none)."""
    from api.app import create_app
    from api.keys import create_key

    w = private_world
    app = create_app(make_settings(w.db, w.models, warm=False, k_anonymity=2))
    with TestClient(app) as client:
        assert app.state.service.wait_ready(timeout=300)
        lang = _lang(app)
        h = {"X-API-Key": create_key(app.state.service.engine, "researcher")[0]}
        suppressed = released = names = 0
        for org in app.state.service.view().status["org_id"].unique()[:20]:
            rows = client.get(f"/v1/organizations/{org}/staff", params={"limit": 1000},
                              headers=h).json()["data"]  # fmt: skip
            for r in rows:
                if r["role"] is None:
                    assert r["role_label"] is None, r
                    suppressed += 1
                else:
                    assert r["role_label"] == label_many("role", r["role"], lang)
                    released += 1
                assert r["status_label"] == label("status", r["status"], lang)
            risk = client.get(f"/v1/organizations/{org}/risk", headers=h)
            if risk.status_code == 200:
                assert risk.json()["organization"]["name"] is None
                names += 1
    assert suppressed > 0 and released > 0 and names > 0  # every branch really ran


def test_english_with_learnmap_lang_en(private_world: World, monkeypatch) -> None:  # noqa: ANN001
    """A server started with LEARNMAP_LANG=en labels in English; the codes are the same."""
    w = private_world
    monkeypatch.setenv("LEARNMAP_LANG", "en")
    from api.app import create_app
    from api.keys import create_key

    app = create_app(make_settings(w.db, w.models, warm=False))
    with TestClient(app) as client:
        assert app.state.service.wait_ready(timeout=300)
        assert app.state.service.settings.display_lang == "en"
        h = {"X-API-Key": create_key(app.state.service.engine, "admin")[0]}
        recs = client.get(f"/v1/learners/{w.staff_a}/recommendations", headers=h).json()
        assert recs["data"]
        for r in recs["data"]:
            assert (
                r["mode_label"]
                == label("mode", r["mode"], "en")
                != label("mode", r["mode"], "zh-CN")
            )
        prof = client.get(f"/v1/learners/{w.staff_a}/profile", headers=h).json()
        s = prof["statuses"][0]
        assert s["status_label"] == label("status", s["status"], "en")
        assert prof["role_label"] == label_many("role", prof["role"], "en")
        page = client.get(f"/v1/organizations/{w.org_a}/staff", headers=h).json()
        for r in page["data"]:
            assert r["status_label"] == label("status", r["status"], "en")
            assert r["role_label"] == label_many("role", r["role"], "en")
        org = client.get(f"/v1/organizations/{w.org_a}/risk", headers=h).json()["organization"]
        assert org["org_type_label"] == label("org_type", org["org_type"], "en")
