"""`GET /api/v1/admin/audit-log`: administrative changes, newest first (who, when, what)."""

from typing import Annotated

from fastapi import APIRouter, Query

from arende_contracts.administration import Code
from gateway.audit.service import AuditPage, entries
from gateway.auth.deps import CurrentCaseworker
from gateway.deps import SessionDep

router = APIRouter(prefix="/api/v1/admin/audit-log", tags=["administration"])


@router.get("", response_model=AuditPage)
async def audit_log(
    caseworker: CurrentCaseworker,
    session: SessionDep,
    organization: Annotated[Code | None, Query()] = None,
    target: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=40)] = None,
) -> AuditPage:
    """For superusers and local administrators (their organizations' entries). Filters:
    `organization`, `target` (a code or username). Pass `next_cursor` back as `cursor`."""
    return await entries(
        session,
        caseworker.actor,
        organization=organization,
        target=target,
        limit=limit,
        cursor=cursor,
    )
