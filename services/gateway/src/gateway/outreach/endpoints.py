"""`POST /api/v1/outreach`: skicka ärende till invånare (omvänt ärendeflöde, F-AD-7)."""

from typing import Annotated, Any

from fastapi import APIRouter, Header

from gateway.auth.deps import CurrentCaseworker
from gateway.deps import CaseServiceDep
from gateway.outreach import service
from gateway.outreach.schemas import OutreachBody

router = APIRouter(prefix="/api/v1/outreach", tags=["outreach"])


@router.post("", status_code=202)
async def send_outreach(
    body: OutreachBody,
    caseworker: CurrentCaseworker,
    case_service: CaseServiceDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> dict[str, Any]:
    """A message or question to up to 250 residents: each gets a case of their own, with the
    caller as handler, waiting for the resident's answer. 202 with `case_ids`; more than 250
    recipients (or an invalid personnummer) is a 422. The same request again (same
    `Idempotency-Key`, or without one the same send on the same day) answers the same cases."""
    return await service.send(case_service, caseworker.actor, body, idempotency_key)
