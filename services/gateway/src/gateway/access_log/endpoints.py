"""`GET /api/v1/admin/access-log`: who read or changed which case, when (F-CV-8)."""

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query

from gateway.auth.deps import CurrentCaseworker
from gateway.deps import CaseServiceDep

router = APIRouter(prefix="/api/v1/admin/access-log", tags=["administration"])

TIMEZONE = ZoneInfo("Europe/Stockholm")


def _aware(value: datetime | None) -> str | None:
    """A time without zone is Swedish time; a date alone is its midnight."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=TIMEZONE)
    return value.isoformat()


@router.get("")
async def access_log(
    caseworker: CurrentCaseworker,
    case_service: CaseServiceDep,
    case_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=20)] = None,
) -> dict[str, Any]:
    """Reads, downloads and actions, newest first, for superusers and the local administrators
    of the cases' organizations. Filters: `case_id`, `actor` (username), `since`/`until`
    (ISO 8601; without a zone in Swedish time). Pass `next_cursor` back as `cursor`."""
    return await case_service.access_log(
        caseworker.actor,
        {
            "case_id": case_id,
            "actor": actor.strip().lower() if actor else None,
            "since": _aware(since),
            "until": _aware(until),
            "limit": limit,
            "cursor": cursor,
        },
    )
