"""The broker topology of the whole installation: exchanges, consumer queues and their bindings.

Every service declares all of it at start (declarations are idempotent), so an event is never
unroutable because its consumer has not started yet. `deploy/rabbitmq/definitions.json` is
generated from this module.
"""

from dataclasses import dataclass, field

from arende_contracts.events import (
    EXCHANGE_INTERNAL,
    CaseAssigned,
    CasePurgeConfirmed,
    CasePurged,
    CaseSubmitted,
    NotificationFailed,
    NotificationRequested,
    NotificationSent,
    StaffSettingsChanged,
)
from arende_contracts.external import (
    EXCHANGE_ESERVICE,
    EXCHANGE_PUBLIC,
    ROUTING_CITIZEN_CLOSED,
    ROUTING_CITIZEN_COMPLEMENTED,
    ROUTING_CITIZEN_RESUBMITTED,
    ROUTING_PUBLIC_CASE_CREATED,
    ROUTING_PUBLIC_CASE_EVENT,
    ROUTING_PUBLIC_CASE_WITHDRAWN,
    ROUTING_SUBMISSION_CREATED,
)

EXCHANGE_DEAD_LETTER = "arende.dlx"

# exchange name -> type
EXCHANGES: dict[str, str] = {
    EXCHANGE_ESERVICE: "topic",
    EXCHANGE_PUBLIC: "topic",
    EXCHANGE_INTERNAL: "topic",
    EXCHANGE_DEAD_LETTER: "direct",
}


@dataclass(frozen=True)
class QueueSpec:
    """A consumer queue: quorum, bounded deliveries, dead-letter queue and delayed-retry queues."""

    name: str
    bindings: tuple[tuple[str, str], ...]
    retry_delays: tuple[int, ...] = (1, 10, 60)
    delivery_limit: int = 5
    # A queue that holds messages for a consumer outside this system (the citizen portal) has
    # no retry queues: nobody here consumes it.
    external_consumer: bool = False
    extra_arguments: dict[str, object] = field(default_factory=dict)

    @property
    def dead_letter_queue(self) -> str:
        return f"{self.name}.dlq"

    def retry_queue(self, delay: int) -> str:
        return f"{self.name}.retry.{delay}s"


SUBMISSIONS = QueueSpec(
    name="case-service.submissions",
    bindings=((EXCHANGE_ESERVICE, ROUTING_SUBMISSION_CREATED),),
)
REPORT_CASE_EVENTS = QueueSpec(
    name="report-service.case-events",
    bindings=((EXCHANGE_INTERNAL, "case.*.v1"),),
)
# Report orders (F-RE-1, F-RE-5) from the gateway; report-service records each as Beställd and
# its worker builds the workbook.
REPORT_REQUESTS = QueueSpec(
    name="report-service.requests",
    bindings=((EXCHANGE_INTERNAL, "report.requested.v1"),),
)
# Where the citizen portal ("Mina sidor") takes external events from; events wait here while the
# portal is away instead of being lost or refused.
PUBLIC_CASE_EVENTS = QueueSpec(
    name="eservice.public.mina-sidor",
    bindings=(
        (EXCHANGE_PUBLIC, ROUTING_PUBLIC_CASE_EVENT),
        (EXCHANGE_PUBLIC, ROUTING_PUBLIC_CASE_WITHDRAWN),
        (EXCHANGE_PUBLIC, ROUTING_PUBLIC_CASE_CREATED),
    ),
    external_consumer=True,
)

# Exponential backoff of a notification whose SMTP server or SMS provider failed transiently
# (F-NO-3): about 18 minutes in all before the failure is recorded on the case.
NOTIFICATION_RETRY_DELAYS = (1, 3, 9, 27, 81, 243, 729)

# Notification requests (F-NO-1) wait here, durably, for notification-service's consumer.
NOTIFICATION_REQUESTS = QueueSpec(
    name="notification-service.requests",
    bindings=((EXCHANGE_INTERNAL, NotificationRequested.routing_key),),
    retry_delays=NOTIFICATION_RETRY_DELAYS,
)
# What notification-service needs besides requests: new and assigned cases (staff alerts,
# F-NO-4), purged cases (it deletes its rows) and the staff replica (grants, alert choices).
NOTIFICATION_CASE_EVENTS = QueueSpec(
    name="notification-service.case-events",
    bindings=(
        (EXCHANGE_INTERNAL, CaseSubmitted.routing_key),
        (EXCHANGE_INTERNAL, CaseAssigned.routing_key),
        (EXCHANGE_INTERNAL, CasePurged.routing_key),
        (EXCHANGE_INTERNAL, StaffSettingsChanged.routing_key),
    ),
    retry_delays=NOTIFICATION_RETRY_DELAYS,
)
# Outcomes of notifications, recorded on the case as internal events (F-NO-2).
NOTIFICATION_RESULTS = QueueSpec(
    name="case-service.notification-results",
    bindings=(
        (EXCHANGE_INTERNAL, NotificationSent.routing_key),
        (EXCHANGE_INTERNAL, NotificationFailed.routing_key),
    ),
)

# The submitter's actions (F-TW-1..3) from the citizen portal.
CITIZEN_ACTIONS = QueueSpec(
    name="case-service.citizen-actions",
    bindings=(
        (EXCHANGE_ESERVICE, ROUTING_CITIZEN_COMPLEMENTED),
        (EXCHANGE_ESERVICE, ROUTING_CITIZEN_RESUBMITTED),
        (EXCHANGE_ESERVICE, ROUTING_CITIZEN_CLOSED),
    ),
)
# case-service renders each submitted form version as a PDF, off the intake's hot path.
FORM_DOCUMENTS = QueueSpec(
    name="case-service.form-documents",
    bindings=(
        (EXCHANGE_INTERNAL, "case.submitted.v1"),
        (EXCHANGE_INTERNAL, "case.resubmitted.v1"),
    ),
)

# retention-service records which service has deleted what it held about a purged case.
RETENTION_PURGE_CONFIRMATIONS = QueueSpec(
    name="retention-service.purge-confirmations",
    bindings=((EXCHANGE_INTERNAL, CasePurgeConfirmed.routing_key),),
)

QUEUES: tuple[QueueSpec, ...] = (
    SUBMISSIONS,
    CITIZEN_ACTIONS,
    FORM_DOCUMENTS,
    REPORT_CASE_EVENTS,
    REPORT_REQUESTS,
    PUBLIC_CASE_EVENTS,
    NOTIFICATION_REQUESTS,
    NOTIFICATION_CASE_EVENTS,
    NOTIFICATION_RESULTS,
    RETENTION_PURGE_CONFIRMATIONS,
)


def queue_arguments(spec: QueueSpec) -> dict[str, object]:
    """Arguments of a consumer queue: quorum, delivery limit, at-least-once dead-lettering."""
    return {
        "x-queue-type": "quorum",
        "x-delivery-limit": spec.delivery_limit,
        "x-dead-letter-exchange": EXCHANGE_DEAD_LETTER,
        "x-dead-letter-routing-key": spec.name,
        "x-overflow": "reject-publish",
        "x-dead-letter-strategy": "at-least-once",
        **spec.extra_arguments,
    }


def retry_queue_arguments(spec: QueueSpec, delay: int) -> dict[str, object]:
    """A delay queue: messages wait `delay` seconds, then go back to the consumer queue."""
    return {
        "x-queue-type": "quorum",
        "x-message-ttl": delay * 1000,
        "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": spec.name,
        "x-overflow": "reject-publish",
        "x-dead-letter-strategy": "at-least-once",
    }


DEAD_LETTER_QUEUE_ARGUMENTS: dict[str, object] = {"x-queue-type": "quorum"}
