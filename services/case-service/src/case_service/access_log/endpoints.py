"""`GET /internal/access-log`: who read or changed which case (F-CV-8), for administrators."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from case_service.access import ActorDep
from case_service.access_log.repository import entries
from case_service.deps import SessionDep
from case_service.errors import CaseError

router = APIRouter(prefix="/internal/access-log", tags=["access log"])


def _cursor(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    if not value.isdigit() or len(value) > 19:
        raise CaseError(422, "invalid_cursor", "invalid cursor")
    return int(value)


@router.get("")
async def list_access_log(
    session: SessionDep,
    actor: ActorDep,
    case_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    username: Annotated[str | None, Query(alias="actor", max_length=200)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=20)] = None,
) -> dict[str, Any]:
    """Entries newest first, for superusers and the administrators of the cases' organizations."""
    if not actor.superuser and not any(g.role == "admin" for g in actor.grants):
        raise CaseError(403, "admin_required", "administrator rights required")
    for stamp in (since, until):
        if stamp is not None and stamp.tzinfo is None:
            raise CaseError(422, "naive_time", "since and until need a time zone")
    items = await entries(
        session,
        actor,
        case_id=case_id,
        username=username,
        since=since,
        until=until,
        before_id=_cursor(cursor),
        limit=limit + 1,
    )
    page = items[:limit]
    return {
        "items": page,
        "limit": limit,
        "next_cursor": str(page[-1]["id"]) if len(items) > limit else None,
    }
