"""Residents of restricted case types (F-AD-5): approvals and shares, owned by case-service,
which admits submissions by them. Personnummer are in bodies only (never in a URL), so the
reads that need one are POSTs."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from gateway.auth.deps import CurrentCaseworker
from gateway.deps import CaseServiceDep
from gateway.residents.schemas import OrganizationIn, ResidentIn, ResidentsOut, ShareIn, SharePatch

router = APIRouter(prefix="/api/v1/admin/residents", tags=["residents"])

ShareId = Annotated[int, Path(ge=1, le=2**63 - 1)]
Code = Annotated[str, Query(min_length=1, max_length=200)]


@router.get("")
async def list_residents(
    organization: Code, caseworker: CurrentCaseworker, case_service: CaseServiceDep
) -> Any:
    """Invånare: the organization's approved residents (name when known) and their shares,
    expired ones marked, and its restricted case types."""
    body = OrganizationIn(organization=organization).model_dump()
    return await case_service.call(
        "POST", "/internal/residents/list", caseworker.actor, json_body=body
    )


@router.post("/lookup")
async def lookup_resident(
    body: ResidentIn, caseworker: CurrentCaseworker, case_service: CaseServiceDep
) -> Any:
    """One resident before approving or sharing: name (when known from earlier cases),
    approval and shares."""
    return await case_service.call(
        "POST", "/internal/residents/lookup", caseworker.actor, json_body=body.model_dump()
    )


@router.get("/audit")
async def resident_audit(
    organization: Code, caseworker: CurrentCaseworker, case_service: CaseServiceDep
) -> Any:
    """Approvals, shares, changes, removals and expiries, newest first (administrators)."""
    body = OrganizationIn(organization=organization).model_dump()
    return await case_service.call(
        "POST", "/internal/residents/audit", caseworker.actor, json_body=body
    )


@router.post("", status_code=201)
async def approve_resident(
    body: ResidentIn,
    response: Response,
    caseworker: CurrentCaseworker,
    case_service: CaseServiceDep,
) -> Any:
    """Godkänn invånare för kommunikation: the approval (201; 200 when it existed)."""
    answer = await case_service.send(
        "POST", "/internal/residents", caseworker.actor, json_body=body.model_dump()
    )
    response.status_code = answer.status_code
    return answer.json()


@router.delete("")
async def remove_residents(
    body: ResidentsOut, caseworker: CurrentCaseworker, case_service: CaseServiceDep
) -> Any:
    """Ta bort godkännande for one or many residents: `removed` lists those that had one."""
    return await case_service.call(
        "DELETE", "/internal/residents", caseworker.actor, json_body=body.model_dump()
    )


@router.post("/shares", status_code=201)
async def share_case_type(
    body: ShareIn,
    response: Response,
    caseworker: CurrentCaseworker,
    case_service: CaseServiceDep,
) -> Any:
    """Dela ut ärendetyp (a restricted one) to the resident: the share with its `id`."""
    answer = await case_service.send(
        "POST",
        "/internal/residents/shares",
        caseworker.actor,
        json_body=body.model_dump(mode="json"),
    )
    response.status_code = answer.status_code
    return answer.json()


@router.patch("/shares/{share_id}")
async def change_share(
    share_id: ShareId, body: SharePatch, caseworker: CurrentCaseworker, case_service: CaseServiceDep
) -> Any:
    """Ändra: a new last day, or `null` for until further notice."""
    return await case_service.call(
        "PATCH",
        f"/internal/residents/shares/{share_id}",
        caseworker.actor,
        json_body=body.model_dump(mode="json"),
    )


@router.delete("/shares/{share_id}", status_code=204)
async def remove_share(
    share_id: ShareId, caseworker: CurrentCaseworker, case_service: CaseServiceDep
) -> Response:
    """Ta bort utdelad ärendetyp."""
    await case_service.call("DELETE", f"/internal/residents/shares/{share_id}", caseworker.actor)
    return Response(status_code=204)
