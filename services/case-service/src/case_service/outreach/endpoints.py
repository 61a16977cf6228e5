"""Internal API of omvänt ärendeflöde (F-AD-7)."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from arende_contracts.identity import InvalidPersonalNumber, normalize_personal_number
from case_service.access import ActorDep
from case_service.deps import SessionDep
from case_service.outreach import service

router = APIRouter(prefix="/internal/outreach", tags=["outreach"])

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Message = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class OutreachIn(BaseModel):
    """The gateway has checked the recipients; case-service checks them again (and the limit)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    case_type: Code
    recipients: list[str] = Field(min_length=1, max_length=10_000)
    title: Title
    message: Message
    outreach_id: UUID | None = None

    @field_validator("recipients")
    @classmethod
    def _valid(cls, values: list[str]) -> list[str]:
        try:
            return [normalize_personal_number(v) for v in values]
        except InvalidPersonalNumber as exc:
            raise ValueError("a recipient is not a valid personnummer") from exc


@router.post("", status_code=202)
async def send(body: OutreachIn, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """One case per recipient (at most 250); the same outreach again answers the same cases."""
    return await service.send(
        session, actor, body.case_type, body.recipients, body.title, body.message, body.outreach_id
    )
