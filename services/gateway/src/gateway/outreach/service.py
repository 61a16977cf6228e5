"""Omvänt ärendeflöde as the gateway runs it: the recipients are checked here (at most 250,
each a valid personnummer, told by position so no personnummer is echoed), case-service makes
one case per recipient.

Idempotent: with an `Idempotency-Key` header the outreach's id is derived from it (and the
caller), so a retried request answers the same cases; without one, case-service treats the same
send by the same caller on the same day as one.
"""

from typing import Any
from uuid import NAMESPACE_URL, uuid5

from arende_contracts.access import Actor
from arende_contracts.identity import InvalidPersonalNumber, normalize_personal_number
from gateway.case_client import CaseServiceClient
from gateway.case_errors import OUTREACH_TOO_MANY
from gateway.errors import AppError
from gateway.outreach.schemas import OutreachBody

MAX_RECIPIENTS = 250
TOO_MANY = OUTREACH_TOO_MANY
NO_RECIPIENTS = "Ange minst en mottagare."
INVALID_RECIPIENT = "Mottagare nummer {position} har inte ett giltigt personnummer."


def recipients_of(body: OutreachBody) -> list[str]:
    """The recipients in the 12-digit form, each once, in the order given."""
    given = [r for r in (r.strip() for r in body.recipients) if r]
    if not given:
        raise AppError(422, NO_RECIPIENTS)
    normalized = []
    for position, value in enumerate(given, start=1):
        try:
            normalized.append(normalize_personal_number(value))
        except InvalidPersonalNumber as exc:
            raise AppError(422, INVALID_RECIPIENT, position=position) from exc
    unique = list(dict.fromkeys(normalized))
    if len(unique) > MAX_RECIPIENTS:
        raise AppError(422, TOO_MANY, limit=MAX_RECIPIENTS, count=len(unique))
    return unique


async def send(
    case_service: CaseServiceClient, actor: Actor, body: OutreachBody, idempotency_key: str | None
) -> dict[str, Any]:
    """One case per recipient; `case_ids` in the recipients' order."""
    request: dict[str, Any] = {
        "case_type": body.case_type,
        "recipients": recipients_of(body),
        "title": body.title,
        "message": body.message,
    }
    if idempotency_key:
        key = f"outreach:{actor.username}:{idempotency_key}"
        request["outreach_id"] = str(uuid5(NAMESPACE_URL, key))
    return await case_service.call("POST", "/internal/outreach", actor, json_body=request)  # type: ignore[no-any-return]
