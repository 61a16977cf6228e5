"""The administrative audit log: every change an administrator makes is written here, in the
same transaction as the change when the gateway owns it (staff, grants, groups).

A change case-service stores (organizations, case types) cannot share a transaction with its
entry, so the entry is committed first, unconfirmed, and settled once case-service has
answered: confirmed with the values stored, or removed when case-service refused or nothing
changed. When no answer comes (timeout, case-service failing, the gateway stopping) it stays
unconfirmed: the change may have been made, and the log says so instead of missing it.

Administrators read the entries of the organizations they administer; superusers read all.
"""

import base64
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, Field
from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.exceptions import HTTPException

from arende_contracts.access import Actor
from arende_platform.db import transaction
from gateway.errors import AppError
from gateway.models import AdminAuditEntry

ADMIN_REQUIRED = "Administratörsbehörighet krävs"
INVALID_CURSOR = "Ogiltig cursor. Börja om från första sidan."
# Never written to the log, whatever an action's payload holds.
SECRET_FIELDS = frozenset({"password", "password_hash"})

T = TypeVar("T")


class AuditEntry(BaseModel):
    id: int
    occurred_at: datetime
    actor: str
    action: str
    target: str
    organization: str | None
    details: dict[str, Any]
    confirmed: bool = Field(
        description=(
            "False: case-service never confirmed this organization or case-type change (no "
            "answer in time, or a failure); it may or may not have been made, and `details` "
            "holds the values asked for"
        )
    )


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


async def record_stored_elsewhere(
    sessions: async_sessionmaker[AsyncSession],
    actor: Actor,
    action: str,
    target: str,
    organization: str | None,
    asked: dict[str, Any],
    change: Callable[[], Awaitable[T]],
    stored: Callable[[T], dict[str, Any]],
) -> T:
    """Run `change` (a call to case-service) with its entry committed before it, unconfirmed
    with the values `asked`; then confirm it with `stored(answer)`, the values case-service
    stored (nothing stored: the entry goes). A refusal (4xx) removes the entry; any other
    failure leaves it unconfirmed, since the change may have been stored."""
    async with transaction(sessions) as session:
        entry = AdminAuditEntry(
            actor=actor.username,
            action=action,
            target=target,
            organization=organization,
            details=_clean(asked),
            confirmed=False,
        )
        session.add(entry)
        await session.flush()
        entry_id = entry.id
    try:
        answer = await change()
    except HTTPException as exc:
        if 400 <= exc.status_code < 500:
            await _settle(sessions, entry_id, {})
        raise
    await _settle(sessions, entry_id, stored(answer))
    return answer


async def _settle(
    sessions: async_sessionmaker[AsyncSession], entry_id: int, details: dict[str, Any]
) -> None:
    """Confirm an unconfirmed entry with the values stored, or remove it without any."""
    unconfirmed = (AdminAuditEntry.id == entry_id, AdminAuditEntry.confirmed.is_(False))
    async with transaction(sessions) as session:
        if details:
            await session.execute(
                update(AdminAuditEntry)
                .where(*unconfirmed)
                .values(details=_clean(details), confirmed=True)
            )
        else:
            await session.execute(delete(AdminAuditEntry).where(*unconfirmed))


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
                confirmed=r.confirmed,
            )
            for r in rows
        ],
        next_cursor=_cursor(rows[-1].id) if more and rows else None,
    )
