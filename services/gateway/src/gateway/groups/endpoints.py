"""`/api/v1/admin/groups`: handler groups (F-AD-3) for superusers and local administrators.

A case assigned to a group (`POST /api/v1/cases/{id}/assign` with `group`) is in every
member's Mina ärenden until one of them takes it.
"""

from typing import Annotated

from fastapi import APIRouter, Path, Response

from arende_contracts.administration import Code
from gateway.auth.deps import CurrentCaseworker
from gateway.deps import CaseServiceDep, SessionDep
from gateway.groups import service
from gateway.groups.schemas import GroupIn, GroupOut, GroupPatch

router = APIRouter(prefix="/api/v1/admin/groups", tags=["administration"])
case_router = APIRouter(prefix="/api/v1/cases", tags=["case actions"])

CaseId = Annotated[int, Path(ge=1, le=2**63 - 1)]


@router.get("", response_model=list[GroupOut])
async def list_groups(caseworker: CurrentCaseworker, session: SessionDep) -> list[GroupOut]:
    """Groups of the organizations the caller administers (all for a superuser)."""
    return await service.list_groups(session, caseworker.actor)


@router.post("", status_code=201, response_model=GroupOut)
async def create_group(
    body: GroupIn,
    caseworker: CurrentCaseworker,
    session: SessionDep,
    case_service: CaseServiceDep,
) -> GroupOut:
    """Create a group in an organization the caller administers; members must be active
    receivers, handlers or administrators there. 409 if the code exists."""
    return await service.create_group(session, case_service, caseworker.actor, body)


@router.get("/{code}", response_model=GroupOut)
async def get_group(code: Code, caseworker: CurrentCaseworker, session: SessionDep) -> GroupOut:
    return await service.get_group(session, caseworker.actor, code)


@router.patch("/{code}", response_model=GroupOut)
async def update_group(
    code: Code, body: GroupPatch, caseworker: CurrentCaseworker, session: SessionDep
) -> GroupOut:
    """Rename the group and/or replace its members (in effect at once)."""
    return await service.update_group(session, caseworker.actor, code, body)


@router.delete("/{code}", status_code=204)
async def delete_group(
    code: Code, caseworker: CurrentCaseworker, session: SessionDep, case_service: CaseServiceDep
) -> Response:
    """Remove the group; 409 while it has open cases or open tasks (their counts in the
    message). Its closed and archived cases keep the group's code."""
    await service.delete_group(session, case_service, caseworker.actor, code)
    return Response(status_code=204)


@case_router.get("/{case_id}/groups")
async def groups_for_case(
    case_id: CaseId,
    caseworker: CurrentCaseworker,
    case_service: CaseServiceDep,
    session: SessionDep,
) -> list[dict[str, str]]:
    """The handler groups the case may be assigned to (`assign` with `group`): those of its
    organization. 404 when the caller cannot see the case."""
    scope = await case_service.case_scope(caseworker.actor, case_id)
    return await service.assignable_groups(session, scope["organization"])
