"""/docs and /redoc work offline: every asset they load is served by the app itself,
vendored with a manifest of package, version, licence and sha256 (issue 23)."""

from __future__ import annotations

import hashlib
import json
import re

from fastapi.testclient import TestClient

from api.docs import ASSETS


def test_docs_pages_load_only_local_assets(client: TestClient) -> None:
    for page in ("/docs", "/redoc"):
        r = client.get(page)
        assert r.status_code == 200, page
        refs = re.findall(r"""(?:src|href)=["']([^"']+)["']""", r.text)
        assert refs, page
        assert not [u for u in refs if u.startswith(("http:", "https:", "//"))], (page, refs)
        for url in refs:
            if url.startswith("/docs-assets/"):
                got = client.get(url)
                assert got.status_code == 200 and len(got.content) > 500, url
        assert "cdn.jsdelivr" not in r.text and "fonts.googleapis" not in r.text


def test_vendored_assets_match_their_manifest() -> None:
    manifest = json.loads((ASSETS / "MANIFEST.json").read_text("utf-8"))
    names = {p["package"]: p for p in manifest["packages"]}
    assert names["swagger-ui-dist"]["licence"] == "Apache-2.0"
    assert names["redoc"]["licence"] == "MIT"
    listed = set()
    for pkg in manifest["packages"]:
        assert re.fullmatch(r"\d+\.\d+\.\d+", pkg["version"])
        for f in pkg["files"]:
            data = (ASSETS / f["file"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == f["sha256"], f["file"]
            listed.add(f["file"])
    on_disk = {p.name for p in ASSETS.iterdir()} - {"MANIFEST.json"}
    assert on_disk == listed  # nothing unlisted ships
