"""Transactional outbox: events are written with the change that caused them and published by a
relay that deletes a row only after the broker confirmed the message was routed."""

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
from pydantic import BaseModel
from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from arende_contracts.events import EXCHANGE_INTERNAL, EventEnvelope
from arende_platform.logging import correlation_id
from arende_platform.messaging import Broker, PublishFailed
from arende_platform.metrics import (
    EVENTS_PUBLISHED,
    OUTBOX_BACKLOG,
    OUTBOX_OLDEST_AGE,
    OUTBOX_PUBLISH_FAILURES,
    OUTBOX_PUBLISHED,
)

log = logging.getLogger(__name__)

NOTIFY_CHANNEL = "outbox"
MAX_BACKOFF = timedelta(seconds=60)


def event_row(event: EventEnvelope) -> dict[str, Any]:
    """The outbox row of an internal event (routing key from its type)."""
    return {
        "event_id": event.event_id,
        "exchange": EXCHANGE_INTERNAL,
        "routing_key": event.routing_key,
        "event_type": event.event_type,
        "body": event.model_dump_json().encode(),
        "headers": {},
        "correlation_id": event.correlation_id,
    }


def message_row(
    *,
    event_id: UUID,
    exchange: str,
    routing_key: str,
    event_type: str,
    payload: BaseModel,
    correlation: str | None = None,
) -> dict[str, Any]:
    """The outbox row of a message in an external contract (e.g. the public case event)."""
    return {
        "event_id": event_id,
        "exchange": exchange,
        "routing_key": routing_key,
        "event_type": event_type,
        "body": payload.model_dump_json().encode(),
        "headers": {},
        "correlation_id": correlation or correlation_id.get(),
    }


async def stage(session: AsyncSession, outbox: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Write outbox rows in the caller's transaction; they are published after commit."""
    if rows:
        await session.execute(insert(outbox), list(rows))


class OutboxRelay:
    """Publishes due outbox rows with confirms in flight; wakes on NOTIFY, polls as a fallback."""

    def __init__(
        self,
        service: str,
        sessions: async_sessionmaker[AsyncSession],
        outbox: Table,
        broker: Broker,
        listen_url: URL,
        batch_size: int = 500,
        poll_seconds: float = 1.0,
    ) -> None:
        self.service = service
        self.sessions = sessions
        self.outbox = outbox
        self.broker = broker
        self.listen_url = listen_url
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._listener: asyncpg.Connection | None = None
        self._measured_at = 0.0

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"outbox-relay:{self.service}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._close_listener()

    async def _listen(self) -> None:
        if self._listener is not None and not self._listener.is_closed():
            return
        dsn = self.listen_url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._listener = await asyncpg.connect(dsn)
        await self._listener.add_listener(NOTIFY_CHANNEL, lambda *_: self._wake.set())

    async def _close_listener(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()
            self._listener = None

    async def _run(self) -> None:
        while True:
            try:
                await self._listen()
                published = await self.publish_due()
                await self.measure()
                if published >= self.batch_size:
                    continue  # more may be waiting
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay iteration failed", extra={"service": self.service})
                await self._close_listener()
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)

    async def publish_due(self) -> int:
        """Publish one batch of due rows; return how many were published."""
        o = self.outbox
        async with self.sessions() as session, session.begin():
            rows = (
                await session.execute(
                    select(
                        o.c.id,
                        o.c.event_id,
                        o.c.exchange,
                        o.c.routing_key,
                        o.c.event_type,
                        o.c.body,
                        o.c.headers,
                        o.c.correlation_id,
                        o.c.attempts,
                    )
                    .where(o.c.next_attempt_at <= func.now())
                    # The order of the index outbox_due, so a batch reads 500 index entries.
                    # ORDER BY id alone made PostgreSQL sort the whole backlog for every batch
                    # (on disk past work_mem: 200,000 rows staged by a retention run). Rows of
                    # one transaction share next_attempt_at (its now()) and keep their id
                    # order; a transaction that depends on another started after it committed.
                    .order_by(o.c.next_attempt_at, o.c.id)
                    .limit(self.batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not rows:
                return 0
            results = await asyncio.gather(
                *(
                    self.broker.publish(
                        r.exchange,
                        r.routing_key,
                        r.body,
                        message_id=str(r.event_id),
                        event_type=r.event_type,
                        correlation=r.correlation_id,
                        headers=r.headers,
                    )
                    for r in rows
                ),
                return_exceptions=True,
            )
            done = [r.id for r, res in zip(rows, results, strict=True) if res is None]
            await self.mark_published(session, done)
            for r, res in zip(rows, results, strict=True):
                if res is None:
                    continue
                reason = "unroutable" if isinstance(res, PublishFailed) else "error"
                OUTBOX_PUBLISH_FAILURES.labels(self.service, reason).inc()
                log.warning(
                    "outbox publish failed",
                    extra={
                        "event_id": str(r.event_id),
                        "routing_key": r.routing_key,
                        "error": str(res),
                    },
                )
                backoff = min(timedelta(seconds=2 ** min(r.attempts, 6)), MAX_BACKOFF)
                await session.execute(
                    update(o)
                    .where(o.c.id == r.id)
                    .values(
                        attempts=o.c.attempts + 1,
                        last_error=str(res)[:500],
                        next_attempt_at=datetime.now(UTC) + backoff,
                    )
                )
        OUTBOX_PUBLISHED.labels(self.service).inc(len(done))
        for r, res in zip(rows, results, strict=True):
            if res is None:
                EVENTS_PUBLISHED.labels(self.service, r.event_type).inc()
        return len(done)

    async def mark_published(self, session: AsyncSession, ids: list[int]) -> None:
        """Remove confirmed rows (the outbox keeps only what is still to be published)."""
        if ids:
            await session.execute(delete(self.outbox).where(self.outbox.c.id.in_(ids)))

    async def measure(self) -> None:
        """Update the backlog gauges (at most every 5 s)."""
        now = time.monotonic()
        if now - self._measured_at < 5:
            return
        self._measured_at = now
        o = self.outbox
        async with self.sessions() as session:
            count, oldest = (
                await session.execute(select(func.count(), func.min(o.c.created_at)))
            ).one()
        OUTBOX_BACKLOG.labels(self.service).set(count)
        age = (datetime.now(UTC) - oldest).total_seconds() if oldest else 0
        OUTBOX_OLDEST_AGE.labels(self.service).set(age)
