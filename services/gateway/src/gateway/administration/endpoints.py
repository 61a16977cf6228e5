"""Organizations and case types: administered through the gateway, owned by case-service.

The rights are checked in `administration.service` (and again by case-service); every change
is audited.
"""

from typing import Any

from fastapi import APIRouter

from arende_contracts.administration import (
    CaseType,
    CaseTypeIn,
    CaseTypeSettings,
    Organization,
    OrganizationIn,
    OrganizationPatch,
)
from arende_contracts.administration import Code as CodeParam
from gateway.administration import service
from gateway.auth.deps import CurrentCaseworker
from gateway.deps import CaseServiceDep, SessionsDep

router = APIRouter(prefix="/api/v1/admin", tags=["administration"])


@router.get("/organizations", response_model=list[Organization])
async def list_organizations(caseworker: CurrentCaseworker, case_service: CaseServiceDep) -> Any:
    """Organizations the caller has a grant in (all for a superuser)."""
    return await service.list_organizations(case_service, caseworker.actor)


@router.post("/organizations", status_code=201, response_model=Organization)
async def create_organization(
    body: OrganizationIn,
    caseworker: CurrentCaseworker,
    case_service: CaseServiceDep,
    sessions: SessionsDep,
) -> Any:
    """Create a förvaltning (superusers only); 409 if the code exists."""
    return await service.create_organization(sessions, case_service, caseworker.actor, body)


@router.patch("/organizations/{code}", response_model=Organization)
async def update_organization(
    code: CodeParam,
    body: OrganizationPatch,
    caseworker: CurrentCaseworker,
    case_service: CaseServiceDep,
    sessions: SessionsDep,
) -> Any:
    """Rename a förvaltning (a superuser or its administrator); 404 for one the caller has no
    grant in."""
    return await service.update_organization(sessions, case_service, caseworker.actor, code, body)


@router.get("/case-types", response_model=list[CaseType])
async def list_case_types(caseworker: CurrentCaseworker, case_service: CaseServiceDep) -> Any:
    """Case types the caller may see."""
    return await service.list_case_types(case_service, caseworker.actor)


@router.get("/case-types/{code}", response_model=CaseType)
async def get_case_type(
    code: CodeParam, caseworker: CurrentCaseworker, case_service: CaseServiceDep
) -> Any:
    """One case type the caller may see, with every setting."""
    return await service.find_case_type(case_service, caseworker.actor, code)


@router.post("/case-types", status_code=201, response_model=CaseType)
async def create_case_type(
    body: CaseTypeIn,
    caseworker: CurrentCaseworker,
    case_service: CaseServiceDep,
    sessions: SessionsDep,
) -> Any:
    """Create an ärendetyp in an organization the caller administers; 409 if the code exists."""
    return await service.create_case_type(sessions, case_service, caseworker.actor, body)


@router.patch("/case-types/{code}", response_model=CaseType)
async def update_case_type(
    code: CodeParam,
    body: CaseTypeSettings,
    caseworker: CurrentCaseworker,
    case_service: CaseServiceDep,
    sessions: SessionsDep,
) -> Any:
    """Change settings of a case type; only the fields sent are changed. In effect at once."""
    return await service.update_case_type(sessions, case_service, caseworker.actor, code, body)
