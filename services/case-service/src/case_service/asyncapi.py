"""case-service's messages for the AsyncAPI document."""

from dataclasses import replace
from typing import Any

from arende_contracts.events import (
    EXCHANGE_INTERNAL,
    CaseArchived,
    CaseAssigned,
    CaseClosed,
    CasePurged,
    CaseResubmitted,
    CaseSubmitted,
    CaseUpdated,
    EventEnvelope,
    NotificationFailed,
    NotificationRequested,
    NotificationSent,
)
from arende_contracts.external import (
    EXCHANGE_PUBLIC,
    ROUTING_PUBLIC_CASE_CREATED,
    ROUTING_PUBLIC_CASE_EVENT,
    ROUTING_PUBLIC_CASE_WITHDRAWN,
    CitizenAction,
    PublicCaseCreated,
    PublicCaseEvent,
    PublicCaseWithdrawn,
    Submission,
)
from arende_platform.asyncapi import Receives, Sends
from arende_platform.asyncapi import document as _document
from arende_platform.topology import CITIZEN_ACTIONS, NOTIFICATION_RESULTS, SUBMISSIONS, QueueSpec

SERVICE = "case-service"


def _results(event: type[EventEnvelope]) -> QueueSpec:
    """The notification-results queue documented once per event it takes."""
    return replace(NOTIFICATION_RESULTS, bindings=((EXCHANGE_INTERNAL, event.routing_key),))


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
            Receives(
                CITIZEN_ACTIONS,
                CitizenAction,
                "The submitter's actions (citizen.complemented, citizen.resubmitted with a new "
                "form, citizen.closed). Idempotent by action_id, matched by submission_id.",
            ),
            Receives(
                _results(NotificationSent),
                NotificationSent,
                'Recorded on the case as the internal event "Notifiering har skickats via '
                'e-post till x" / "via SMS till +46…". Idempotent per notification.',
            ),
            Receives(
                _results(NotificationFailed),
                NotificationFailed,
                "Recorded on the case as an internal event: the notification could not be sent.",
            ),
            Sends(
                EXCHANGE_INTERNAL,
                CaseResubmitted.routing_key,
                CaseResubmitted,
                "The submitter sent a new version of the form (F-TW-2).",
            ),
            Sends(
                EXCHANGE_INTERNAL,
                CaseSubmitted.routing_key,
                CaseSubmitted,
                "A case was created (through the outbox; message_id = event_id).",
            ),
            Sends(
                EXCHANGE_INTERNAL,
                CaseAssigned.routing_key,
                CaseAssigned,
                "A case was assigned (Fördela) to a handler or a group, or got the caseworker "
                "who first updated it as its handler.",
            ),
            Sends(
                EXCHANGE_INTERNAL,
                CaseUpdated.routing_key,
                CaseUpdated,
                "A caseworker changed a case: status, events, reference, user, acknowledgement.",
            ),
            Sends(
                EXCHANGE_INTERNAL,
                CaseClosed.routing_key,
                CaseClosed,
                "A caseworker closed a case (Avsluta, or Uppdatera to Avslutad).",
            ),
            Sends(
                EXCHANGE_INTERNAL,
                NotificationRequested.routing_key,
                NotificationRequested,
                "Notify the submitter of an update by e-mail or SMS (one message per channel); "
                "waits in notification-service.requests.",
            ),
            Sends(
                EXCHANGE_PUBLIC,
                ROUTING_PUBLIC_CASE_EVENT,
                PublicCaseEvent,
                "An external timeline event for Mina sidor; internal events never leave here.",
            ),
            Sends(
                EXCHANGE_INTERNAL,
                CaseArchived.routing_key,
                CaseArchived,
                "retention-service had the case archived (Arkiverad, read-only).",
            ),
            Sends(
                EXCHANGE_INTERNAL,
                CasePurged.routing_key,
                CasePurged,
                "retention-service had the case purged: case-service deleted it; every service "
                "deletes what it holds about it and answers CasePurgeConfirmed.",
            ),
            Sends(
                EXCHANGE_PUBLIC,
                ROUTING_PUBLIC_CASE_WITHDRAWN,
                PublicCaseWithdrawn,
                "Mina sidor no longer shows the case: reason archived, and later purged (then the "
                "portal deletes what it holds about it).",
            ),
            Sends(
                EXCHANGE_PUBLIC,
                ROUTING_PUBLIC_CASE_CREATED,
                PublicCaseCreated,
                "Staff sent a case to a resident (omvänt ärendeflöde): whose it is, so Mina sidor "
                "shows it; its message follows as a case.event.",
            ),
        ],
    )
