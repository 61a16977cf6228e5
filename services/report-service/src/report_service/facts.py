"""Keeps report-service's case facts current from case events (`case.*.v1`)."""

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from arende_contracts.events import (
    CaseAssigned,
    CaseClosed,
    CaseResubmitted,
    CaseSubmitted,
    CaseUpdated,
    EventEnvelope,
)
from arende_platform.messaging import Subscription, Work, decode_event, message_id_key
from arende_platform.topology import REPORT_CASE_EVENTS
from report_service.models import CaseFact


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
                updated_at=at,
            )
            .on_conflict_do_nothing(index_elements=["case_id"])
        )
        return
    values: dict[str, Any] = {"updated_at": at}
    if isinstance(event, CaseAssigned):
        values["assigned_at"] = at
        values["status"] = "assigned"
    elif isinstance(event, CaseUpdated):
        values["status"] = data.status.value
    elif isinstance(event, CaseResubmitted):
        values["status"] = data.status.value
    elif isinstance(event, CaseClosed):
        values["status"] = data.status.value
        values["closed_at"] = at
    else:
        return  # archived/purged are handled by the retention work of report-service
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
