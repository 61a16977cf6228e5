"""Internal events between services, all in one envelope, parsed through a discriminated union.

Routing keys are `<aggregate>.<event>.v<version>` on the internal topic exchange. Within a
version only additive changes are allowed; the contract tests pin the JSON shape.
"""

from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Literal, Union
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from arende_contracts.access import Grant
from arende_contracts.statuses import CaseStatus

EXCHANGE_INTERNAL = "arende.events"


class _Data(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class CaseSubmittedData(_Data):
    case_id: int
    submission_id: UUID
    case_type: str
    # The case type's name at the time (for texts such as staff alerts); absent in older events.
    case_type_name: str | None = None
    organization: str
    status: CaseStatus
    submitter_kind: str
    business_area: str | None = None
    submitted_at: datetime
    # "outreach" for a case staff started (omvänt ärendeflöde, F-AD-7); else a submission.
    origin: str = "submission"
    awaiting_submitter_since: datetime | None = None


class CaseAssignedData(_Data):
    case_id: int
    case_type: str
    case_type_name: str | None = None
    organization: str
    handler: str | None = None
    group: str | None = None
    assigned_by: str
    notify: bool = True


class CaseUpdatedData(_Data):
    case_id: int
    case_type: str
    organization: str
    status: CaseStatus
    previous_status: CaseStatus
    updated_by: str
    notify: bool = True
    # partial_answer (delsvar) or counter_question (motfråga) when the update was one.
    update_kind: str | None = None
    priority: str | None = None
    category: str | None = None
    # Waiting for the submitter after a motfråga (F-AD-8), which handling times leave out:
    # `waiting_seconds` is the wait this change ended (0 if none), `total_waiting_seconds` all
    # of the case's waits so far, `awaiting_submitter_since` set while the case waits.
    waiting_seconds: int = 0
    total_waiting_seconds: int = 0
    awaiting_submitter_since: datetime | None = None


class CaseResubmittedData(_Data):
    """The submitter sent a new version of the form (F-TW-2)."""

    case_id: int
    case_type: str
    organization: str
    version: int
    status: CaseStatus
    previous_status: CaseStatus
    # Waiting for the submitter after a motfråga (F-AD-8), which handling times leave out:
    # `waiting_seconds` is the wait this change ended (0 if none), `total_waiting_seconds` all
    # of the case's waits so far, `awaiting_submitter_since` set while the case waits.
    waiting_seconds: int = 0
    total_waiting_seconds: int = 0
    awaiting_submitter_since: datetime | None = None


class CaseClosedData(_Data):
    case_id: int
    case_type: str
    organization: str
    status: CaseStatus
    closed_by: str
    # Waiting for the submitter after a motfråga (F-AD-8), which handling times leave out:
    # `waiting_seconds` is the wait this change ended (0 if none), `total_waiting_seconds` all
    # of the case's waits so far, `awaiting_submitter_since` set while the case waits.
    waiting_seconds: int = 0
    total_waiting_seconds: int = 0
    awaiting_submitter_since: datetime | None = None


class CaseArchivedData(_Data):
    case_id: int
    case_type: str
    organization: str
    archived_at: datetime


class CasePurgedData(_Data):
    case_id: int
    case_type: str
    organization: str
    status: CaseStatus
    submitted_at: datetime
    purged_at: datetime


class CasePurgeConfirmedData(_Data):
    """A service has deleted everything it held about a purged case (F-RT-1)."""

    case_id: int
    service: str
    confirmed_at: datetime


class NotificationRequestedData(_Data):
    notification_id: UUID
    case_id: int
    case_type_name: str
    channel: Literal["email", "sms"]
    recipient: str
    reason: str


class NotificationSentData(_Data):
    notification_id: UUID
    case_id: int
    channel: Literal["email", "sms"]
    recipient: str
    sent_at: datetime


class NotificationFailedData(_Data):
    notification_id: UUID
    case_id: int
    channel: Literal["email", "sms"]
    recipient: str
    error: str
    attempts: int
    # "permanent" (refused by the server/provider) or "exhausted" (transient faults until the
    # last retry); empty from producers that predate the field.
    reason: str = ""


class StaffSettingsChangedData(_Data):
    """A staff member's contact details, grants and alert choices (F-AD-4, F-NO-4), published by
    the gateway whenever one of them changes, so that notification-service keeps a replica."""

    username: str
    name: str
    display_name: str | None = None
    email: str | None = None
    phone: str | None = None
    active: bool = True
    superuser: bool = False
    grants: list[Grant] = []
    groups: list[str] = []
    alert_new_case: bool = False
    alert_assigned: bool = False
    alert_sms: bool = False
    changed_at: datetime


class ReportRequestedData(_Data):
    report_id: UUID
    kind: Literal["cases", "statistics"]
    ordered_by: str
    case_type: str
    name: str
    include_form_data: bool = False
    archived: bool = False
    date_from: datetime | None = None
    date_to: datetime | None = None
    period: Literal["day", "month", "year"] | None = None
    # Added for report-service's worker (issue 6): the orderer as the gateway authenticated
    # them (report-service fetches case content from case-service on their behalf, scoped by
    # their grants), the case type's display name for the report's name, the language of the
    # column headers, and the number of cases the gateway counted when the order was taken.
    grants: list[Grant] = []
    superuser: bool = False
    orderer_name: str = ""
    case_type_name: str = ""
    language: str = "sv"
    expected_count: int | None = None


class ReportCompletedData(_Data):
    report_id: UUID
    case_count: int
    completed_at: datetime


class ReportFailedData(_Data):
    report_id: UUID
    reason: str


class EventEnvelope(BaseModel):
    """Common envelope of every internal event."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    routing_key: ClassVar[str]

    event_id: UUID = Field(default_factory=uuid4)
    event_type: str
    version: int = 1
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    correlation_id: str
    producer: str
    data: Any


def _event(name: str, data_model: type[_Data], routing_key: str) -> type[EventEnvelope]:
    model = type(
        name,
        (EventEnvelope,),
        {
            "__annotations__": {"event_type": Literal[name], "data": data_model},  # type: ignore[valid-type]
            "event_type": name,
            "__doc__": f"{name} event (`{routing_key}`).",
        },
    )
    model.routing_key = routing_key
    return model


CaseSubmitted = _event("CaseSubmitted", CaseSubmittedData, "case.submitted.v1")
CaseAssigned = _event("CaseAssigned", CaseAssignedData, "case.assigned.v1")
CaseUpdated = _event("CaseUpdated", CaseUpdatedData, "case.updated.v1")
CaseClosed = _event("CaseClosed", CaseClosedData, "case.closed.v1")
CaseResubmitted = _event("CaseResubmitted", CaseResubmittedData, "case.resubmitted.v1")
CaseArchived = _event("CaseArchived", CaseArchivedData, "case.archived.v1")
CasePurged = _event("CasePurged", CasePurgedData, "case.purged.v1")
CasePurgeConfirmed = _event("CasePurgeConfirmed", CasePurgeConfirmedData, "case.purge_confirmed.v1")
NotificationRequested = _event(
    "NotificationRequested", NotificationRequestedData, "notification.requested.v1"
)
NotificationSent = _event("NotificationSent", NotificationSentData, "notification.sent.v1")
NotificationFailed = _event("NotificationFailed", NotificationFailedData, "notification.failed.v1")
StaffSettingsChanged = _event(
    "StaffSettingsChanged", StaffSettingsChangedData, "staff.settings_changed.v1"
)
ReportRequested = _event("ReportRequested", ReportRequestedData, "report.requested.v1")
ReportCompleted = _event("ReportCompleted", ReportCompletedData, "report.completed.v1")
ReportFailed = _event("ReportFailed", ReportFailedData, "report.failed.v1")

ALL_EVENTS: tuple[type[EventEnvelope], ...] = (
    CaseSubmitted,
    CaseAssigned,
    CaseUpdated,
    CaseClosed,
    CaseResubmitted,
    CaseArchived,
    CasePurged,
    CasePurgeConfirmed,
    NotificationRequested,
    NotificationSent,
    NotificationFailed,
    StaffSettingsChanged,
    ReportRequested,
    ReportCompleted,
    ReportFailed,
)

# Every event in ALL_EVENTS is parsed by `parse_event`: adding an event means adding it there.
AnyEvent = Annotated[Union[ALL_EVENTS], Field(discriminator="event_type")]  # type: ignore[valid-type]  # noqa: UP007

_any_event: TypeAdapter[Any] = TypeAdapter(AnyEvent)


def parse_event(body: bytes | str) -> EventEnvelope:
    """Parse any internal event from its JSON body, by `event_type`."""
    return _any_event.validate_json(body)
