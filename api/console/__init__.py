"""The console: a server-rendered web UI in the API's process (Jinja2 templates, htmx,
Apache ECharts — both vendored under ``static/vendor`` with ``manifest.json``).

``install(app)`` adds the routes under ``/console`` (DESIGN.md "Console"), the static
files under ``/console/static`` and the HTML error pages.  Modules: ``session`` (sign-in,
cookies, CSRF), ``web`` (shared page machinery and scope), ``views_*`` (pages),
``charts`` (ECharts options as JSON), ``tables`` (rendering and CSV/XLSX export),
``data`` (roll-ups memoized on the service's whole-store views), ``i18n`` (zh-CN / en).
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.console.session import ConsoleConfig, Sessions


def install(app: FastAPI, config: ConsoleConfig | None = None) -> None:
    from api.console import auth, charts, views_detail, views_more, views_overview, web

    app.state.console_config = config or ConsoleConfig.from_env()
    app.state.console_sessions = None
    web.install_handlers(app)
    static = StaticFiles(directory=str(files("api.console") / "static"))
    app.mount(web.PREFIX + "/static", static, name="console-static")
    for module in (auth, charts, views_overview, views_detail, views_more):
        app.include_router(module.router)


def start(app: FastAPI) -> None:
    """At start-up, once the service's store is open (``Service.opened``; the service
    opens it on a background thread, so that ``/healthz`` answers at once): the session
    table and secret.  Until then console pages answer 503 (``web.sessions``)."""
    import threading

    svc = app.state.service

    def when_open() -> None:
        svc.opened.wait()
        if svc.state.startswith("failed"):
            return
        app.state.console_sessions = Sessions(
            svc.engine, app.state.console_config.session_hours, svc.settings.key_cache_seconds
        )

    threading.Thread(target=when_open, name="console-start", daemon=True).start()
