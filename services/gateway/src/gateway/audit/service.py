"""The administrative audit log: every change an administrator makes is written here, in the
same transaction as the change when the gateway owns it (staff, grants, groups), right after
case-service answered when case-service owns it (organizations, case types).

Administrators read the entries of the organizations they administer; superusers read all.
"""

import base64
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from arende_contracts.access import Actor
from gateway.errors import AppError
from gateway.models import AdminAuditEntry

ADMIN_REQUIRED = "Administratörsbehörighet krävs"
INVALID_CURSOR = "Ogiltig cursor. Börja om från första sidan."
# Never written to the log, whatever an action's payload holds.
SECRET_FIELDS = frozenset({"password", "password_hash"})


class AuditEntry(BaseModel):
    id: int
    occurred_at: datetime
    actor: str
    action: str
    target: str
    organization: str | None
    details: dict[str, Any]


class AuditPage(BaseModel):
    items: list[AuditEntry]
    next_cursor: str | None


def _clean(details: dict[str, Any]) -> dict[str, Any]:
    return {
        k: ("***" if k in SECRET_FIELDS else v)
        for k, v in details.items()
        if not (k in SECRET_FIELDS and v is None)
    }


def record(
    session: AsyncSession,
    actor: Actor,
    action: str,
    target: str,
    organization: str | None,
    details: dict[str, Any] | None = None,
) -> None:
    """Add one entry to the session's transaction (`action` e.g. `case_type.update`)."""
    session.add(
        AdminAuditEntry(
            actor=actor.username,
            action=action,
            target=target,
            organization=organization,
            details=_clean(details or {}),
        )
    )


def _administered(actor: Actor) -> set[str]:
    return {g.organization for g in actor.grants if g.role == "admin"}


def _cursor(entry_id: int) -> str:
    return base64.urlsafe_b64encode(str(entry_id).encode()).decode().rstrip("=")


def _after(cursor: str) -> int:
    try:
        value = int(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
    except (ValueError, UnicodeDecodeError) as exc:
        raise AppError(422, INVALID_CURSOR) from exc
    if not 0 < value < 2**63:
        raise AppError(422, INVALID_CURSOR)
    return value


async def entries(
    session: AsyncSession,
    actor: Actor,
    *,
    organization: str | None = None,
    target: str | None = None,
    limit: int = 100,
    cursor: str | None = None,
) -> AuditPage:
    """Newest first, in the actor's administrative scope; 403 for anyone who administers
    nothing. An administrator also sees the entries about their own account."""
    if not actor.superuser and not _administered(actor):
        raise AppError(403, ADMIN_REQUIRED)
    query = select(AdminAuditEntry).order_by(AdminAuditEntry.id.desc()).limit(limit + 1)
    if not actor.superuser:
        query = query.where(
            or_(
                AdminAuditEntry.organization.in_(_administered(actor)),
                AdminAuditEntry.actor == actor.username,
            )
        )
    if organization:
        query = query.where(AdminAuditEntry.organization == organization)
    if target:
        query = query.where(AdminAuditEntry.target == target)
    if cursor:
        query = query.where(AdminAuditEntry.id < _after(cursor))
    rows = list((await session.execute(query)).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    return AuditPage(
        items=[
            AuditEntry(
                id=r.id,
                occurred_at=r.occurred_at,
                actor=r.actor,
                action=r.action,
                target=r.target,
                organization=r.organization,
                details=r.details,
            )
            for r in rows
        ],
        next_cursor=_cursor(rows[-1].id) if more and rows else None,
    )
