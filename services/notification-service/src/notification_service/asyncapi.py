"""notification-service's messages for the AsyncAPI document."""

from dataclasses import replace
from typing import Any

from arende_contracts.events import (
    EXCHANGE_INTERNAL,
    CaseAssigned,
    CasePurgeConfirmed,
    CasePurged,
    CaseSubmitted,
    EventEnvelope,
    NotificationFailed,
    NotificationRequested,
    NotificationSent,
    StaffSettingsChanged,
)
from arende_platform.asyncapi import Receives, Sends
from arende_platform.asyncapi import document as _document
from arende_platform.topology import NOTIFICATION_CASE_EVENTS, NOTIFICATION_REQUESTS, QueueSpec

SERVICE = "notification-service"


def _case_events(event: type[EventEnvelope]) -> QueueSpec:
    """The case-events queue documented once per event it takes (one binding each)."""
    return replace(NOTIFICATION_CASE_EVENTS, bindings=((EXCHANGE_INTERNAL, event.routing_key),))


def document() -> dict[str, Any]:
    return _document(
        SERVICE,
        "E-mail (SMTP) and SMS (46elks HTTP API) to submitters and staff alerts; at most one "
        "accepted send per notification (docs/decisions/0011-notifications.md).",
        [
            Receives(
                NOTIFICATION_REQUESTS,
                NotificationRequested,
                "Send the standard text to the submitter. A row per (event, channel, recipient) "
                "is written before sending; transient faults go through delay queues "
                "(1 s … 729 s), a refusal or the last failure to the dead-letter queue.",
            ),
            Receives(
                _case_events(StaffSettingsChanged),
                StaffSettingsChanged,
                "The staff replica: contact details, grants, alert choices (newest wins).",
            ),
            Receives(
                _case_events(CaseSubmitted),
                CaseSubmitted,
                "Alert staff who asked for new cases of a case type they are granted.",
            ),
            Receives(
                _case_events(CaseAssigned),
                CaseAssigned,
                "Alert the handler (or the group's members) who asked for assigned cases.",
            ),
            Receives(
                _case_events(CasePurged),
                CasePurged,
                "Delete the case's notification rows (recipients are personal data).",
            ),
            Sends(
                EXCHANGE_INTERNAL,
                NotificationSent.routing_key,
                NotificationSent,
                "The SMTP server or SMS provider accepted a submitter notification.",
            ),
            Sends(
                EXCHANGE_INTERNAL,
                NotificationFailed.routing_key,
                NotificationFailed,
                "A submitter notification was refused (permanent) or failed until the last "
                "retry (exhausted).",
            ),
            Sends(
                EXCHANGE_INTERNAL,
                CasePurgeConfirmed.routing_key,
                CasePurgeConfirmed,
                "notification-service has deleted what it held about a purged case.",
            ),
        ],
    )
