"""Organizations and case types as the gateway administers them: case-service owns and stores
them; here the caller's rights are checked first (in Swedish, with 404 for what the caller
cannot see at all) and every change is written to the admin audit log: before case-service is
asked, so no change it stores goes unaudited (`audit.service.record_stored_elsewhere`).

A superuser may do everything; a local administrator (`admin` grant) changes their own
organizations and their case types; nobody else changes anything (403).
"""

from collections.abc import Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.exceptions import HTTPException

from arende_contracts.access import Actor
from arende_contracts.administration import (
    CaseTypeIn,
    CaseTypeSettings,
    OrganizationIn,
    OrganizationPatch,
)
from gateway.audit.service import record_stored_elsewhere
from gateway.case_client import CaseServiceClient
from gateway.errors import AppError
from gateway.users.service import ADMIN_REQUIRED, may_administer

ORGANIZATION_NOT_FOUND = "Förvaltningen finns inte"
ORGANIZATION_EXISTS = "Förvaltningen {code} finns redan"
CASE_TYPE_NOT_FOUND = "Ärendetypen finns inte"
CASE_TYPE_EXISTS = "Ärendetypen {code} finns redan"
UNKNOWN_ORGANIZATION = "Okänd förvaltning: {organization}"


async def list_organizations(case_service: CaseServiceClient, actor: Actor) -> list[dict[str, Any]]:
    """Organizations the caller has a grant in (all for a superuser)."""
    return await case_service.call("GET", "/internal/organizations", actor)  # type: ignore[no-any-return]


async def list_case_types(case_service: CaseServiceClient, actor: Actor) -> list[dict[str, Any]]:
    """Case types the caller may see."""
    return await case_service.call("GET", "/internal/case-types", actor)  # type: ignore[no-any-return]


async def administered_organizations(
    case_service: CaseServiceClient, actor: Actor
) -> list[dict[str, Any]]:
    """The organizations the caller may change (and create case types and staff in)."""
    return [
        o
        for o in await list_organizations(case_service, actor)
        if may_administer(actor, {o["code"]})
    ]


async def find_organization(
    case_service: CaseServiceClient, actor: Actor, code: str
) -> dict[str, Any]:
    """An organization the caller sees; 404 otherwise."""
    for org in await list_organizations(case_service, actor):
        if org["code"] == code:
            return org
    raise AppError(404, ORGANIZATION_NOT_FOUND)


async def find_case_type(
    case_service: CaseServiceClient, actor: Actor, code: str
) -> dict[str, Any]:
    """A case type the caller sees; 404 otherwise."""
    for case_type in await list_case_types(case_service, actor):
        if case_type["code"] == code:
            return case_type
    raise AppError(404, CASE_TYPE_NOT_FOUND)


def _conflict(exc: HTTPException, message: str, code: str) -> HTTPException:
    if exc.status_code == 409:
        return AppError(409, message, code=code)
    return exc


async def create_organization(
    sessions: async_sessionmaker[AsyncSession],
    case_service: CaseServiceClient,
    actor: Actor,
    body: OrganizationIn,
) -> dict[str, Any]:
    """A new förvaltning (superusers only)."""
    if not actor.superuser:
        raise AppError(403, ADMIN_REQUIRED)
    try:
        org = await record_stored_elsewhere(
            sessions,
            actor,
            "organization.create",
            body.code,
            body.code,
            {"name": body.name},
            lambda: case_service.call(
                "POST", "/internal/organizations", actor, json_body=body.model_dump()
            ),
            lambda org: {"name": org["name"]},
        )
    except HTTPException as exc:
        raise _conflict(exc, ORGANIZATION_EXISTS, body.code) from exc
    return org  # type: ignore[no-any-return]


async def update_organization(
    sessions: async_sessionmaker[AsyncSession],
    case_service: CaseServiceClient,
    actor: Actor,
    code: str,
    body: OrganizationPatch,
) -> dict[str, Any]:
    """Rename a förvaltning (a superuser or its administrator)."""
    before = await find_organization(case_service, actor, code)
    if not may_administer(actor, {code}):
        raise AppError(403, ADMIN_REQUIRED)
    org = await record_stored_elsewhere(
        sessions,
        actor,
        "organization.update",
        code,
        code,
        {"name": [before["name"], body.name]},
        lambda: case_service.call(
            "PATCH", f"/internal/organizations/{code}", actor, json_body=body.model_dump()
        ),
        lambda org: _changed(before, org, ["name"]),
    )
    return org  # type: ignore[no-any-return]


def _changed(
    before: dict[str, Any], after: dict[str, Any], fields: Iterable[str]
) -> dict[str, Any]:
    """`{field: [before, after]}` of the fields whose stored value changed."""
    return {f: [before.get(f), after.get(f)] for f in fields if before.get(f) != after.get(f)}


async def create_case_type(
    sessions: async_sessionmaker[AsyncSession],
    case_service: CaseServiceClient,
    actor: Actor,
    body: CaseTypeIn,
) -> dict[str, Any]:
    """A new ärendetyp in an organization the caller administers."""
    if not may_administer(actor, {body.organization}):
        raise AppError(403, ADMIN_REQUIRED)
    asked = body.model_dump(mode="json", exclude_none=True, exclude={"code", "organization"})
    try:
        case_type = await record_stored_elsewhere(
            sessions,
            actor,
            "case_type.create",
            body.code,
            body.organization,
            asked,
            lambda: case_service.call(
                "POST",
                "/internal/case-types",
                actor,
                json_body=body.model_dump(exclude_none=True),
            ),
            lambda stored: {
                k: v for k, v in stored.items() if k not in ("id", "code", "organization")
            },
        )
    except HTTPException as exc:
        if exc.status_code == 422:
            raise AppError(422, UNKNOWN_ORGANIZATION, organization=body.organization) from exc
        raise _conflict(exc, CASE_TYPE_EXISTS, body.code) from exc
    return case_type  # type: ignore[no-any-return]


async def update_case_type(
    sessions: async_sessionmaker[AsyncSession],
    case_service: CaseServiceClient,
    actor: Actor,
    code: str,
    body: CaseTypeSettings,
) -> dict[str, Any]:
    """Change settings of a case type (only the fields sent); in effect for the next
    submission, notification and retention run at once."""
    before = await find_case_type(case_service, actor, code)
    if not may_administer(actor, {before["organization"]}):
        raise AppError(403, ADMIN_REQUIRED)
    changes = body.model_dump(mode="json", exclude_unset=True)
    after = await record_stored_elsewhere(
        sessions,
        actor,
        "case_type.update",
        code,
        before["organization"],
        {f: [before.get(f), v] for f, v in changes.items()},
        lambda: case_service.call(
            "PATCH", f"/internal/case-types/{code}", actor, json_body=changes
        ),
        lambda after: _changed(before, after, changes),
    )
    return after  # type: ignore[no-any-return]
