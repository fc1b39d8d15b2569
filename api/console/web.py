"""What every console page shares: the template environment, the signed-in caller
(``ConsoleDep``), the language, rendering, and HTML answers for refusals.

Scope is the API's: pages call ``api.deps.require`` / ``check_org`` / ``check_person``
with the session's ``Principal``, so a manager who edits a URL to another organization
gets the API's refusal (403, same wording, whether or not it exists), rendered as a
page and written to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.exceptions import HTTPException as StarletteHTTPException

from api import audit
from api.console.i18n import Lang, get_lang
from api.console.session import COOKIE, LANG_COOKIE, ConsoleSession, Sessions
from api.console.tables import show
from api.keys import Principal
from api.service import Service

PREFIX = "/console"
#: pages send this; nothing outside the server may be loaded or contacted
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
)
#: which roles see which view (the nav; each route also checks)
VIEWS = {
    "programme": ("admin", "researcher"),
    "organizations": ("admin", "researcher", "org_manager"),
    "allocation": ("admin", "org_manager"),
    "effect": ("admin", "researcher", "org_manager"),
    "experiments": ("admin", "researcher"),
}

env = Environment(
    loader=PackageLoader("api.console", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _qs(params: object, **changes: object) -> str:
    """The query string with ``changes`` applied (None removes a parameter)."""
    q = dict(params.multi_items()) if hasattr(params, "multi_items") else dict(params)  # type: ignore[arg-type]
    q.pop("export", None) if "export" not in changes else None
    q.pop("format", None) if "format" not in changes else None
    for k, v in changes.items():
        if v is None:
            q.pop(k, None)
        else:
            q[k] = str(v)
    return urlencode(q)


env.filters["qs"] = _qs
env.globals["show"] = show


class NeedLogin(Exception):
    """No live session: send the browser to the sign-in form."""


@dataclass
class Console:
    request: Request
    service: Service
    session: ConsoleSession
    L: Lang

    @property
    def p(self) -> Principal:
        return self.session.principal

    def may(self, view: str) -> bool:
        return self.p.role in VIEWS[view]

    def home(self) -> str:
        """Where this role starts."""
        if self.p.role == "staff":
            return f"{PREFIX}/people/{self.p.staff_id}"
        if self.p.role == "org_manager":
            return f"{PREFIX}/organizations/{self.p.org_id}"
        return f"{PREFIX}/"

    def url(self, path: str, **params: object) -> str:
        q = {k: v for k, v in params.items() if v not in (None, "")}
        return f"{PREFIX}{path}" + (f"?{urlencode(q)}" if q else "")

    def render(self, template: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        return render(self.request, template, self.L, status, c=self, **ctx)

    def audit_read(self, what: str, target: str, rows: int = 1) -> None:
        audit.record(self.service.engine, self.p, f"console read {what}", target, rows)


def lang_of(request: Request) -> Lang:
    return Lang(get_lang(request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)))


def sessions(request: Request) -> Sessions:
    got = request.app.state.console_sessions
    if got is None:  # the service is still opening its store (``console.start``)
        raise HTTPException(503, "the service is starting; try again shortly",
                            headers={"Retry-After": "2"})  # fmt: skip
    return got


def render(request: Request, template: str, L: Lang, status: int = 200, **ctx: Any) -> HTMLResponse:
    html = env.get_template(template).render(request=request, L=L, prefix=PREFIX, **ctx)
    resp = HTMLResponse(html, status_code=status)
    secure_headers(resp)
    chosen = request.query_params.get("lang")
    if chosen:
        resp.set_cookie(
            LANG_COOKIE, get_lang(chosen), max_age=365 * 86400, path=PREFIX, samesite="strict"
        )
    return resp


def secure_headers(resp: Response) -> None:
    resp.headers["Content-Security-Policy"] = CSP
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Referrer-Policy"] = "same-origin"
    resp.headers["Cache-Control"] = "no-store"


async def console_ctx(request: Request) -> Console:
    sess = sessions(request).read(request.cookies.get(COOKIE))
    if sess is None:
        raise NeedLogin()
    request.state.principal = sess.principal
    return Console(request, request.app.state.service, sess, lang_of(request))


ConsoleDep = Annotated[Console, Depends(console_ctx)]


def install_handlers(app) -> None:  # noqa: ANN001
    @app.exception_handler(NeedLogin)
    async def need_login(request: Request, exc: NeedLogin) -> Response:
        nxt = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        target = f"{PREFIX}/login?{urlencode({'next': nxt})}"
        if request.headers.get("hx-request"):
            return Response(status_code=204, headers={"HX-Redirect": target})
        if request.method != "GET" or "/charts/" in request.url.path:
            return Response(status_code=401, headers={"Content-Type": "text/plain"})
        return RedirectResponse(target, status_code=303)

    # The API's handler (``api.errors``: audits refusals, adds Retry-After) is kept for
    # every path outside the console; both exception classes are registered, since
    # Starlette picks the handler of the most specific class.
    api_handler = app.exception_handlers.get(HTTPException, http_exception_handler)

    @app.exception_handler(HTTPException)
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        path = request.url.path
        if not path.startswith(PREFIX + "/") and path != PREFIX or "/static/" in path:
            return await api_handler(request, exc)
        p = getattr(request.state, "principal", None)
        if exc.status_code == 403:
            svc = request.app.state.service
            audit.record(svc.engine, p, "console refused", path, 0, outcome="refused")
        if "/charts/" in path:
            return await http_exception_handler(request, exc)
        L = lang_of(request)
        return render(
            request,
            "error.html",
            L,
            exc.status_code,
            code=exc.status_code,
            detail=exc.detail if isinstance(exc.detail, str) else str(exc.detail),
            signed_in=p is not None,
            c=None,
        )


def refuse(detail: str = "") -> HTTPException:
    from api.deps import FORBIDDEN

    return HTTPException(403, detail or FORBIDDEN)
