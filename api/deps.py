"""Typed dependencies: the service, the caller, and the scope checks.

Scope is checked *before* anything is looked up for the caller, and a request outside
the caller's scope gets the same 403 whether or not the record exists.  Roles:

- ``admin``: everything;
- ``org_manager``: learners and data of their own organization, records about its
  staff (an unknown person is outside the scope, as is another organization's);
- ``staff``: their own recommendations, profile and learning map;
- ``researcher``: reports, organization risk and staff lists with pseudonymous
  staff ids (``p_…``) and no names; no per-person endpoints.

The scope rules are plain functions (``may_see_person``, ``may_see_org``, ``ROLES_OF``)
so other front doors (the console) apply the same ones; the typed dependencies
(``AdminDep``, ``WriterDep``, ``ReaderOfOrgsDep``, ``ReportsDep``) check the role
before the route runs.  Refusals (401/403) are audited by ``api.errors``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request
from fastapi.security import APIKeyHeader

from api.keys import Principal
from api.schemas import FIRST_DATE, LAST_DATE, ServingDate
from api.service import Service

FORBIDDEN = "this API key may not access this resource"
api_key_header = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    description="an API key from `learnmap keys create --role ...`",
)


async def get_service(request: Request) -> Service:
    return request.app.state.service


ServiceDep = Annotated[Service, Depends(get_service)]


async def get_principal(
    request: Request, key: Annotated[str | None, Depends(api_key_header)]
) -> Principal:
    service = request.app.state.service
    service.require_open()  # 503 + Retry-After while the store is being opened
    p = service.verifier.verify(key)
    if p is None:
        raise HTTPException(
            401,
            "missing or invalid API key (header X-API-Key)",
            headers={"WWW-Authenticate": "ApiKey"},
        )
    request.state.principal = p
    return p


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def forbid() -> HTTPException:
    return HTTPException(403, FORBIDDEN)


def require(p: Principal, *roles: str) -> None:
    if p.role not in roles:
        raise forbid()


def may_see_person(service: Service, p: Principal, staff_id: str) -> bool:
    """May ``p`` see this person's own data (profile, map, recommendations)?"""
    if p.role == "admin":
        return True
    if p.role == "staff":
        return p.staff_id == staff_id
    if p.role == "org_manager":
        return p.org_id is not None and service.org_of(staff_id) == p.org_id
    return False


def may_see_org(p: Principal, org_id: str) -> bool:
    """May ``p`` see this organization's risk and staff list?"""
    if p.role in ("admin", "researcher"):
        return True
    return p.role == "org_manager" and p.org_id == org_id


def check_person(service: Service, p: Principal, staff_id: str) -> None:
    """403 unless ``p`` may see this person.  (404 for a missing person is raised
    later, and only to callers whose scope would include them: admins.)"""
    if not may_see_person(service, p, staff_id):
        raise forbid()


def check_org(p: Principal, org_id: str) -> None:
    if not may_see_org(p, org_id):
        raise forbid()


def _role(*roles: str):  # noqa: ANN202
    async def dep(p: PrincipalDep) -> Principal:
        require(p, *roles)
        return p

    return Depends(dep)


#: the roles each typed dependency admits
ROLES_OF = {
    "admin": ("admin",),
    "writer": ("admin", "org_manager"),
    "orgs": ("admin", "org_manager", "researcher"),
    "reports": ("admin", "researcher"),
}
AdminDep = Annotated[Principal, _role(*ROLES_OF["admin"])]
WriterDep = Annotated[Principal, _role(*ROLES_OF["writer"])]
ReaderOfOrgsDep = Annotated[Principal, _role(*ROLES_OF["orgs"])]
ReportsDep = Annotated[Principal, _role(*ROLES_OF["reports"])]


# an optional ``as_of`` query parameter of the person and organization routes
AsOf = Annotated[
    ServingDate | None,
    Query(description=f"default: the serving date; YYYY-MM-DD, {FIRST_DATE} to {LAST_DATE}"),
]
