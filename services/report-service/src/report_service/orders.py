"""Report orders from the gateway (ReportRequested): each becomes a report that is Beställd."""

from collections.abc import Callable

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from arende_contracts.events import EventEnvelope, ReportRequested
from arende_contracts.reports import report_name
from arende_platform.messaging import Subscription, Work, decode_event, message_id_key
from arende_platform.topology import REPORT_REQUESTS
from report_service.metrics import REPORTS_REQUESTED
from report_service.models import Report


def make_report_orders(on_order: Callable[[], None]) -> Subscription[EventEnvelope]:
    """`on_order` wakes the worker (it also polls, so a wake-up before commit loses nothing)."""

    async def handle(session: AsyncSession, works: list[Work[EventEnvelope]]) -> None:
        for work in works:
            event = work.item
            if not isinstance(event, ReportRequested):
                work.reject("unexpected_event", event.event_type)
                continue
            order = event.data
            inserted = await session.execute(
                insert(Report)
                .values(
                    id=order.report_id,
                    kind=order.kind,
                    ordered_by=order.ordered_by,
                    name=report_name(
                        order.kind, order.case_type_name or order.case_type, order.name
                    ),
                    case_type=order.case_type,
                    include_form_data=order.include_form_data,
                    archived=order.archived,
                    request=order.model_dump(mode="json"),
                    status="ordered",
                    expected_count=order.expected_count,
                    ordered_at=event.occurred_at,
                )
                .on_conflict_do_nothing(index_elements=["id"])
                .returning(Report.id)
            )
            if inserted.scalar_one_or_none() is not None:
                REPORTS_REQUESTED.labels(order.kind).inc()
        on_order()

    return Subscription(
        consumer="report-orders",
        queue=REPORT_REQUESTS,
        decode=decode_event,
        key=message_id_key,
        handle=handle,
        batch_size=20,
        correlation=lambda event: event.correlation_id,
    )
