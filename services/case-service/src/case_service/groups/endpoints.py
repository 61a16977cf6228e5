"""Internal API of handler groups: what a group still has open (asked before removing it)."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from case_service.access import ActorDep
from case_service.deps import SessionDep
from case_service.groups import service

router = APIRouter(prefix="/internal/groups", tags=["groups"])

Code = Annotated[str, Path(min_length=1, max_length=200)]


@router.get("/{code}/open-work")
async def open_work(
    code: Code,
    session: SessionDep,
    actor: ActorDep,
    organization: Annotated[str, Query(min_length=1, max_length=200)],
) -> dict[str, Any]:
    """Open cases assigned to the group and open tasks for it, in the organization."""
    return await service.open_work(session, actor, organization, code)
