"""Internal case API used by the gateway: read one case, scoped to the actor.

The list (`GET /internal/cases`) is in `case_service.cases.listing`.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Path

from case_service.access import ActorDep
from case_service.access_log import repository as access_log
from case_service.cases.detail import case_detail, load_case
from case_service.deps import SessionDep

router = APIRouter(prefix="/internal/cases", tags=["cases"])


@router.get("/{case_id}")
async def get_case(
    case_id: Annotated[int, Path(ge=1, le=2**63 - 1)], session: SessionDep, actor: ActorDep
) -> dict[str, Any]:
    """One case with its form, timeline and attachments; 404 outside the actor's scope.

    Every read is written to the access log (F-CV-8).
    """
    loaded = await load_case(session, actor, case_id)
    await access_log.record(session, actor, case_id, "read")
    return await case_detail(session, loaded, actor)
