"""Internal API of residents (F-AD-5). Personnummer travel in bodies only, never in a path or
query string, which end up in access logs."""

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from arende_contracts.identity import InvalidPersonalNumber, normalize_personal_number
from case_service.access import ActorDep
from case_service.deps import SessionDep
from case_service.residents import service

router = APIRouter(prefix="/internal/residents", tags=["residents"])

Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ShareId = Annotated[int, Path(ge=1, le=2**63 - 1)]
MAX_BULK = 1000


def _personal_number(value: str) -> str:
    try:
        return normalize_personal_number(value)
    except InvalidPersonalNumber as exc:
        raise ValueError("not a valid personnummer") from exc


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ResidentIn(_Body):
    organization: Code
    personal_number: str

    _valid = field_validator("personal_number")(_personal_number)


class ResidentsOut(_Body):
    organization: Code
    personal_numbers: list[str] = Field(min_length=1, max_length=MAX_BULK)

    @field_validator("personal_numbers")
    @classmethod
    def _valid(cls, values: list[str]) -> list[str]:
        return [_personal_number(v) for v in values]


class OrganizationIn(_Body):
    organization: Code


class ShareIn(ResidentIn):
    case_type: Code
    until: date | None = None


class SharePatch(_Body):
    until: date | None = None


@router.post("/list")
async def list_residents(body: OrganizationIn, session: SessionDep, actor: ActorDep) -> Any:
    """The organization's approved residents and shares."""
    return await service.residents(session, actor, body.organization)


@router.post("/lookup")
async def lookup(body: ResidentIn, session: SessionDep, actor: ActorDep) -> Any:
    """One resident: name when known, approval and shares."""
    return await service.lookup(session, actor, body.organization, body.personal_number)


@router.post("/audit")
async def audit(body: OrganizationIn, session: SessionDep, actor: ActorDep) -> Any:
    """Who approved, shared, changed and removed what, and which shares expired."""
    return await service.audit(session, actor, body.organization)


@router.post("")
async def approve(
    body: ResidentIn, response: Response, session: SessionDep, actor: ActorDep
) -> dict[str, Any]:
    """Godkänn invånare för kommunikation (201; 200 when already approved)."""
    approval, created = await service.approve(
        session, actor, body.organization, body.personal_number
    )
    response.status_code = 201 if created else 200
    return approval


@router.delete("")
async def remove(body: ResidentsOut, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """Ta bort godkännande, for one resident or many."""
    removed = await service.remove_approvals(
        session, actor, body.organization, body.personal_numbers
    )
    return {"organization": body.organization, "removed": removed, "count": len(removed)}


@router.post("/shares")
async def share(
    body: ShareIn, response: Response, session: SessionDep, actor: ActorDep
) -> dict[str, Any]:
    """Dela ut ärendetyp until `until` (inclusive) or, without it, until further notice."""
    result, created = await service.share(
        session, actor, body.organization, body.personal_number, body.case_type, body.until
    )
    response.status_code = 201 if created else 200
    return result


@router.patch("/shares/{share_id}")
async def change_share(
    share_id: ShareId, body: SharePatch, session: SessionDep, actor: ActorDep
) -> dict[str, Any]:
    """Ändra utdelad ärendetyp: a new last day, or null for until further notice."""
    return await service.change_share(session, actor, share_id, body.until)


@router.delete("/shares/{share_id}", status_code=204)
async def remove_share(share_id: ShareId, session: SessionDep, actor: ActorDep) -> Response:
    """Ta bort utdelad ärendetyp."""
    await service.remove_share(session, actor, share_id)
    return Response(status_code=204)
