"""Per-object permission scope from the actor the gateway passes on every internal call."""

from typing import Annotated

from fastapi import Depends, Header, HTTPException
from pydantic import ValidationError
from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from arende_contracts.access import Actor
from case_service.models import CaseType, Organization


async def actor_from_header(x_actor: Annotated[str, Header()]) -> Actor:
    """The caller as the gateway authenticated them (`async`: FastAPI would run a plain
    function in a worker thread, a hop that costs more than the parsing)."""
    try:
        return Actor.model_validate_json(x_actor)
    except ValidationError as exc:
        raise HTTPException(status_code=400, detail="invalid x-actor header") from exc


ActorDep = Annotated[Actor, Depends(actor_from_header)]


async def visible_case_type_ids(session: AsyncSession, actor: Actor) -> list[int] | None:
    """Case types the actor may see; None means all (a superuser)."""
    if actor.superuser:
        return None
    conditions: list[ColumnElement[bool]] = []
    for grant in actor.grants:
        cond = Organization.code == grant.organization
        if grant.case_types is not None:
            cond = cond & CaseType.code.in_(grant.case_types)
        conditions.append(cond)
    if not conditions:
        return []
    rows = await session.execute(
        select(CaseType.id)
        .join(Organization, Organization.id == CaseType.organization_id)
        .where(or_(false(), *conditions) if conditions else true())
    )
    return list(rows.scalars())
