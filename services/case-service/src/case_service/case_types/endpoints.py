"""Internal administration API for organizations and case types."""

from typing import Any

from fastapi import APIRouter, HTTPException
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from arende_contracts.access import Actor
from arende_contracts.administration import (
    NOTIFY_STATUSES,
    CaseTypeIn,
    CaseTypeSettings,
    OrganizationIn,
    OrganizationPatch,
)
from case_service.access import ActorDep
from case_service.deps import SessionDep
from case_service.models import CaseType, Organization

router = APIRouter(prefix="/internal", tags=["administration"])


def _require_admin(actor: Actor, organization: str | None) -> None:
    if actor.superuser:
        return
    if organization and any(
        g.role == "admin" and g.organization == organization for g in actor.grants
    ):
        return
    raise HTTPException(status_code=403, detail="administrator rights required")


def _statuses(statuses: list[str] | None) -> list[str] | None:
    """The notifying statuses in a fixed order, none chosen meaning every status (NULL)."""
    if not statuses:
        return None
    return [s for s in NOTIFY_STATUSES if s in statuses]


def organization_out(org: Organization) -> dict[str, Any]:
    return {"id": org.id, "code": org.code, "name": org.name}


def case_type_out(ct: CaseType, organization: str) -> dict[str, Any]:
    return {
        "id": ct.id,
        "code": ct.code,
        "name": ct.name,
        "organization": organization,
        "active": ct.active,
        "allow_anonymous": ct.allow_anonymous,
        "internal": ct.internal,
        "notify_email": ct.notify_email,
        "notify_sms": ct.notify_sms,
        "two_way": ct.two_way,
        "restricted": ct.restricted,
        "archive_days": ct.archive_days,
        "purge_days": ct.purge_days,
        "retention_decision": ct.retention_decision,
        "notify_statuses": ct.notify_statuses,
    }


@router.get("/organizations")
async def list_organizations(session: SessionDep, actor: ActorDep) -> list[dict[str, Any]]:
    orgs = (await session.execute(select(Organization).order_by(Organization.name))).scalars()
    visible = {g.organization for g in actor.grants}
    return [organization_out(o) for o in orgs if actor.superuser or o.code in visible]


@router.post("/organizations", status_code=201)
async def create_organization(
    body: OrganizationIn, session: SessionDep, actor: ActorDep
) -> dict[str, Any]:
    _require_admin(actor, None)
    org = Organization(code=body.code, name=body.name)
    session.add(org)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise HTTPException(status_code=409, detail=f"organization {body.code!r} exists") from exc
    return organization_out(org)


@router.patch("/organizations/{code}")
async def update_organization(
    code: str, body: OrganizationPatch, session: SessionDep, actor: ActorDep
) -> dict[str, Any]:
    _require_admin(actor, code)
    org = (
        await session.execute(select(Organization).where(Organization.code == code))
    ).scalar_one_or_none()
    if org is None:
        raise HTTPException(status_code=404, detail="organization not found")
    org.name = body.name
    return organization_out(org)


@router.get("/case-types")
async def list_case_types(session: SessionDep, actor: ActorDep) -> list[dict[str, Any]]:
    rows = (
        await session.execute(
            select(CaseType, Organization.code)
            .join(Organization, Organization.id == CaseType.organization_id)
            .order_by(CaseType.name)
        )
    ).all()
    result = []
    for ct, org in rows:
        if actor.superuser or any(
            g.organization == org and (g.case_types is None or ct.code in g.case_types)
            for g in actor.grants
        ):
            result.append(case_type_out(ct, org))
    return result


@router.post("/case-types", status_code=201)
async def create_case_type(
    body: CaseTypeIn, session: SessionDep, actor: ActorDep
) -> dict[str, Any]:
    _require_admin(actor, body.organization)
    org = (
        await session.execute(select(Organization).where(Organization.code == body.organization))
    ).scalar_one_or_none()
    if org is None:
        raise HTTPException(status_code=422, detail=f"unknown organization {body.organization!r}")
    values = body.model_dump(exclude={"organization"}, exclude_none=True)
    values["notify_statuses"] = _statuses(body.notify_statuses)
    case_type = CaseType(organization_id=org.id, **values)
    session.add(case_type)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise HTTPException(status_code=409, detail=f"case type {body.code!r} exists") from exc
    await session.refresh(case_type)
    return case_type_out(case_type, org.code)


@router.patch("/case-types/{code}")
async def update_case_type(
    code: str, body: CaseTypeSettings, session: SessionDep, actor: ActorDep
) -> dict[str, Any]:
    row = (
        await session.execute(
            select(CaseType, Organization.code)
            .join(Organization, Organization.id == CaseType.organization_id)
            .where(CaseType.code == code)
        )
    ).first()
    if row is None:
        raise HTTPException(status_code=404, detail="case type not found")
    case_type, org = row
    _require_admin(actor, org)
    for field, value in body.model_dump(exclude_unset=True).items():
        if value is None and field not in ("retention_decision", "notify_statuses"):
            raise HTTPException(status_code=422, detail=f"{field} cannot be null")
        if field == "notify_statuses":
            value = _statuses(value)
        setattr(case_type, field, value)
    await session.flush()
    await session.refresh(case_type)
    return case_type_out(case_type, org)
