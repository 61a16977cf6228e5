"""Per-object permission scope from the actor the gateway passes on every internal call."""

from typing import Annotated, Any

from fastapi import Depends, Header, HTTPException
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from arende_contracts.access import Actor
from case_service.models import SWEDISH


async def actor_from_header(x_actor: Annotated[str, Header()]) -> Actor:
    """The caller as the gateway authenticated them (`async`: FastAPI would run a plain
    function in a worker thread, a hop that costs more than the parsing)."""
    try:
        return Actor.model_validate_json(x_actor)
    except ValidationError as exc:
        raise HTTPException(status_code=400, detail="invalid x-actor header") from exc


ActorDep = Annotated[Actor, Depends(actor_from_header)]


# The case types an actor may see, with their organizations, by name: one statement whatever the
# grants (they are its parameters), so that the list reads it without building and keying a new
# statement for every request. A grant without case types covers its whole organization.
VISIBLE_CASE_TYPES = text(
    f"""
    SELECT t.id, t.code, t.name, o.code AS organization, o.name AS organization_name
    FROM case_types t JOIN organizations o ON o.id = t.organization_id
    WHERE CAST(:superuser AS boolean)
       OR o.code = ANY(CAST(:organizations AS text[]))
       OR (o.code, t.code) IN (SELECT * FROM unnest(CAST(:limited_organizations AS text[]),
                                                    CAST(:limited_case_types AS text[])))
    ORDER BY t.name COLLATE "{SWEDISH}", t.id
    """
)


def _scope_parameters(actor: Actor) -> dict[str, Any]:
    limited = [
        (grant.organization, code)
        for grant in actor.grants
        if grant.case_types is not None
        for code in grant.case_types
    ]
    return {
        "superuser": actor.superuser,
        "organizations": [g.organization for g in actor.grants if g.case_types is None],
        "limited_organizations": [organization for organization, _ in limited],
        "limited_case_types": [code for _, code in limited],
    }


async def visible_case_types(session: AsyncSession, actor: Actor) -> list[dict[str, Any]]:
    """The case types the actor may see (id, code, name, organization, organization_name), by
    name."""
    if not actor.superuser and not actor.grants:
        return []
    rows = await session.execute(VISIBLE_CASE_TYPES, _scope_parameters(actor))
    return [dict(row._mapping) for row in rows]


async def visible_case_type_ids(session: AsyncSession, actor: Actor) -> list[int] | None:
    """Case types the actor may see; None means all (a superuser)."""
    if actor.superuser:
        return None
    return [case_type["id"] for case_type in await visible_case_types(session, actor)]
