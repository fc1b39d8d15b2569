"""``GET /console/login`` (the form), ``POST /console/login`` (form field ``key``),
``POST /console/logout`` (form field ``csrf``); see ``api.console.session``."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api import audit
from api.console.session import COOKIE
from api.console.web import PREFIX, ConsoleDep, lang_of, refuse, render, secure_headers, sessions

router = APIRouter(prefix=PREFIX, include_in_schema=False)


def _safe_next(value: str | None) -> str | None:
    """Only a path inside the console (no other host, no scheme)."""
    if not value or not value.startswith(PREFIX) or value.startswith("//"):
        return None
    parts = urlsplit(value)
    return None if parts.scheme or parts.netloc else value


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None:  # not sent by every client; SameSite still guards the session
        return True
    return urlsplit(origin).netloc == request.headers.get("host", "")


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> HTMLResponse:
    return render(request, "login.html", lang_of(request), next=_safe_next(next), error=None)


@router.post("/login")
def login(
    request: Request,
    key: Annotated[str, Form(max_length=300)] = "",
    next: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    """Exchange an API key for a session cookie (303 to the role's first page)."""
    L = lang_of(request)
    if not _same_origin(request):  # login CSRF: a form posted from another site
        raise refuse("sign-in form posted from another origin")
    service = request.app.state.service
    p = service.verifier.verify(key.strip())
    if p is None or p.role == "platform":
        audit.record(service.engine, None, "console sign-in", None, 0, outcome="refused")
        return render(
            request, "login.html", L, 401, next=_safe_next(next), error=L.t("login.bad_key")
        )
    value, sess = sessions(request).open(p)
    audit.record(service.engine, p, "console sign-in", p.key_id, 0)
    from api.console.web import Console

    home = Console(request, service, sess, L).home()
    resp = RedirectResponse(_safe_next(next) or home, status_code=303)
    settings = request.app.state.console_config
    resp.set_cookie(
        COOKIE,
        value,
        max_age=sessions(request).max_age,
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookie,
    )
    secure_headers(resp)
    return resp


@router.post("/logout")
def logout(c: ConsoleDep, csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    """Revoke the session server-side and drop the cookie (a wrong CSRF token: 403)."""
    if not c.session.csrf_ok(csrf):
        raise refuse("missing or wrong CSRF token")
    sessions(c.request).revoke(c.session.sid)
    audit.record(c.service.engine, c.p, "console sign-out", c.p.key_id, 0)
    resp = RedirectResponse(f"{PREFIX}/login", status_code=303)
    resp.delete_cookie(COOKIE, path=PREFIX, httponly=True, samesite="strict")
    if c.request.headers.get("hx-request"):
        resp = Response(status_code=204, headers={"HX-Redirect": f"{PREFIX}/login"})
        resp.delete_cookie(COOKIE, path=PREFIX, httponly=True, samesite="strict")
    secure_headers(resp)
    return resp
