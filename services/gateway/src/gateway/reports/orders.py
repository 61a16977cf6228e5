"""Orders report-service has not received yet: Rapporter lists them as Beställd (decision 0012).

`place_order` stages ReportRequested in the gateway's outbox and, in the same transaction,
remembers the order in `report_orders`. Until report-service lists the report — the relay, the
broker or report-service may lag or be down — the list adds the remembered order exactly as a
Beställd report (no file yet). A remembered order is forgotten when report-service lists it
(on read) and, in any case, `REMEMBERED_FOR` after it was ordered, so the table holds at most
a day of orders.

Deleting an order report-service has not received: while its outbox row is unpublished (and
not being published: the relay locks the rows it publishes) the gateway deletes the row and
the remembered order together, so report-service never hears of it. Once published but not yet
received, report-service has nothing to delete and the gateway cannot stop the message: the
delete is refused (409) until report-service has it.
"""

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from arende_platform.db import transaction
from gateway.auth.service import Caseworker
from gateway.errors import AppError
from gateway.models import RememberedOrder, outbox
from gateway.reports.client import ReportServiceClient

# Shorter than report-service's REPORT_RETENTION_DAYS (30): a remembered order never outlives
# the report it stands for, even when its orderer does not open Rapporter for a month.
REMEMBERED_FOR = timedelta(days=1)
NOT_RECEIVED = "Rapporten är beställd men inte mottagen än. Försök igen om en stund."


def _expired() -> Any:
    return RememberedOrder.ordered_at < datetime.now(UTC) - REMEMBERED_FOR


async def remember(
    session: AsyncSession, report: dict[str, Any], event_id: UUID, ordered_by: str
) -> None:
    """Remember a staged order (the caller's transaction, with the outbox row); forget the
    orders of everyone that are older than `REMEMBERED_FOR`."""
    await session.execute(delete(RememberedOrder).where(_expired()))
    session.add(
        RememberedOrder(
            report_id=UUID(report["id"]),
            event_id=event_id,
            ordered_by=ordered_by,
            kind=report["kind"],
            name=report["name"],
            case_type=report["case_type"],
            include_form_data=report["include_form_data"],
            archived=report["archived"],
            expected_count=report["expected_count"],
            ordered_at=report["ordered_at"],
        )
    )


def ordered_report(order: RememberedOrder) -> dict[str, Any]:
    """A remembered order as report-service lists a report that is Beställd."""
    return {
        "id": str(order.report_id),
        "kind": order.kind,
        "name": order.name,
        "case_type": order.case_type,
        "include_form_data": order.include_form_data,
        "archived": order.archived,
        "status": "ordered",
        "reason": None,
        "case_count": None,
        "expected_count": order.expected_count,
        "progress": 0,
        "ordered_at": order.ordered_at,
        "finished_at": None,
        "file_size": None,
    }


def _stamp(value: str | datetime) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


async def list_reports(
    sessions: async_sessionmaker[AsyncSession],
    client: ReportServiceClient,
    caseworker: Caseworker,
) -> list[dict[str, Any]]:
    """The caller's reports: report-service's, and the caller's orders it does not list yet,
    newest first. report-service is asked first, so an order it receives meanwhile is listed
    once (from memory) and from report-service on the next read."""
    reports = await client.reports(caseworker.actor)
    listed = {UUID(r["id"]) for r in reports}
    mine = RememberedOrder.ordered_by == caseworker.username
    async with transaction(sessions) as session:
        orders = (await session.scalars(select(RememberedOrder).where(mine))).all()
        received = [o.report_id for o in orders if o.report_id in listed]
        if received or any(o.ordered_at < datetime.now(UTC) - REMEMBERED_FOR for o in orders):
            await session.execute(
                delete(RememberedOrder).where(
                    mine, RememberedOrder.report_id.in_(received) | _expired()
                )
            )
    expired_before = datetime.now(UTC) - REMEMBERED_FOR
    waiting = [
        ordered_report(o)
        for o in orders
        if o.report_id not in listed and o.ordered_at >= expired_before
    ]
    if not waiting:
        return reports
    return sorted([*reports, *waiting], key=lambda r: _stamp(r["ordered_at"]), reverse=True)


async def _remembered(
    session: AsyncSession, caseworker: Caseworker, report_id: UUID, *, lock: bool = False
) -> RememberedOrder | None:
    query = select(RememberedOrder).where(
        RememberedOrder.report_id == report_id,
        RememberedOrder.ordered_by == caseworker.username,
        ~_expired(),
    )
    if lock:
        query = query.with_for_update()
    return (await session.scalars(query)).one_or_none()


async def get_report(
    sessions: async_sessionmaker[AsyncSession],
    client: ReportServiceClient,
    caseworker: Caseworker,
    report_id: UUID,
) -> dict[str, Any]:
    """One of the caller's reports; an order report-service has not received is Beställd."""
    try:
        return await client.report(caseworker.actor, str(report_id))
    except AppError as exc:
        if exc.status_code != 404:
            raise
        async with transaction(sessions) as session:
            order = await _remembered(session, caseworker, report_id)
        if order is None:
            raise
        return ordered_report(order)


async def delete_report(
    sessions: async_sessionmaker[AsyncSession],
    client: ReportServiceClient,
    caseworker: Caseworker,
    report_id: UUID,
) -> None:
    """Delete one of the caller's reports, or cancel an order still in the gateway's outbox."""
    async with transaction(sessions) as session:
        order = await _remembered(session, caseworker, report_id, lock=True)
        if order is not None:
            # SKIP LOCKED: a row the relay holds is being published right now.
            staged = await session.scalar(
                select(outbox.c.id)
                .where(outbox.c.event_id == order.event_id)
                .with_for_update(skip_locked=True)
            )
            if staged is not None:
                await session.execute(delete(outbox).where(outbox.c.id == staged))
                await session.delete(order)
                return
    try:
        await client.delete(caseworker.actor, str(report_id))
    except AppError as exc:
        if exc.status_code == 404 and order is not None:
            raise AppError(409, NOT_RECEIVED) from exc
        raise
    if order is not None:
        async with transaction(sessions) as session:
            await session.execute(
                delete(RememberedOrder).where(RememberedOrder.report_id == report_id)
            )
