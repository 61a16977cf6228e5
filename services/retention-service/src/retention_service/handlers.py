"""Consumer of CasePurgeConfirmed: which service has deleted what it held about a purged case."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from arende_contracts.events import CasePurgeConfirmed, EventEnvelope
from arende_platform.messaging import Subscription, Work, decode_event, message_id_key
from arende_platform.topology import RETENTION_PURGE_CONFIRMATIONS
from retention_service.runs import confirm_purges


async def _handle(session: AsyncSession, works: list[Work[EventEnvelope]]) -> None:
    rows: dict[tuple[int, str], dict[str, Any]] = {}
    for work in works:
        event = work.item
        if not isinstance(event, CasePurgeConfirmed):
            work.reject("unexpected_event", event.event_type)
            continue
        data = event.data
        rows[(data.case_id, data.service)] = {
            "case_id": data.case_id,
            "service": data.service,
            "confirmed_at": data.confirmed_at,
        }
    await confirm_purges(session, list(rows.values()))


def make_purge_confirmations() -> Subscription[EventEnvelope]:
    return Subscription(
        consumer="retention-service.purge-confirmations",
        queue=RETENTION_PURGE_CONFIRMATIONS,
        decode=decode_event,
        key=message_id_key,
        handle=_handle,
        batch_size=200,
        correlation=lambda event: event.correlation_id,
    )
