"""Organizations and case types: administered through the gateway, owned by case-service.

case-service checks the rights (a superuser, or an `admin` of the organization) on every call.
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
from gateway.auth.deps import CurrentCaseworker
from gateway.deps import CaseServiceDep

router = APIRouter(prefix="/api/v1/admin", tags=["administration"])


@router.get("/organizations", response_model=list[Organization])
async def list_organizations(caseworker: CurrentCaseworker, case_service: CaseServiceDep) -> Any:
    """Organizations the caller has a grant in (all for a superuser)."""
    return await case_service.call("GET", "/internal/organizations", caseworker.actor)


@router.post("/organizations", status_code=201, response_model=Organization)
async def create_organization(
    body: OrganizationIn, caseworker: CurrentCaseworker, case_service: CaseServiceDep
) -> Any:
    """Create a förvaltning (superusers only); 409 if the code exists."""
    return await case_service.call(
        "POST", "/internal/organizations", caseworker.actor, json_body=body.model_dump()
    )


@router.patch("/organizations/{code}", response_model=Organization)
async def update_organization(
    code: CodeParam,
    body: OrganizationPatch,
    caseworker: CurrentCaseworker,
    case_service: CaseServiceDep,
) -> Any:
    """Rename a förvaltning (a superuser or its administrator)."""
    return await case_service.call(
        "PATCH", f"/internal/organizations/{code}", caseworker.actor, json_body=body.model_dump()
    )


@router.get("/case-types", response_model=list[CaseType])
async def list_case_types(caseworker: CurrentCaseworker, case_service: CaseServiceDep) -> Any:
    """Case types the caller may see."""
    return await case_service.call("GET", "/internal/case-types", caseworker.actor)


@router.post("/case-types", status_code=201, response_model=CaseType)
async def create_case_type(
    body: CaseTypeIn, caseworker: CurrentCaseworker, case_service: CaseServiceDep
) -> Any:
    """Create an ärendetyp in an organization the caller administers; 409 if the code exists."""
    return await case_service.call(
        "POST",
        "/internal/case-types",
        caseworker.actor,
        json_body=body.model_dump(exclude_none=True),
    )


@router.patch("/case-types/{code}", response_model=CaseType)
async def update_case_type(
    code: CodeParam,
    body: CaseTypeSettings,
    caseworker: CurrentCaseworker,
    case_service: CaseServiceDep,
) -> Any:
    """Change settings of a case type; only the fields sent are changed."""
    return await case_service.call(
        "PATCH",
        f"/internal/case-types/{code}",
        caseworker.actor,
        json_body=body.model_dump(exclude_unset=True),
    )
