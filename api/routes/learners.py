"""One person: recommendations, profile, learning map (JSON and PNG)."""

from __future__ import annotations

import json
import tempfile
import threading
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response

from api.deps import AsOf, PrincipalDep, ServiceDep, check_person, get_principal
from api.errors import RETRY_AFTER
from api.keys import Principal
from api.labels import LINK_KINDS, NODE_KINDS, labelled, shown
from api.profiles import finite, profile_json
from api.schemas import (
    DATE_PATTERN,
    LAST_DATE,
    LearningMap,
    PolicyName,
    Profile,
    Recommendations,
    parse_date,
)
from api.service import Service
from engine.errors import NotFoundError
from engine.schema import MODES, TIERS

router = APIRouter(prefix="/v1/learners", tags=["learners"])
VERSION = "X-Learnmap-Data-Version"
_draw_lock = threading.Lock()  # matplotlib is not thread-safe
_PERSON: dict[int | str, dict] = {
    403: {"description": "outside the key's scope (same answer whether or not the person exists)"},
    404: {"description": "no such staff member"},
}


def _missing(staff_id: str, as_of: date | None = None) -> HTTPException:
    when = f" as of {as_of}" if as_of else ""
    return HTTPException(404, f"no staff member {staff_id!r}{when}")


def _allowed(service: Service, p: Principal, staff_id: str) -> None:
    check_person(service, p, staff_id)  # 403 first, whether or not the person exists
    if service.org_of(staff_id) is None:
        raise _missing(staff_id)


def _bad(loc: str, msg: str, kind: str, value: object) -> dict:
    return {"type": kind, "loc": ["query", loc], "msg": msg, "input": value}


#: the open end of a window without ``to``: the day after the last date the API accepts
NO_END = LAST_DATE + timedelta(days=1)


def _window(q, errors: list) -> tuple[date | None, date | None] | None:  # noqa: ANN001
    """``from`` / ``to`` (YYYY-MM-DD, ``api.schemas.parse_date``); None when neither is
    given.  Either end may be left open: ``from`` defaults to the serving date, ``to``
    to no end.  A window whose end is not after its start offers nothing: an empty
    list, not an error (every schema-valid request is answered)."""
    raw = {n: q.get(n) for n in ("from", "to")}
    if raw["from"] is None and raw["to"] is None:
        return None
    days: dict[str, date | None] = {"from": None, "to": None}
    for name, value in raw.items():
        if value is None:
            continue
        try:
            days[name] = parse_date(value)
        except ValueError as exc:
            errors.append(_bad(name, str(exc), "date_parsing", value))
    return days["from"], days["to"]


def _recs_query(
    request: Request,
) -> tuple[int, str | None, str | None, bool, tuple[date | None, date | None] | None]:
    """``k``, ``mode``, ``tier``, ``offer_prerequisites``, ``from``/``to`` from the query
    string, checked as FastAPI would (422 naming the field)."""
    q = request.query_params
    errors = []
    k = 10
    raw = q.get("k")
    if raw is not None:
        try:
            k = int(raw)
        except ValueError:
            errors.append(_bad("k", "Input should be a valid integer", "int_parsing", raw))
        else:
            if not 1 <= k <= 100:
                errors.append(_bad("k", "Input should be between 1 and 100", "range", raw))
    mode, tier = q.get("mode"), q.get("tier")
    if mode is not None and mode not in MODES:
        errors.append(_bad("mode", f"Input should be one of {', '.join(MODES)}", "enum", mode))
    if tier is not None and tier not in TIERS:
        errors.append(_bad("tier", f"Input should be one of {', '.join(TIERS)}", "enum", tier))
    offer = q.get("offer_prerequisites", "false").lower()
    if offer not in _BOOLS:
        errors.append(
            _bad("offer_prerequisites", "Input should be a valid boolean", "bool_parsing", offer)
        )
    window = _window(q, errors)
    if errors:
        raise RequestValidationError(errors)
    return k, mode or None, tier or None, _BOOLS.get(offer, False), window


# what pydantic accepts as a boolean in a query string
_BOOLS = {"true": True, "1": True, "yes": True, "on": True}
_BOOLS |= {"false": False, "0": False, "no": False, "off": False}


_RECS_OPENAPI = {
    "parameters": [
        {"name": "staff_id", "in": "path", "required": True, "schema": {"type": "string"}},
        {
            "name": "k",
            "in": "query",
            "required": False,
            "description": "modules to return",
            "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 10},
        },
        {
            "name": "mode",
            "in": "query",
            "required": False,
            "description": "only modules of this mode",
            "schema": {"type": "string", "enum": list(MODES)},
        },
        {
            "name": "tier",
            "in": "query",
            "required": False,
            "description": "only modules of this tier",
            "schema": {"type": "string", "enum": list(TIERS)},
        },
        {
            "name": "offer_prerequisites",
            "in": "query",
            "required": False,
            "description": "offer the missing prerequisite of a module the person cannot "
            "take yet, in its place (reason: 'prerequisite for …'); answered live",
            "schema": {"type": "boolean", "default": False},
        },
        {
            "name": "from",
            "in": "query",
            "required": False,
            "description": "only modules offered in [from, to) — a session opening for "
            "enrolment then, or a self-paced module available then; default: the serving "
            "date (when 'to' is given); answered live",
            "schema": {"type": "string", "pattern": DATE_PATTERN},
        },
        {
            "name": "to",
            "in": "query",
            "required": False,
            "description": "end of the window (excluded); default: no end.  An end not "
            "after the start offers nothing (an empty list)",
            "schema": {"type": "string", "pattern": DATE_PATTERN},
        },
    ],
    "security": [{"APIKeyHeader": []}],
}


@router.get(
    "/{staff_id}/recommendations",
    response_model=Recommendations,
    responses={
        **_PERSON,
        422: {
            "description": "a bad parameter, named",
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}
            },
        },
    },
    openapi_extra=_RECS_OPENAPI,
)
async def recommendations(request: Request) -> Response:
    """The person's next modules, best first, each with its score and the reason
    (``k`` 1–100, default 10; optionally only one ``mode`` or ``tier``).

    The hot path of the service: answered from the precomputed lists on the event loop.
    Its parameters are read here rather than through FastAPI's dependency machinery
    (which costs more than the answer itself); the OpenAPI entry above documents them
    and the errors keep FastAPI's shape (422 naming the field)."""
    service: Service = request.app.state.service
    p = await get_principal(request, request.headers.get("x-api-key"))
    staff_id = request.path_params["staff_id"]
    k, mode, tier, offer, window = _recs_query(request)
    _allowed(service, p, staff_id)
    recs = service.recs
    if recs is None:
        raise HTTPException(
            503,
            f"recommender not ready: {service.recommender_state}",
            headers={"Retry-After": RETRY_AFTER},
        )
    version = str(service.recs_data_version)
    modes = (mode,) if mode else None
    tiers = (tier,) if tier else None
    row = recs.row_of.get(staff_id, -1)
    if row < 0:  # in the store, but hired after the date the recommender was fitted for
        raise _missing(staff_id, service.settings.as_of)
    settings = service.settings
    head = json.dumps(
        {"staff_id": staff_id, "as_of": settings.as_of.isoformat(), "model": settings.recommender},
        ensure_ascii=False,
    )
    live = offer or window is not None
    body = None if (modes or tiers or live) else recs.cached_json(staff_id, k, head)
    if body is None:
        if recs.done[row] and k <= recs.k and not live:
            items = recs.get(staff_id, k, modes, tiers)  # a lookup: answered on the event loop
        else:
            out = None
            if window is not None:
                start = window[0] or settings.as_of
                out = service.not_offered(start, window[1] or NO_END)
            items = await run_in_threadpool(recs.get, staff_id, k, modes, tiers, offer, out)
        body = recs.to_json(staff_id, settings.as_of.isoformat(), settings.recommender, items)
    service.audit.record(p, "read recommendations", subject=staff_id, target=f"k={k}")
    # answered from the data version the recommender was fitted on
    return Response(body, media_type="application/json", headers={VERSION: version})


def _person(service: Service, staff_id: str, as_of: date):  # noqa: ANN202
    from features.person import person_view

    try:
        return person_view(service.store, staff_id, as_of)
    except NotFoundError:
        raise _missing(staff_id, as_of) from None


@router.get("/{staff_id}/profile", response_model=Profile, responses=_PERSON)
async def profile(
    staff_id: str,
    service: ServiceDep,
    p: PrincipalDep,
    as_of: AsOf = None,
    policy: Annotated[
        list[PolicyName] | None, Query(description="policies to report the status under")
    ] = None,
) -> Response:
    """Learner profile, status under each policy asked for (default: the service's),
    largest skill gaps, and the risk of missing the requirement (if a risk model is
    loaded).  Policies are the presets only: the API never reads files named by a caller.
    Served from a cache per data version (``api.profiles``); audited."""
    _allowed(service, p, staff_id)
    d = as_of or service.settings.as_of
    names = list(dict.fromkeys(policy or [service.settings.policy]))
    key = (service.data_version, staff_id, d, tuple(names))
    body = service.profiles.get(key)
    if body is None:
        try:
            body = await run_in_threadpool(profile_json, service, staff_id, d, names)
        except NotFoundError:
            raise _missing(staff_id, d) from None
    service.audit.record(p, "read profile", subject=staff_id, target=f"as_of={d}")
    return Response(body, media_type="application/json")


def _map(service: Service, staff_id: str, as_of: date):  # noqa: ANN202
    from features.graph import learning_map

    view = _person(service, staff_id, as_of)
    return learning_map(view.snap, staff_id, view.mastery)


@router.get("/{staff_id}/learning-map", response_model=LearningMap, responses=_PERSON)
def learning_map_json(
    staff_id: str, service: ServiceDep, p: PrincipalDep, as_of: AsOf = None
) -> LearningMap:
    """Required skills (mastery vs target) and the modules that teach them, as a
    node-link graph; each code with its display field (``kind_label``, a module's
    ``mode_label`` / ``tier_label`` / ``status_label``, a role node's ``role_label``)."""
    from features.graph import to_json

    _allowed(service, p, staff_id)
    d = as_of or service.settings.as_of
    data = to_json(_map(service, staff_id, d))
    service.audit.record(p, "read learning-map", subject=staff_id, target=f"as_of={d}")
    g = data["graph"]
    lang = service.settings.display_lang
    return LearningMap(
        staff_id=str(g["staff_id"]),
        org_id=str(g["org_id"]),
        as_of=d,
        nodes=[_node({k: finite(v) for k, v in n.items()}, lang) for n in data["nodes"]],
        links=[labelled({k: finite(v) for k, v in e.items()}, LINK_KINDS, lang)
               for e in data["links"]],
    )  # fmt: skip


def _node(node: dict, lang: str) -> dict:
    """A map node with its display fields; a role node's ``label`` is the role's code
    (kept), its ``role_label`` the role's name."""
    out = labelled(node, NODE_KINDS, lang)
    if node.get("kind") == "role":
        out["role_label"] = shown("role", node.get("label"), lang)
    return out


@router.get(
    "/{staff_id}/learning-map.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}, "description": "PNG image"}, **_PERSON},
)
def learning_map_png(
    staff_id: str, service: ServiceDep, p: PrincipalDep, as_of: AsOf = None
) -> Response:
    """The learning map drawn as a PNG."""
    from features.graph import draw

    _allowed(service, p, staff_id)
    d = as_of or service.settings.as_of
    g = _map(service, staff_id, d)
    service.audit.record(p, "read learning-map.png", subject=staff_id, target=f"as_of={d}")
    with _draw_lock, tempfile.TemporaryDirectory() as tmp:
        path = draw(g, Path(tmp) / "map.png", service.settings.display_lang)
        data = Path(path).read_bytes()
    return Response(data, media_type="image/png")
