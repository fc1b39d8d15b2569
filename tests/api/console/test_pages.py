"""Console pages server-side: sign-in and session cookie, CSRF, the API's scope matrix,
chart options as JSON, exports read back, and the audit of personal pages."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from api.audit import entries
from api.keys import create_key, revoke_key
from engine.labels import column, label
from tests.api.console.conftest import csrf_of, sign_in


def write_run(run: Path) -> None:
    """A run folder in the experiment contract's format (metrics.json + a plot)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    run.mkdir(parents=True, exist_ok=True)
    recs = []
    for model, auc in (("rule", 0.61), ("logreg", 0.7), ("risk", 0.74)):
        for seed in (0, 1, "mean"):
            recs.append(
                {"model": model, "metric": "roc_auc", "value": auc, "seed": seed, "slice": "all"}
            )
            recs.append(
                {"model": model, "metric": "brier", "value": 0.2, "seed": seed, "slice": "all"}
            )
    (run / "metrics.json").write_text(json.dumps(recs), "utf-8")
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1], [0, 1])
    fig.savefig(run / "roc.png")
    plt.close(fig)


def test_login_sets_a_strict_httponly_cookie_and_never_stores_the_key(app, keys) -> None:  # noqa: ANN001
    c = TestClient(app)
    r = c.post("/console/login", data={"key": keys["admin"]}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/console/"
    cookie = r.headers["set-cookie"]
    for attr in ("HttpOnly", "SameSite=strict", "Path=/console", "Max-Age=28800"):
        assert attr.lower() in cookie.lower(), cookie
    assert keys["admin"] not in cookie
    assert c.get("/console/").status_code == 200


def test_a_bad_or_revoked_key_is_refused(app, keys) -> None:  # noqa: ANN001
    for key in ("lm_nope_nope", keys["revoked"], ""):
        r = TestClient(app).post("/console/login", data={"key": key}, follow_redirects=False)
        assert r.status_code == 401 and "set-cookie" not in r.headers
        assert "密钥无效" in r.text


def test_without_a_session_pages_send_to_the_login_form(app) -> None:  # noqa: ANN001
    r = TestClient(app).get("/console/organizations?region=x", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/console/login?next=%2Fconsole%2Forganizations%3Fregion%3Dx"
    assert TestClient(app).get("/console/charts/volume").status_code == 401


def test_a_forged_cookie_is_not_a_session(app) -> None:  # noqa: ANN001
    c = TestClient(app, cookies={"lm_console": "eyJzaWQiOiJ4In0.forged.sig"})
    assert c.get("/console/", follow_redirects=False).status_code == 303


def test_logout_needs_the_csrf_token_and_revokes_the_session(app, keys) -> None:  # noqa: ANN001
    c = sign_in(app, keys["admin"])
    page = c.get("/console/").text
    stolen = dict(c.cookies)
    assert c.post("/console/logout", data={"csrf": "wrong"}).status_code == 403
    assert c.post("/console/logout", data={}).status_code == 403
    assert c.get("/console/", follow_redirects=False).status_code == 200  # still signed in
    r = c.post("/console/logout", data={"csrf": csrf_of(page)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/console/login"
    # the cookie copied before sign-out no longer works: revoked server-side
    again = TestClient(app, cookies=stolen)
    assert again.get("/console/", follow_redirects=False).status_code == 303


def test_a_cross_origin_login_post_is_refused(app, keys) -> None:  # noqa: ANN001
    r = TestClient(app).post(
        "/console/login", data={"key": keys["admin"]}, headers={"Origin": "http://evil.example"}
    )
    assert r.status_code == 403


def test_revoking_the_key_ends_its_console_sessions(app) -> None:  # noqa: ANN001
    engine = app.state.service.engine
    key, p = create_key(engine, "admin")
    c = sign_in(app, key)
    assert c.get("/console/", follow_redirects=False).status_code == 200
    revoke_key(engine, p.key_id)
    assert c.get("/console/", follow_redirects=False).status_code == 303


@pytest.mark.parametrize(
    ("role", "path", "code"),
    [
        ("org_manager", "/console/organizations/{org_b}", 403),
        ("org_manager", "/console/organizations/NO_SUCH_ORG", 403),
        ("org_manager", "/console/people/{staff_b}", 403),
        ("org_manager", "/console/people/NO_SUCH_PERSON", 403),
        ("org_manager", "/console/people/{staff_a2}", 200),
        ("org_manager", "/console/experiments", 403),
        ("staff", "/console/people/{staff_a2}", 403),
        ("staff", "/console/organizations", 403),
        ("staff", "/console/organizations/{org_a}", 403),
        ("staff", "/console/effect", 403),
        ("staff", "/console/charts/learning-map/{staff_a2}", 403),
        ("researcher", "/console/people/{staff_a}", 403),
        ("researcher", "/console/allocation", 403),
        ("researcher", "/console/organizations/{org_b}", 200),
        ("admin", "/console/organizations/NO_SUCH_ORG", 404),
        ("admin", "/console/people/NO_SUCH_PERSON", 404),
    ],
)
def test_the_api_scope_matrix_holds(consoles, world, role, path, code) -> None:  # noqa: ANN001
    url = path.format(**world.__dict__)
    r = consoles[role].get(url, follow_redirects=False)
    assert r.status_code == code, (role, url, r.text[:300])
    if code == 403 and "/charts/" not in url:
        assert "无权访问" in r.text and "this API key may not access this resource" in r.text


def test_refusals_and_person_reads_are_audited(app, consoles, world) -> None:  # noqa: ANN001
    consoles["org_manager"].get(f"/console/organizations/{world.org_b}")
    consoles["admin"].get(f"/console/people/{world.staff_b}")
    log = entries(app.state.service.engine, limit=50)
    assert any(
        e["action"] == "console refused"
        and e["target"] == f"/console/organizations/{world.org_b}"
        and e["outcome"] == "refused"
        and e["role"] == "org_manager"
        for e in log
    )
    assert any(
        e["action"] == "console read person"
        and e["target"] == world.staff_b
        and e["role"] == "admin"
        for e in log
    )


def test_programme_chart_options_are_the_report_figures(consoles, client, keys) -> None:  # noqa: ANN001
    rep = client.get("/v1/reports/programme", headers={"X-API-Key": keys["admin"]}).json()
    opt = consoles["admin"].get("/console/charts/volume").json()
    years = sorted({v["year"] for v in rep["volume"]})
    assert opt["xAxis"]["data"] == [str(y) for y in years]
    bars = {s["name"]: s["data"] for s in opt["series"] if s["type"] == "bar"}
    for mode, name in (("offline", "线下"), ("online", "线上")):
        want = [
            next(v["person_times"] for v in rep["volume"] if v["year"] == y and v["mode"] == mode)
            for y in years
        ]
        assert bars[name] == want
    region = consoles["researcher"].get("/console/charts/region").json()
    names = region["yAxis"]["data"]
    assert sorted(names) == sorted(r["region"] for r in rep["coverage_by_region"])
    trend = consoles["admin"].get("/console/charts/trend").json()
    total = sum(sum(s["data"]) for s in trend["series"])
    assert total >= rep["summary"]["person_times"]  # every completion up to the date


def test_org_status_chart_counts_the_api_staff(consoles, client, keys, world) -> None:  # noqa: ANN001
    staff = client.get(
        f"/v1/organizations/{world.org_a}/staff",
        headers={"X-API-Key": keys["org_manager"]},
        params={"limit": 1000},
    ).json()["data"]
    opt = consoles["org_manager"].get(f"/console/charts/org-status/{world.org_a}").json()
    got = {d["name"]: d["value"] for d in opt["series"][0]["data"]}
    want = pd.Series([s["status"] for s in staff if s["employed"]]).value_counts()
    names = {k: label("status", k) for k in ("met", "on_track", "at_risk", "overdue")}
    assert got == {names[k]: int(want.get(k, 0)) for k in names}


def test_effect_chart_and_table_agree(consoles) -> None:  # noqa: ANN001
    c = consoles["researcher"]
    opt = c.get("/console/charts/effect?min_n=1&top=200").json()
    csv = pd.read_csv(
        io.BytesIO(c.get("/console/effect?min_n=1&export=effect&format=csv").content),
        encoding="utf-8-sig",
    )
    assert len(opt["yAxis"]["data"]) == len(csv)
    for box, mean, lo, hi in zip(
        opt["series"][0]["data"], csv["培训后提升"], csv["下限"], csv["上限"], strict=True
    ):
        assert box[2] == pytest.approx(mean, abs=0.01) and box[0] <= box[2] <= box[4]
        assert box[0] == pytest.approx(lo, abs=0.01) and box[4] == pytest.approx(hi, abs=0.01)


def test_organizations_filter_sort_and_export_round_trip(consoles) -> None:  # noqa: ANN001
    c = consoles["admin"]
    q = "org_type=social_group&sort=staff&desc=true"
    csv = pd.read_csv(
        io.BytesIO(c.get(f"/console/organizations?{q}&export=organizations&format=csv").content),
        encoding="utf-8-sig",
        dtype={"机构编号": str},
    )
    assert len(csv) > 0 and set(csv["机构类型"]) == {"社会团体"}
    assert list(csv["人数"]) == sorted(csv["人数"], reverse=True)
    wb = load_workbook(
        io.BytesIO(c.get(f"/console/organizations?{q}&export=organizations&format=xlsx").content)
    )
    ws = wb.active
    rows = list(ws.iter_rows(values_only=True))
    assert (
        "机构列表" in str(rows[0][0])
        and "筛选条件" in str(rows[1][0])
        and "org_type=social_group" in str(rows[1][0]).replace("机构类型", "org_type")
    )
    assert list(rows[2][:2]) == [column("rank"), column("org_id")]
    assert [r[1] for r in rows[3:]] == list(csv["机构编号"])
    page = c.get(f"/console/organizations?{q}").text
    assert len(re.findall(r'<td data-col="org_id"[^>]*><a', page)) == min(len(csv), 50)


def test_org_manager_sees_only_own_row_and_own_seats(consoles, world) -> None:  # noqa: ANN001
    c = consoles["org_manager"]
    csv = pd.read_csv(
        io.BytesIO(c.get("/console/organizations?export=organizations&format=csv").content),
        encoding="utf-8-sig",
    )
    assert list(csv["机构编号"]) == [world.org_a]
    seats = pd.read_csv(
        io.BytesIO(
            c.get(
                "/console/allocation?from=2026-11-23&to=2027-06-30&export=seats&format=csv"
            ).content
        ),
        encoding="utf-8-sig",
    )
    assert set(seats["机构编号"]) <= {world.org_a}


def test_hours_table_is_the_xuishi_layout(consoles, world) -> None:  # noqa: ANN001
    r = consoles["admin"].get(f"/console/organizations/{world.org_a}?export=hours&format=xlsx")
    ws = load_workbook(io.BytesIO(r.content)).active
    header = [c.value for c in ws[3]]
    for col in (
        "机构编号",
        "人员编号",
        "岗位",
        "应修学时",
        "已修学时",
        "线上学时",
        "线下学时",
        "学时是否合格",
        "应得学分",
        "已得学分",
        "学分是否合格",
    ):
        assert col in header
    for row in ws.iter_rows(min_row=4, values_only=True):
        rec = dict(zip(header, row, strict=True))
        assert rec["学时是否合格"] == ("是" if rec["已修学时"] >= rec["应修学时"] else "否")


def test_english_switch_and_bookmarkable_filters(consoles, world) -> None:  # noqa: ANN001
    c = consoles["admin"]
    r = c.get(f"/console/organizations/{world.org_a}?show=behind&lang=en")
    assert "Staff and their training" in r.text and 'lang="en"' in r.text
    assert c.get("/console/").text.count("Programme") >= 1  # the choice is remembered
    c.get("/console/?lang=zh-CN")
    assert "计划进度" in c.get("/console/").text


def test_pages_forbid_outside_resources(consoles) -> None:  # noqa: ANN001
    r = consoles["admin"].get("/console/")
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "http" not in r.text.split("<body")[0].replace("http-equiv", "")


def test_experiments_lists_runs_and_serves_only_their_plots(app, consoles, tmp_path) -> None:  # noqa: ANN001
    write_run(tmp_path / "r1")
    old = app.state.console_config
    app.state.console_config = type(old)(old.session_hours, old.secure_cookie, str(tmp_path))
    try:
        c = consoles["researcher"]
        page = c.get("/console/experiments?run=r1").text
        assert "roc_auc" in page and "logreg" in page and "/console/experiments/plot?run=r1" in page
        assert (
            c.get("/console/experiments/plot?run=r1&name=roc.png").headers["content-type"]
            == "image/png"
        )
        assert c.get("/console/experiments/plot?run=..&name=roc.png").status_code == 404
        assert c.get("/console/experiments/plot?run=r1&name=..%2Fx.png").status_code == 422
    finally:
        app.state.console_config = old


def test_empty_form_fields_mean_no_filter(consoles) -> None:  # noqa: ANN001
    """A GET form sends every field, empty ones too: they filter nothing."""
    c = consoles["admin"]
    full = c.get("/console/organizations").text
    empty = c.get("/console/organizations?region=&org_type=&min_rating=&q=&sort=rank").text
    assert empty.count('data-col="org_id"') == full.count('data-col="org_id"')
    assert c.get("/console/effect?mode=&min_n=1").status_code == 200
    assert c.get("/console/organizations?min_rating=abc").status_code == 422


def test_person_statuses_are_the_api_profiles(consoles, client, keys, world) -> None:  # noqa: ANN001
    """The page reads statuses from the cached whole-store frames; the API's profile
    computes them for the one person: the same figures."""
    pols = ["national-2025", "cadre-hours", "credits"]
    prof = client.get(
        f"/v1/learners/{world.staff_a}/profile",
        headers={"X-API-Key": keys["admin"]},
        params=[("policy", p) for p in pols],
    ).json()
    r = consoles["org_manager"].get(f"/console/people/{world.staff_a}?export=statuses&format=csv")
    got = pd.read_csv(io.BytesIO(r.content), encoding="utf-8-sig")
    assert len(got) == 3
    for row, want in zip(got.to_dict("records"), prof["statuses"], strict=True):
        for f in ("required", "done", "remaining"):
            assert row[column(f)] == pytest.approx(want[f]), f
        assert str(row[column("deadline")])[:10] == want["deadline"]
        assert row[column("status")] == label("status", want["status"])
