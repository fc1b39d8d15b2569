"""The console in a real browser: Playwright's Python package driving Debian's Chromium
(``apt-get install chromium``; no browser download).  One server (uvicorn on the API
tests' app, in a thread) and one browser for the module.

Every role signs in and opens its views; numbers on the page are checked against the
API's JSON; a filter, a drill-down, CSV and XLSX exports read back; no console error;
every request the browser makes goes to the server itself.  Screenshots of each view
go to ``$LEARNMAP_CONSOLE_SCREENSHOTS`` (default: this session's pytest temp folder,
``console-screenshots``)."""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from engine.labels import label
from tests.api.conftest import AS_OF

CHROMIUM = os.environ.get("LEARNMAP_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pw = pytest.importorskip("playwright.sync_api", reason="playwright (the dev extra) not installed")
if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
    pytest.skip(
        f"no Chromium at {CHROMIUM}: apt-get install chromium (CI does; .ci/run)",
        allow_module_level=True,
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(app, tmp_path_factory):  # noqa: ANN001, ANN201
    import uvicorn

    from tests.api.console.test_pages import write_run

    runs = tmp_path_factory.mktemp("runs")
    write_run(runs / "risk-demo")
    old = app.state.console_config
    app.state.console_config = type(old)(old.session_hours, old.secure_cookie, str(runs))
    port = _free_port()
    # the app has started (the API fixture's TestClient ran its lifespan): serve it as is
    srv = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    t = threading.Thread(target=srv.run, daemon=True)
    t.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    t.join(timeout=10)
    app.state.console_config = old


@pytest.fixture(scope="module")
def browser():  # noqa: ANN201
    with pw.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:  # noqa: ANN001
    d = os.environ.get("LEARNMAP_CONSOLE_SCREENSHOTS")
    out = Path(d) if d else tmp_path_factory.mktemp("console-screenshots")
    out.mkdir(parents=True, exist_ok=True)
    return out


class Tab:
    """A signed-in browser context that records requests and console errors."""

    def __init__(self, browser, base: str, key: str, shots: Path, role: str) -> None:  # noqa: ANN001
        self.base, self.shots, self.role = base, shots, role
        self.ctx = browser.new_context(
            viewport={"width": 1400, "height": 900}, locale="zh-CN", accept_downloads=True
        )
        self.page = self.ctx.new_page()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.refusals = 0  # refusal pages the test opens on purpose (403 in the console)
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(f"{base}/console/login")
        self.page.fill("#key", key)
        with self.page.expect_navigation():
            self.page.click("#signin")

    def open(self, path: str) -> None:
        self.page.goto(self.base + path)
        self.charts()

    def until(self, ok, what: str, timeout: float = 30.0) -> None:  # noqa: ANN001
        """Poll from Python (the pages' CSP forbids the eval ``wait_for_function`` uses)."""
        end = time.monotonic() + timeout
        while not ok():
            assert time.monotonic() < end, (
                f"timed out waiting for {what} on {self.page.url}; console: {self.errors}"
            )
            time.sleep(0.05)

    def swap(self, selector: str) -> None:
        """Click something htmx handles (hx-boost): wait until the page is swapped."""
        old = self.page.locator("main").element_handle()
        self.page.click(selector)
        self.until(lambda: not old.is_visible(), "the page swap")
        self.charts()

    def wait_url(self, part: str) -> None:
        self.until(lambda: part in self.page.url, part)

    def charts(self) -> None:
        n = self.page.locator("[data-chart]").count()
        if n:
            charts = self.page.locator("[data-chart][data-ready]")
            self.until(lambda: charts.count() >= n, f"{n} charts")
            bad = self.page.locator("[data-chart][data-ready=error]").count()
            assert bad == 0, f"{bad} chart(s) failed on {self.page.url}"

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(self.shots / f"{self.role}-{name}.png"), full_page=True)

    def text(self, sel: str) -> str:
        return self.page.locator(sel).first.inner_text().strip()

    def download(self, table: str, fmt: str) -> bytes:
        link = self.page.locator(
            f"#t-{table} a.export", has_text="CSV" if fmt == "csv" else "Excel"
        )
        with self.page.expect_download() as d:
            link.click()
        return Path(d.value.path()).read_bytes()

    def close(self) -> None:
        foreign = [u for u in self.requests if not u.startswith(self.base + "/")]
        assert foreign == [], f"requests left the server: {foreign}"
        expected = "Failed to load resource: the server responded with a status of 403"
        errors = [e for e in self.errors if not e.startswith(expected)]
        assert errors == [], f"console errors: {self.errors}"
        assert len(self.errors) - len(errors) == self.refusals, self.errors
        self.ctx.close()


def _n(text: str) -> float:
    return float(text.replace(",", "").replace("%", ""))


def test_admin_every_view_numbers_filter_drilldown_export(
    server,
    browser,
    shots,
    keys,
    client,
    world,  # noqa: ANN001
) -> None:
    t = Tab(browser, server, keys["admin"], shots, "admin")
    api = {"X-API-Key": keys["admin"]}
    # Programme: the headline against GET /v1/reports/programme
    assert t.page.url.rstrip("/").endswith("/console")
    t.charts()
    rep = client.get("/v1/reports/programme", headers=api).json()
    assert _n(t.text("#kpi-person-times")) == rep["summary"]["person_times"]
    assert _n(t.text("#kpi-staff")) == rep["summary"]["staff"]
    assert "计划" in t.page.title() or "计划" in t.text("h1")
    t.shot("programme")
    # Organizations: filter by type, then drill down into the first organization
    t.open("/console/organizations")
    t.shot("organizations")
    t.page.select_option("#f-type", "foundation")
    t.swap("#apply")
    t.wait_url("org_type=foundation")
    types = t.page.locator("td[data-col=org_type]").all_inner_texts()
    assert types and set(types) == {"基金会"}
    org_id = t.page.locator("td[data-col=org_id] a").first.inner_text().strip()
    t.swap("td[data-col=org_id] a >> nth=0")
    t.wait_url(f"/console/organizations/{org_id}")
    t.page.wait_for_selector("#org-name")
    t.charts()
    risk = client.get(f"/v1/organizations/{org_id}/risk", headers=api).json()["organization"]
    assert _n(t.text("#kpi-staff")) == risk["staff"]
    assert _n(t.text("#kpi-rank")) == risk["rank"]
    assert abs(_n(t.text("#kpi-expected-missing")) - risk["expected_missing"]) <= 0.05
    t.shot("organization")
    # exports of the staff table read back: same rows as the API's employed staff
    staff_api = client.get(
        f"/v1/organizations/{org_id}/staff", headers=api, params={"limit": 1000}
    ).json()["data"]
    employed = sorted(s["staff_id"] for s in staff_api if s["employed"])
    csv = pd.read_csv(io.BytesIO(t.download("staff", "csv")), encoding="utf-8-sig", dtype=str)
    assert sorted(csv["人员编号"]) == employed
    xl = pd.read_excel(io.BytesIO(t.download("hours", "xlsx")), header=2, dtype=str)
    assert sorted(xl["人员编号"]) == employed and "线上学时" in xl.columns
    # Person: recommendations against GET /v1/learners/{id}/recommendations
    sid = t.page.locator("#t-staff td[data-col=staff_id] a").first.inner_text().strip()
    t.swap("#t-staff td[data-col=staff_id] a >> nth=0")
    t.wait_url(f"/console/people/{sid}")
    t.page.wait_for_selector("#person-id")
    t.charts()
    recs = client.get(f"/v1/learners/{sid}/recommendations?k=10", headers=api).json()["data"]
    shown = t.page.locator("#t-recommendations td[data-col=module_id]").all_inner_texts()
    assert shown == [r["module_id"] for r in recs]
    t.shot("person")
    # Training effect, allocation (a run), experiments
    t.open("/console/effect")
    t.shot("effect")
    t.open(f"/console/allocation?from={AS_OF}&to=2027-06-30")
    assert t.page.locator("#t-by_org").count() == 1
    t.shot("allocation")
    t.open("/console/experiments")
    assert t.page.locator("#t-metrics td[data-col=model]").count() >= 2
    t.shot("experiments")
    # the English switch
    t.page.click("#lang-switch")
    t.wait_url("lang=en")
    assert "Experiments" in t.text("h1")
    t.page.goto(server + "/console/")
    t.charts()
    assert "Programme" in t.page.locator("nav").inner_text()
    t.shot("programme-en")
    # sign out: the session is gone
    with t.page.expect_navigation():
        t.page.click("#logout")
    assert "/console/login" in t.page.url
    t.page.goto(server + "/console/organizations")
    assert "/console/login" in t.page.url
    t.close()


def test_org_manager_own_organization_and_refusal(
    server,
    browser,
    shots,
    keys,
    client,
    world,  # noqa: ANN001
) -> None:
    t = Tab(browser, server, keys["org_manager"], shots, "org_manager")
    assert t.page.url.endswith(f"/console/organizations/{world.org_a}")
    t.charts()
    api = {"X-API-Key": keys["org_manager"]}
    risk = client.get(f"/v1/organizations/{world.org_a}/risk", headers=api).json()
    assert _n(t.text("#kpi-staff")) == risk["organization"]["staff"]
    t.shot("organization")
    t.page.select_option("#f-show", "behind")
    t.swap("#apply")
    t.wait_url("show=behind")
    statuses = set(t.page.locator("#t-staff td[data-col=status]").all_inner_texts())
    assert statuses <= {label("status", "at_risk"), label("status", "overdue")}
    # another organization by URL: the API's refusal
    t.refusals += 1
    resp = t.page.goto(f"{server}/console/organizations/{world.org_b}")
    assert resp.status == 403 and "无权访问" in t.text("h1")
    assert client.get(f"/v1/organizations/{world.org_b}/risk", headers=api).status_code == 403
    t.page.goto(f"{server}/console/people/{world.staff_a2}")
    t.charts()
    t.shot("person")
    t.close()


def test_staff_sees_own_page_only(server, browser, shots, keys, world) -> None:  # noqa: ANN001
    t = Tab(browser, server, keys["staff"], shots, "staff")
    assert t.page.url.endswith(f"/console/people/{world.staff_a}")
    t.charts()
    assert t.page.locator("#learning-map canvas").count() == 1
    # the map is drawn at the size its options ask for (scale 1: labels as laid out)
    chart = t.page.locator("#learning-map")
    size = t.page.request.get(t.base + chart.get_attribute("data-chart")).json()["lmSize"]
    box = chart.bounding_box()
    assert box["height"] == pytest.approx(size["height"], abs=1)
    assert box["width"] >= size["width"] - 1
    t.shot("person")
    t.refusals += 1
    resp = t.page.goto(f"{server}/console/people/{world.staff_a2}")
    assert resp.status == 403
    t.page.goto(f"{server}/console/")  # the programme is not for staff: back home
    assert t.page.url.endswith(f"/console/people/{world.staff_a}")
    t.close()


def test_researcher_programme_and_pseudonymous_organizations(
    server,
    browser,
    shots,
    keys,
    world,  # noqa: ANN001
) -> None:
    t = Tab(browser, server, keys["researcher"], shots, "researcher")
    t.charts()
    t.open(f"/console/organizations/{world.org_a}")
    ids = t.page.locator("#t-staff td[data-col=staff_id]").all_inner_texts()
    assert ids and all(i.startswith("p_") for i in ids)
    assert t.page.locator("#t-staff td a").count() == 0  # no way into a person
    t.shot("organization")
    t.open("/console/experiments")
    t.close()
    json.dumps(ids)
