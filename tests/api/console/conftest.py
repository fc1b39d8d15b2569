"""Console fixtures: a signed-in ``TestClient`` per role on the API tests' demo store."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient


def sign_in(app, key: str) -> TestClient:  # noqa: ANN001
    """A fresh client (own cookie jar) signed in with ``key``."""
    c = TestClient(app, base_url="http://testserver")
    r = c.post("/console/login", data={"key": key}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return c


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF field on the page"
    return m.group(1)


@pytest.fixture(scope="session")
def consoles(app, keys) -> dict[str, TestClient]:  # noqa: ANN001
    return {
        role: sign_in(app, keys[role]) for role in ("admin", "org_manager", "staff", "researcher")
    }
