"""The vendored browser code is what its manifest says (package, version, sha256,
licence), and no page or script loads anything from outside the server."""

from __future__ import annotations

import hashlib
import json
import re
from importlib.resources import files
from pathlib import Path

VENDOR = Path(str(files("api.console") / "static" / "vendor"))
TEMPLATES = Path(str(files("api.console") / "templates"))
STATIC = VENDOR.parent


def test_every_vendored_file_matches_its_manifest_entry() -> None:
    manifest = json.loads((VENDOR / "manifest.json").read_text("utf-8"))
    entries = {e["file"]: e for e in manifest["files"]}
    assert set(entries) == {"echarts.min.js", "htmx.min.js"}
    for name, e in entries.items():
        data = (VENDOR / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == e["sha256"], f"{name} differs from the manifest"
        assert e["package"] and re.fullmatch(r"\d+\.\d+\.\d+", e["version"]), e
        assert e["licence"] in ("Apache-2.0", "0BSD"), e
        for lic in e["licence_files"]:
            assert (VENDOR / lic).stat().st_size > 100 or "NOTICE" in lic, lic
        assert e["npm_integrity"].startswith("sha512-")
    # nothing in the vendor folder that the manifest does not account for
    listed = set(entries) | {lic for e in entries.values() for lic in e["licence_files"]}
    assert {p.name for p in VENDOR.iterdir()} - {"manifest.json"} == listed


def test_templates_and_own_scripts_reference_only_the_server() -> None:
    """No http(s):// or protocol-relative URL in what the console serves as markup or
    its own code (the vendored libraries mention URLs only in comments and XML
    namespaces, which the browser tests check are never requested)."""
    for path in [*TEMPLATES.glob("*.html"), STATIC / "console.js", STATIC / "console.css"]:
        text = path.read_text("utf-8")
        assert not re.search(r"(src|href|action)\s*=\s*[\"'](https?:)?//", text), path
        assert "http://" not in text and "https://" not in text, path
