"""All SQL of the access log: append an entry, page through entries in an actor's scope."""

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, false, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from arende_contracts.access import Actor
from case_service.models import AccessLogEntry, Case, CaseType, Organization


async def record(
    session: AsyncSession, actor: Actor, case_id: int, action: str, detail: str = ""
) -> None:
    """Append one entry in the caller's transaction. `detail` must hold no personnummer."""
    await session.execute(
        insert(AccessLogEntry).values(
            actor=actor.username, case_id=case_id, action=action, detail=detail
        )
    )


def administered_scope(actor: Actor) -> ColumnElement[bool] | None:
    """Cases of the organizations (and case types) the actor administers; None: all of them."""
    if actor.superuser:
        return None
    conditions: list[ColumnElement[bool]] = []
    for grant in actor.grants:
        if grant.role != "admin":
            continue
        condition = Organization.code == grant.organization
        if grant.case_types is not None:
            condition = and_(condition, CaseType.code.in_(grant.case_types))
        conditions.append(condition)
    return or_(false(), *conditions)


async def entries(
    session: AsyncSession,
    actor: Actor,
    *,
    case_id: int | None,
    username: str | None,
    since: datetime | None,
    until: datetime | None,
    before_id: int | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Newest first; `before_id` continues after the last entry of the previous page."""
    a = AccessLogEntry
    query = select(a.id, a.at, a.actor, a.case_id, a.action, a.detail)
    scope = administered_scope(actor)
    if scope is not None:
        query = (
            query.join(Case, Case.id == a.case_id)
            .join(CaseType, CaseType.id == Case.case_type_id)
            .join(Organization, Organization.id == CaseType.organization_id)
            .where(scope)
        )
    if case_id is not None:
        query = query.where(a.case_id == case_id)
    if username:
        query = query.where(a.actor == username)
    if since is not None:
        query = query.where(a.at >= since)
    if until is not None:
        query = query.where(a.at < until)
    if before_id is not None:
        query = query.where(a.id < before_id)
    rows = await session.execute(query.order_by(a.id.desc()).limit(limit))
    return [dict(r._mapping) for r in rows]
