"""case-service's messages for the AsyncAPI document."""

from typing import Any

from arende_contracts.events import EXCHANGE_INTERNAL, CaseSubmitted
from arende_contracts.external import (
    EXCHANGE_PUBLIC,
    ROUTING_PUBLIC_CASE_EVENT,
    PublicCaseEvent,
    Submission,
)
from arende_platform.asyncapi import Receives, Sends
from arende_platform.asyncapi import document as _document
from arende_platform.topology import SUBMISSIONS

SERVICE = "case-service"


def document() -> dict[str, Any]:
    return _document(
        SERVICE,
        "Cases from e-service submissions; case events for other services and the citizen portal.",
        [
            Receives(
                SUBMISSIONS,
                Submission,
                "A submitted e-service form. Idempotent by submission_id; an invalid one goes to "
                "case-service.submissions.dlq with the reason in the x-reason header.",
            ),
            Sends(
                EXCHANGE_INTERNAL,
                CaseSubmitted.routing_key,
                CaseSubmitted,
                "A case was created (through the outbox; message_id = event_id).",
            ),
            Sends(
                EXCHANGE_PUBLIC,
                ROUTING_PUBLIC_CASE_EVENT,
                PublicCaseEvent,
                "An external timeline event for Mina sidor; internal events never leave here.",
            ),
        ],
    )
