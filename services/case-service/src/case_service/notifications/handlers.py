"""Records the outcome of each notification on its case as an internal event (F-NO-2).

"Notifiering har skickats via e-post till x" / "… via SMS till +46…", or that it could not be
sent. Idempotent per notification and outcome: the inbox key is `<notification_id>:<event>`, so
an outcome notification-service reports again (a replayed request) is not recorded twice.
"""

from datetime import UTC, datetime

from aio_pika.abc import AbstractIncomingMessage
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from arende_contracts.events import EventEnvelope, NotificationFailed, NotificationSent
from arende_platform.messaging import Subscription, Work, decode_event
from arende_platform.topology import NOTIFICATION_RESULTS
from case_service.models import Case, CaseEvent

CHANNELS = {"email": "e-post", "sms": "SMS"}


def timeline_entry(event: EventEnvelope) -> tuple[str, str]:
    """Title and message of the internal event, as the guide shows them (seed 000 §5.2, §8.1)."""
    data = event.data
    channel = CHANNELS[data.channel]
    if isinstance(event, NotificationSent):
        return (
            f"Notifiering via {channel}",
            f"Notifiering har skickats via {channel} till {data.recipient}.",
        )
    reason = data.reason
    error = data.error.removeprefix(f"{reason}: ") if reason else data.error
    why = (
        f"efter {data.attempts} försök"
        if reason == "exhausted"
        else "mottagaren eller servern avvisade den"
    )
    return (
        f"Notifiering via {channel} misslyckades",
        f"Notifiering kunde inte skickas via {channel} till {data.recipient}, {why} ({error}).",
    )


def outcome_key(event: EventEnvelope, message: AbstractIncomingMessage) -> str:
    return f"{event.data.notification_id}:{event.event_type}"


async def handle(session: AsyncSession, works: list[Work[EventEnvelope]]) -> None:
    outcomes = [w.item for w in works if isinstance(w.item, (NotificationSent, NotificationFailed))]
    if not outcomes:
        return
    statuses = dict(
        (
            await session.execute(
                select(Case.id, Case.status).where(Case.id.in_({e.data.case_id for e in outcomes}))
            )
        ).all()
    )
    rows = []
    for event in outcomes:
        status = statuses.get(event.data.case_id)
        if status is None:
            continue  # purged meanwhile
        title, message = timeline_entry(event)
        at = event.data.sent_at if isinstance(event, NotificationSent) else event.occurred_at
        rows.append(
            {
                "case_id": event.data.case_id,
                "internal": True,
                "kind": "notification",
                "status": status,
                "title": title,
                "message": message,
                "author": None,
                "created_at": at or datetime.now(UTC),
            }
        )
    if rows:
        await session.execute(insert(CaseEvent), rows)


def make_notification_results() -> Subscription[EventEnvelope]:
    """The subscription recording notification outcomes on cases."""
    return Subscription(
        consumer="notification-results",
        queue=NOTIFICATION_RESULTS,
        decode=decode_event,
        key=outcome_key,
        handle=handle,
        batch_size=100,
        correlation=lambda item: item.correlation_id,
    )
