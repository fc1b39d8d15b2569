"""``POST /v1/records/{table}``: events as a JSON list, validated like file ingest,
written all or nothing, idempotent by record id.  Audited (accepted and rejected)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Body
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from api import audit
from api.deps import ServiceDep, WriterDep, forbid
from api.keys import Principal
from api.schemas import RecordProblem, RecordsResult
from api.service import Service
from engine.errors import StoreError, ValidationError
from engine.records import ingest_records
from engine.schema import TABLES
from engine.xapi.apply import after_ingest

router = APIRouter(prefix="/v1/records", tags=["records"])
Table = Literal["participations", "assessments", "outcomes", "accounts", "activities"]
MAX_RECORDS = 50_000


def _outside_org(service: Service, p: Principal, table: str, records: list[dict]) -> bool:
    """Does an org manager's batch touch anyone outside their organization — a person
    of another organization or unknown, or a stored event of such a person?"""
    people = {str(r.get("staff_id", "")) for r in records}
    if any(service.org_of(s) != p.org_id for s in people):
        return True
    key = TABLES[table].key[0]
    ids = [str(r[key]) for r in records if r.get(key) is not None]
    stored = service.store.lookup(table, [key, "staff_id"], key, ids)
    return any(service.org_of(str(s)) != p.org_id for s in stored["staff_id"])


def _audit(service: Service, p: Principal, table: str, rows: int, outcome: str) -> None:
    """A write is audited before it is answered; a store that refuses the audit row
    (read-only) makes the answer a 503, never a 500."""
    event = audit.Event(p, f"write records/{table}", None, None, rows, outcome)
    try:
        audit.record_now(service.engine, event)
    except sa.exc.SQLAlchemyError as exc:
        raise StoreError(f"the audit trail cannot be written ({exc.orig}); {outcome}") from exc


def _write(service: Service, p: Principal, table: str, records: list[dict]) -> JSONResponse:
    with service.write_lock:  # one writer at a time (the store's plan cache is per process)
        try:
            count = ingest_records(
                service.store,
                table,
                records,
                source=table,
                lock_timeout=service.settings.write_lock_seconds,
            )
        except ValidationError as exc:
            problems = [
                RecordProblem(item=pr.row or None, column=pr.column, value=pr.value, rule=pr.rule)
                for pr in exc.problems
            ]
            bad = len({pr.row for pr in exc.problems if pr.row})
            _audit(service, p, table, 0, f"rejected: {len(problems)} problems")
            body = RecordsResult(
                table=table,
                received=len(records),
                inserted=0,
                updated=0,
                unchanged=0,
                rejected=bad or len(records),
                problems=problems,
            )
            return JSONResponse(body.model_dump(), status_code=422)
        if count.new or count.updated:
            after_ingest(service.store, [table], service.xapi_hours, service.settings.xapi_tz)
            service.wrote()
    _audit(
        service, p, table, count.new + count.updated,
        f"ok: {count.new} inserted, {count.updated} updated, {count.unchanged} unchanged",
    )  # fmt: skip
    body = RecordsResult(
        table=table,
        received=len(records),
        inserted=count.new,
        updated=count.updated,
        unchanged=count.unchanged,
        rejected=0,
        problems=[],
    )
    return JSONResponse(body.model_dump(), status_code=200)


@router.post(
    "/{table}",
    response_model=RecordsResult,
    responses={
        422: {
            "description": "rejected, nothing written: the records' problems (RecordsResult), "
            "or a request that is not a list of 1 to 50,000 objects (HTTPValidationError)",
            "content": {
                "application/json": {
                    "schema": {
                        "anyOf": [
                            {"$ref": "#/components/schemas/RecordsResult"},
                            {"$ref": "#/components/schemas/HTTPValidationError"},
                        ]
                    }
                }
            },
        },
        503: {"description": "the store is busy (another writer) or cannot be written"},
        403: {"description": "outside the key's scope"},
    },
)
async def post_records(
    table: Table,
    service: ServiceDep,
    p: WriterDep,
    records: Annotated[
        list[dict[str, Any]],
        Body(min_length=1, max_length=MAX_RECORDS, description="records as JSON objects"),
    ],
) -> JSONResponse:
    """Validate the records by the rules of file ingest (types, enumerations, bounds,
    unique ids, references to staff / modules / sessions, dates within employment and
    session, an event never moving to another person or module) and write them in one
    transaction — or nothing.  Re-sending the same records changes nothing.  A problem's
    ``item`` is the record's position in the list (1 = first)."""
    if table in ("accounts", "activities") and p.role != "admin":
        raise forbid()  # the platform maps are the administrator's
    if p.role == "org_manager":
        outside = await run_in_threadpool(_outside_org, service, p, table, records)
        if outside:
            raise forbid()
    return await run_in_threadpool(_write, service, p, table, records)
