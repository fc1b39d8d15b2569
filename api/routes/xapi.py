"""``/xAPI/statements``: the xAPI statement resource, as a learning record store
speaks it (xAPI 1.0.3, IEEE 9274.1.1).

* ``POST`` one statement or an array (≤ ``MAX_BATCH``): answers the ids, in order;
  ``PUT ?statementId=`` one statement with that id: 204;
  ``GET`` one statement (``statementId`` / ``voidedStatementId``) or a page of them
  (``agent``, ``verb``, ``activity``, ``registration``, ``since``, ``until``,
  ``limit``, ``ascending``) with a ``more`` link to the next page.
* Every request carries ``X-Experience-API-Version: 1.0.x``; every answer says
  ``1.0.3``.  Keys: HTTP Basic (any user name, the API key as password) or
  ``X-API-Key``; roles ``platform`` (statements only) and ``admin``.
* A batch is checked whole (``engine.xapi.model``): one bad statement refuses it all,
  400 with every problem (statement index from 0, field, value, rule).  A statement id
  already stored with other content is 409 (nothing written); with the same content
  it is accepted again and changes nothing.
* Accepted statements are committed (durable) before the answer; their effect on
  records (``engine.xapi.apply``) follows in the same request, under the service's
  write lock.  Should that step fail, the statements stay ``new`` and the next
  request (or ``learnmap xapi apply``) applies them.
"""

from __future__ import annotations

import base64
import json
import logging
import uuid
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from api.keys import Principal
from api.service import Service
from engine.xapi import lrs
from engine.xapi.accept import VERSION, Rejected, now, prepare, save, utc
from engine.xapi.apply import apply
from engine.xapi.model import Agent

log = logging.getLogger(__name__)
_ERR = {
    "content": {"application/json": {"schema": {
        "type": "object", "required": ["error"],
        "properties": {"error": {"type": "string"}, "problems": {"type": "array", "items": {
            "type": "object", "properties": {
                "statement": {"type": "integer"}, "field": {"type": "string"},
                "value": {"type": "string"}, "rule": {"type": "string"}}}}},
    }}},
}  # fmt: skip
#: every answer of the statement resource besides success (xAPI 1.0.3 status codes)
ANSWERS: dict[int | str, dict] = {
    400: {**_ERR, "description": "bad statements (every problem listed) or a missing/bad "
          "X-Experience-API-Version header; nothing stored"},
    401: {**_ERR, "description": "no key, or a wrong or revoked key"},
    403: {**_ERR, "description": "a key whose role is neither platform nor admin"},
    404: {**_ERR, "description": "no such statement (GET by id)"},
    409: {**_ERR, "description": "an id already stored with other content; nothing stored"},
    413: {**_ERR, "description": "more statements than MAX_BATCH, or a body over the size limit"},
    422: {"description": "a query parameter of the wrong type"},
    503: {**_ERR, "description": "the service is starting"},
}  # fmt: skip
_STATEMENT = {"type": "object", "required": ["actor", "verb", "object"]}
_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "description": "one xAPI statement, or an array of them",
    "oneOf": [_STATEMENT, {"type": "array", "minItems": 1, "items": _STATEMENT}]}}}}}  # fmt: skip
router = APIRouter(prefix="/xAPI", tags=["xapi"], responses=ANSWERS)
MAX_BATCH = 1000
MAX_LIMIT = 500
_ROLES = ("platform", "admin")


XapiError = Rejected


def error_response(exc: Rejected) -> JSONResponse:
    body: dict[str, Any] = {"error": exc.message}
    if exc.problems:
        body["problems"] = exc.problems
    headers = {"X-Experience-API-Version": VERSION}
    if exc.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="learnmap xAPI"'
    return JSONResponse(body, status_code=exc.status, headers=headers)


def _key_from(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth[:6].lower() == "basic ":
        try:
            user_pass = base64.b64decode(auth[6:].strip(), validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return None
        user, _, password = user_pass.partition(":")
        return password or user
    return request.headers.get("x-api-key")


async def xapi_caller(
    request: Request,
    version: Annotated[str | None, Header(alias="X-Experience-API-Version")] = None,
) -> Principal:
    """The caller of an xAPI request (``platform`` or ``admin``), version checked."""
    service: Service = request.app.state.service
    p = service.verifier.verify(_key_from(request))
    if p is None:
        raise XapiError(401, "missing or invalid key (HTTP Basic password, or X-API-Key)")
    if p.role not in _ROLES:
        raise XapiError(403, f"a {p.role} key may not use the xAPI statement resource")
    if version is None or not version.startswith("1.0"):
        raise XapiError(400, f"header X-Experience-API-Version must be 1.0.x, got {version!r}")
    return p


Caller = Annotated[Principal, Depends(xapi_caller)]


def _parse_body(raw: bytes) -> list[Any]:
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise XapiError(400, f"the body is not JSON: {exc}") from None
    items = body if isinstance(body, list) else [body]
    if not items:
        raise XapiError(400, "no statements in the body")
    if len(items) > MAX_BATCH:
        raise XapiError(413, f"at most {MAX_BATCH} statements per request, got {len(items)}")
    return items


def _authority(who: Principal, request: Request) -> dict:
    home = str(request.base_url).rstrip("/")
    return {"objectType": "Agent", "account": {"homePage": home, "name": who.key_id}}


def _store(service: Service, rows: list) -> None:
    """Commit the new statements (refusing conflicts), then apply them."""
    with service.write_lock:
        save(service.engine, rows)
        try:
            done = apply(service.store, service.xapi_hours, service.settings.xapi_tz, ("new",))
        except Exception:  # the statements are stored; the next apply retries them
            log.exception("xAPI: applying statements failed; they stay 'new'")
            return
        if done.participations or done.assessments or done.deleted:
            service.wrote()


@router.post(
    "/statements",
    summary="store statements (one or an array); answers their ids",
    openapi_extra=_BODY,
    responses={200: {"content": {"application/json": {"schema": {
        "type": "array", "items": {"type": "string"}}}}, "description": "the ids, in order"}},
)  # fmt: skip
async def post_statements(request: Request, p: Caller) -> JSONResponse:
    items = _parse_body(await request.body())
    rows = prepare(items, _authority(p, request))
    await run_in_threadpool(_store, request.app.state.service, rows)
    return JSONResponse(
        [r.statement_id for r in rows], headers={"X-Experience-API-Version": VERSION}
    )


@router.put(
    "/statements",
    status_code=204,
    summary="store one statement under statementId",
    openapi_extra=_BODY,
)
async def put_statement(
    request: Request, p: Caller, statementId: Annotated[str, Query()]
) -> Response:
    items = _parse_body(await request.body())
    if len(items) != 1 or not isinstance(items[0], dict):
        raise XapiError(400, "PUT takes exactly one statement")
    try:
        sid = str(uuid.UUID(statementId))
    except ValueError:
        raise XapiError(400, f"statementId must be a UUID, got {statementId!r}") from None
    if items[0].get("id") not in (None, sid, statementId):
        raise XapiError(400, "the statement's id differs from statementId")
    items[0] = {**items[0], "id": sid}
    rows = prepare(items, _authority(p, request))
    await run_in_threadpool(_store, request.app.state.service, rows)
    return Response(status_code=204, headers={"X-Experience-API-Version": VERSION})


@router.get(
    "/statements",
    summary="one statement, or a page of statements with a more link",
    responses={200: {"content": {"application/json": {"schema": {"type": "object"}}},
                     "description": "a statement, or {statements, more}"}},
)  # fmt: skip
async def get_statements(
    request: Request,
    p: Caller,
    statementId: str | None = None,
    voidedStatementId: str | None = None,
    agent: str | None = None,
    verb: str | None = None,
    activity: str | None = None,
    registration: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: Annotated[int, Query(ge=0)] = 0,
    ascending: bool = False,
    cursor: Annotated[int | None, Query(ge=0, description="continues a page (from `more`)")] = None,
) -> JSONResponse:
    service: Service = request.app.state.service
    headers = {"X-Experience-API-Version": VERSION, "X-Experience-API-Consistent-Through": now()}
    lrs.ensure(service.engine)
    if statementId is not None or voidedStatementId is not None:
        others = [agent, verb, activity, registration, since, until, cursor]
        if (statementId and voidedStatementId) or any(x is not None for x in others):
            raise XapiError(400, "statementId/voidedStatementId cannot be combined with filters")
        sid = statementId or voidedStatementId
        raw = await run_in_threadpool(lrs.one, service.engine, sid, voidedStatementId is not None)
        if raw is None:
            raise XapiError(404, f"no statement {sid!r}")
        return JSONResponse(json.loads(raw), headers=headers)
    ifi = None
    if agent is not None:
        try:
            ifi = Agent.model_validate(json.loads(agent)).ifi_key()
        except ValueError as exc:
            raise XapiError(400, f"agent must be a JSON Agent object: {exc}") from None
    n = MAX_LIMIT if limit == 0 else min(limit, MAX_LIMIT)
    page = await run_in_threadpool(
        lambda: lrs.query(
            service.engine,
            agent=ifi,
            verb=verb,
            activity=activity,
            registration=registration,
            since=None if since is None else utc(since, "since"),
            until=None if until is None else utc(until, "until"),
            after_seq=cursor,
            limit=n,
            ascending=ascending,
        )
    )
    more = ""
    if len(page) == n:
        params = {
            k: v
            for k, v in dict(
                agent=agent, verb=verb, activity=activity, registration=registration,
                since=since, until=until, limit=limit or None,
                ascending="true" if ascending else None,
            ).items()
            if v is not None
        }  # fmt: skip
        params["cursor"] = page[-1][0]
        more = "/xAPI/statements?" + urlencode(params)
    body = {"statements": [json.loads(raw) for _, raw in page], "more": more}
    return JSONResponse(body, headers=headers)
