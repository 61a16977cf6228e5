"""Keeps report-service's case facts current from case events (`case.*.v1`).

The counters of the statistics follow the facts by a trigger (migration 0002). A purged case is
folded into the counters as `purged` (Gallrad), its fact row is deleted and the purge is
confirmed with CasePurgeConfirmed.
"""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from arende_contracts.events import (
    CaseArchived,
    CaseAssigned,
    CaseClosed,
    CasePurgeConfirmed,
    CasePurged,
    CaseResubmitted,
    CaseSubmitted,
    CaseUpdated,
    EventEnvelope,
)
from arende_contracts.statuses import CLOSED_STATUSES, CaseStatus
from arende_platform.messaging import Subscription, Work, decode_event, message_id_key
from arende_platform.outbox import event_row, stage
from arende_platform.topology import REPORT_CASE_EVENTS
from report_service.models import CaseFact, PurgedCase, outbox

SERVICE = "report-service"
PURGED = "purged"


async def _purge(session: AsyncSession, event: EventEnvelope) -> None:
    data: Any = event.data
    first = await session.execute(
        insert(PurgedCase)
        .values(case_id=data.case_id, purged_at=data.purged_at)
        .on_conflict_do_nothing(index_elements=["case_id"])
        .returning(PurgedCase.case_id)
    )
    if first.scalar_one_or_none() is not None:
        # Count it as Gallrad: a known case moves there; an unknown one (older than the facts)
        # is inserted as purged. Then the per-case row goes.
        await session.execute(
            insert(CaseFact)
            .values(
                case_id=data.case_id,
                case_type=data.case_type,
                organization=data.organization,
                status=PURGED,
                submitted_at=data.submitted_at,
                updated_at=event.occurred_at,
            )
            .on_conflict_do_update(
                index_elements=["case_id"],
                set_={"status": PURGED, "updated_at": event.occurred_at},
            )
        )
        await session.execute(delete(CaseFact).where(CaseFact.case_id == data.case_id))
    confirmation = CasePurgeConfirmed(
        correlation_id=event.correlation_id,
        producer=SERVICE,
        data={"case_id": data.case_id, "service": SERVICE, "confirmed_at": datetime.now(UTC)},
    )
    await stage(session, outbox, [event_row(confirmation)])


def _status_values(status: str, at: datetime) -> dict[str, Any]:
    """The columns a new status sets: the first start, the close and the last change."""
    values: dict[str, Any] = {"status": status, "status_changed_at": at}
    if status == CaseStatus.IN_PROGRESS:
        values["started_at"] = func.coalesce(CaseFact.started_at, at)
    if status in CLOSED_STATUSES:
        values["closed_at"] = at
    return values


async def _apply(session: AsyncSession, event: EventEnvelope) -> None:
    data: Any = event.data
    at: datetime = event.occurred_at
    if isinstance(event, CaseSubmitted):
        await session.execute(
            insert(CaseFact)
            .values(
                case_id=data.case_id,
                case_type=data.case_type,
                organization=data.organization,
                business_area=data.business_area,
                status=data.status.value,
                submitted_at=data.submitted_at,
                status_changed_at=data.submitted_at,
                updated_at=at,
            )
            .on_conflict_do_nothing(index_elements=["case_id"])
        )
        return
    if isinstance(event, CasePurged):
        await _purge(session, event)
        return
    values: dict[str, Any] = {"updated_at": at}
    if isinstance(event, CaseAssigned):
        values.update(_status_values(CaseStatus.ASSIGNED.value, at))
        values["assigned_at"] = func.coalesce(CaseFact.assigned_at, at)
    elif isinstance(event, CaseUpdated | CaseResubmitted | CaseClosed):
        values.update(_status_values(data.status.value, at))
    elif isinstance(event, CaseArchived):
        values.update(status=CaseStatus.ARCHIVED.value, archived_at=data.archived_at)
    else:
        return
    # Events can arrive out of order; an older event never overwrites a newer state.
    await session.execute(
        update(CaseFact)
        .where(CaseFact.case_id == data.case_id, CaseFact.updated_at <= at)
        .values(**values)
    )


def make_case_events_subscription() -> Subscription[EventEnvelope]:
    async def handle(session: AsyncSession, works: list[Work[EventEnvelope]]) -> None:
        for work in works:
            await _apply(session, work.item)

    return Subscription(
        consumer="case-facts",
        queue=REPORT_CASE_EVENTS,
        decode=decode_event,
        key=message_id_key,
        handle=handle,
        batch_size=100,
        correlation=lambda event: event.correlation_id,
    )
