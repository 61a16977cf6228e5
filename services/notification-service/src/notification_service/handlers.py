"""The two consumers of notification-service.

- `notification-service.requests`: NotificationRequested from case-service → e-mail/SMS to the
  submitter, NotificationSent/NotificationFailed back to case-service (F-NO-1..3).
- `notification-service.case-events`: the staff replica (StaffSettingsChanged), staff alerts on
  CaseSubmitted/CaseAssigned (F-NO-4), and CasePurged (rows deleted, CasePurgeConfirmed).

A transient fault puts the message through the queue's delay queues (exponential backoff,
arende_platform.topology.NOTIFICATION_RETRY_DELAYS); a refusal or the last failed retry is
recorded and the message goes to the dead-letter queue.
"""

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from arende_contracts.access import Grant
from arende_contracts.events import (
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
from arende_platform.messaging import Subscription, Work, decode_event, message_id_key
from arende_platform.outbox import event_row, stage
from arende_platform.topology import NOTIFICATION_CASE_EVENTS, NOTIFICATION_REQUESTS, QueueSpec
from notification_service import texts
from notification_service.delivery import Deliverer, Delivery, Result, alert_id, record_failure
from notification_service.metrics import NOTIFICATION_RETRIES, NOTIFICATIONS_FAILED
from notification_service.models import Notification, PurgedCase, StaffMember, outbox
from notification_service.providers import TransientFailure
from notification_service.settings import NotificationSettings

SERVICE = "notification-service"
log = logging.getLogger(__name__)


async def purged(session: AsyncSession, case_ids: Sequence[int]) -> set[int]:
    if not case_ids:
        return set()
    rows = await session.scalars(
        select(PurgedCase.case_id).where(PurgedCase.case_id.in_(set(case_ids)))
    )
    return set(rows)


def _base(source: EventEnvelope) -> dict[str, Any]:
    return {"correlation_id": source.correlation_id, "producer": SERVICE}


def _outcome_event(source: EventEnvelope, result: Result, reason: str = "") -> EventEnvelope:
    d = result.delivery
    if result.outcome == "sent":
        return NotificationSent(
            **_base(source),
            data={
                "notification_id": d.id,
                "case_id": d.case_id,
                "channel": d.channel,
                "recipient": d.recipient,
                "sent_at": result.finished_at or datetime.now(UTC),
            },
        )
    return NotificationFailed(
        **_base(source),
        data={
            "notification_id": d.id,
            "case_id": d.case_id,
            "channel": d.channel,
            "recipient": d.recipient,
            "error": result.error[:500],
            "attempts": result.attempts,
            "reason": reason,
        },
    )


async def settle(
    session: AsyncSession,
    work: Work[EventEnvelope],
    results: Sequence[Result],
    queue: QueueSpec,
    report: list[EventEnvelope] | None,
) -> None:
    """Record what happened to a message's deliveries and decide the message's fate.

    While any delivery may still succeed (a transient fault, retries left) the message is
    retried and nothing is reported yet; the sent ones are skipped on the next attempt.
    `report`: where to collect NotificationSent/Failed for case-service (submitter
    notifications only; the caller stages the batch's events in one statement).
    """
    final = work.attempt >= len(queue.retry_delays)
    transient = [r for r in results if r.outcome == "transient"]
    if transient and not final:
        for result in transient:
            await record_failure(session, result, final=False)
            NOTIFICATION_RETRIES.labels(result.delivery.channel).inc()
        work.retry(TransientFailure("; ".join(r.error for r in transient)[:500]))
        return
    events: list[EventEnvelope] = []
    refused: list[tuple[str, Result]] = []
    for result in results:
        if result.outcome == "sent":
            events.append(_outcome_event(work.item, result))
            continue
        if result.outcome == "failed":  # recorded in an earlier attempt (a replayed message)
            reason = result.error.split(":", 1)[0]
        else:
            reason = "permanent" if result.outcome == "permanent" else "exhausted"
            result.error = f"{reason}: {result.error}"
            await record_failure(session, result, final=True)
            NOTIFICATIONS_FAILED.labels(result.delivery.channel, reason).inc()
        refused.append((reason, result))
        events.append(_outcome_event(work.item, result, reason))
    if report is not None:
        report.extend(events)
    if refused:
        reason, first = refused[0]
        log.warning(
            "notification failed",
            extra={"notification_id": str(first.delivery.id), "reason": reason},
        )
        work.reject(reason, "; ".join(r.error for _, r in refused)[:900])


def make_requests(
    deliverer: Deliverer, settings: NotificationSettings
) -> Subscription[EventEnvelope]:
    """Submitter notifications."""

    async def handle(session: AsyncSession, works: list[Work[EventEnvelope]]) -> None:
        requests = [w for w in works if isinstance(w.item, NotificationRequested)]
        gone = await purged(session, [w.item.data.case_id for w in requests])
        plans: list[tuple[Work[EventEnvelope], Delivery]] = []
        for work in requests:
            data = work.item.data
            if data.case_id in gone:
                continue  # purged meanwhile: its recipients are no longer ours to contact
            plans.append(
                (
                    work,
                    Delivery(
                        id=data.notification_id,
                        source_event_id=work.item.event_id,
                        case_id=data.case_id,
                        kind="submitter",
                        channel=data.channel,
                        recipient=data.recipient,
                        text=texts.submitter_update(data.case_type_name),
                    ),
                )
            )
        results = await deliverer.deliver([d for _, d in plans])
        outcomes: list[EventEnvelope] = []
        for work, delivery in plans:
            await settle(session, work, [results[delivery.id]], NOTIFICATION_REQUESTS, outcomes)
        await stage(session, outbox, [event_row(e) for e in outcomes])

    return Subscription(
        consumer="notification-requests",
        queue=NOTIFICATION_REQUESTS,
        decode=decode_event,
        key=message_id_key,
        handle=handle,
        batch_size=settings.notification_batch_size,
        batch_wait=settings.notification_batch_wait,
        concurrency=settings.notification_concurrency,
        correlation=lambda item: item.correlation_id,
    )


def _grants(member: StaffMember) -> list[Grant]:
    return [Grant.model_validate(g) for g in member.grants]


def covers(member: StaffMember, organization: str, case_type: str) -> bool:
    """The member may see cases of this organization and case type (F-AD-2)."""
    if member.superuser:
        return True
    return any(
        g.organization == organization and (g.case_types is None or case_type in g.case_types)
        for g in _grants(member)
    )


def _channels(member: StaffMember) -> list[tuple[str, str]]:
    channels = []
    if member.email:
        channels.append(("email", member.email))
    if member.alert_sms and member.phone:
        channels.append(("sms", member.phone))
    return channels


async def staff_alerts(session: AsyncSession, event: EventEnvelope) -> list[Delivery]:
    """The alerts a CaseSubmitted or CaseAssigned asks for, by the staff's own settings."""
    data = event.data
    members = (await session.scalars(select(StaffMember).where(StaffMember.active))).all()
    chosen: list[StaffMember] = []
    if isinstance(event, CaseSubmitted):
        kind = "new_case"
        text = texts.staff_new_case(
            data.case_id, data.case_type_name or data.case_type, data.organization
        )
        chosen = [
            m for m in members if m.alert_new_case and covers(m, data.organization, data.case_type)
        ]
    else:
        kind = "assigned"
        text = texts.staff_assigned(data.case_id, data.case_type_name or data.case_type, data.group)
        chosen = [
            m
            for m in members
            if m.alert_assigned
            and m.username != data.assigned_by  # no alert for taking a case oneself
            and (m.username == data.handler or (data.group and data.group in m.groups))
            and covers(m, data.organization, data.case_type)
        ]
    return [
        Delivery(
            id=alert_id(event.event_id, kind, channel, recipient),
            source_event_id=event.event_id,
            case_id=data.case_id,
            kind=kind,
            channel=channel,  # type: ignore[arg-type]
            recipient=recipient,
            text=text,
        )
        for member in chosen
        for channel, recipient in _channels(member)
    ]


async def apply_staff(session: AsyncSession, event: EventEnvelope) -> None:
    """Upsert the replica; an older event than the row holds changes nothing."""
    data = event.data
    values = {
        "username": data.username,
        "name": data.display_name or data.name,
        "email": data.email,
        "phone": data.phone,
        "active": data.active,
        "superuser": data.superuser,
        "grants": [g.model_dump() for g in data.grants],
        "groups": list(data.groups),
        "alert_new_case": data.alert_new_case,
        "alert_assigned": data.alert_assigned,
        "alert_sms": data.alert_sms,
        "changed_at": data.changed_at,
    }
    stmt = insert(StaffMember).values(values)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[StaffMember.username],
            set_={k: stmt.excluded[k] for k in values if k != "username"},
            where=StaffMember.changed_at <= stmt.excluded.changed_at,
        )
    )


async def apply_purge(session: AsyncSession, event: EventEnvelope) -> None:
    """Delete the case's rows (recipients are personal data) and confirm (F-RT-1)."""
    case_id = event.data.case_id
    await session.execute(delete(Notification).where(Notification.case_id == case_id))
    await session.execute(
        insert(PurgedCase)
        .values(case_id=case_id, purged_at=event.data.purged_at)
        .on_conflict_do_nothing()
    )
    confirmed = CasePurgeConfirmed(
        **_base(event),
        data={"case_id": case_id, "service": SERVICE, "confirmed_at": datetime.now(UTC)},
    )
    await stage(session, outbox, [event_row(confirmed)])


def make_case_events(
    deliverer: Deliverer, settings: NotificationSettings
) -> Subscription[EventEnvelope]:
    """Staff replica, staff alerts, purges — in the order they arrive."""

    async def handle(session: AsyncSession, works: list[Work[EventEnvelope]]) -> None:
        alerts: list[tuple[Work[EventEnvelope], list[Delivery]]] = []
        for work in works:
            event = work.item
            if isinstance(event, StaffSettingsChanged):
                await apply_staff(session, event)
            elif isinstance(event, CasePurged):
                await apply_purge(session, event)
            elif isinstance(event, (CaseSubmitted, CaseAssigned)):
                alerts.append((work, await staff_alerts(session, event)))
        if not alerts:
            return
        gone = await purged(session, [w.item.data.case_id for w, _ in alerts])
        alerts = [(w, ds) for w, ds in alerts if w.item.data.case_id not in gone]
        results = await deliverer.deliver([d for _, ds in alerts for d in ds])
        for work, deliveries in alerts:
            await settle(
                session, work, [results[d.id] for d in deliveries], NOTIFICATION_CASE_EVENTS, None
            )

    return Subscription(
        consumer="notification-case-events",
        queue=NOTIFICATION_CASE_EVENTS,
        decode=decode_event,
        key=message_id_key,
        handle=handle,
        batch_size=settings.notification_batch_size,
        batch_wait=settings.notification_batch_wait,
        correlation=lambda item: item.correlation_id,
    )
