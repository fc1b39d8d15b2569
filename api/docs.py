"""``/docs`` (Swagger UI) and ``/redoc`` served from the package, never from a CDN.

The pages FastAPI builds by default load their JavaScript and CSS from a CDN, so on an
offline intranet they stay blank.  The assets are vendored from npm (``npm pack
swagger-ui-dist``, ``npm pack redoc``) into ``api/static/docs/``; ``MANIFEST.json``
there records each package, version, licence and the sha256 of every file
(``scripts/vendor_docs.sh`` re-vendors them).  ReDoc is served without Google Fonts.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = Path(__file__).parent / "static" / "docs"
PREFIX = "/docs-assets"


def install(app: FastAPI) -> None:
    """Mount the vendored assets and the two documentation pages on ``app`` (created
    with ``docs_url=None, redoc_url=None``)."""
    app.mount(PREFIX, StaticFiles(directory=ASSETS), name="docs-assets")
    openapi = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    def swagger() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi,
            title=f"{app.title} — API",
            swagger_js_url=f"{PREFIX}/swagger-ui-bundle.js",
            swagger_css_url=f"{PREFIX}/swagger-ui.css",
            swagger_favicon_url=f"{PREFIX}/favicon-32x32.png",
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi,
            title=f"{app.title} — API",
            redoc_js_url=f"{PREFIX}/redoc.standalone.js",
            redoc_favicon_url=f"{PREFIX}/favicon-32x32.png",
            with_google_fonts=False,
        )
