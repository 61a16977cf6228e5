"""Exactly once towards the recipient, as far as SMTP and HTTP allow (F-NO-3).

For every message a batch asks to send:
1. its notification row is written and committed *before* anything is sent (unique per source
   event, channel and recipient); a row that already says `sent` or `failed` is not sent again;
2. the message is sent (concurrently within the batch, bounded by the SMTP connection pool);
3. an accepted send is recorded (`sent`) in a transaction of its own at once (sends finishing
   meanwhile share the next commit), before the consumer's transaction and its broker ack —
   so a crash between send and ack finds `sent` on redelivery and sends nothing.
What remains is the window between the server's "250 OK" and step 3's commit (milliseconds):
a crash exactly there sends once more, with the same Message-ID. See
docs/decisions/0011-notifications.md.
"""

import asyncio
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from notification_service.metrics import NOTIFICATION_SEND_DURATION, NOTIFICATIONS_SENT
from notification_service.models import Notification
from notification_service.providers import PermanentFailure, Sender, TransientFailure
from notification_service.texts import Text

Channel = Literal["email", "sms"]
Outcome = Literal["sent", "failed", "permanent", "transient"]


@dataclass(frozen=True)
class Delivery:
    """One message to one recipient over one channel."""

    id: uuid.UUID
    source_event_id: uuid.UUID
    case_id: int
    kind: str
    channel: Channel
    recipient: str
    text: Text


@dataclass
class Result:
    """What became of a delivery in this attempt.

    `sent`/`failed`: final (now or in an earlier attempt); `permanent`: refused now;
    `transient`: not accepted now, may be retried.
    """

    delivery: Delivery
    outcome: Outcome
    error: str = ""
    attempts: int = 0
    finished_at: datetime | None = None


def alert_id(source_event_id: uuid.UUID, kind: str, channel: str, recipient: str) -> uuid.UUID:
    """A stable id for a staff alert, so that a redelivered event claims the same row."""
    return uuid.uuid5(source_event_id, f"{kind}:{channel}:{recipient}")


class Deliverer:
    """Claims, sends and records deliveries."""

    def __init__(self, sessions: Callable[[], AsyncSession], senders: dict[str, Sender]) -> None:
        self.sessions = sessions
        self.senders = senders
        self.recorder = SentRecorder(sessions)

    async def deliver(self, deliveries: Sequence[Delivery]) -> dict[uuid.UUID, Result]:
        """Send what has not been sent yet; the outcome of each delivery by id."""
        if not deliveries:
            return {}
        rows = await self._claim(deliveries)
        results: dict[uuid.UUID, Result] = {}
        due: list[Delivery] = []
        for delivery in deliveries:
            row = rows[delivery.id]
            if row.status in ("sent", "failed"):
                results[delivery.id] = Result(
                    delivery, row.status, row.last_error or "", row.attempts, row.finished_at
                )
            else:
                due.append(delivery)
        sent = await asyncio.gather(*(self._send(d, rows[d.id].attempts) for d in due))
        for result in sent:
            results[result.delivery.id] = result
        return results

    async def _claim(self, deliveries: Sequence[Delivery]) -> dict[uuid.UUID, Notification]:
        """Write the rows (committed) and read back their state."""
        async with self.sessions() as session, session.begin():
            await session.execute(
                insert(Notification)
                .values(
                    [
                        {
                            "id": d.id,
                            "source_event_id": d.source_event_id,
                            "case_id": d.case_id,
                            "kind": d.kind,
                            "channel": d.channel,
                            "recipient": d.recipient,
                        }
                        for d in deliveries
                    ]
                )
                .on_conflict_do_nothing()
            )
            found = (
                await session.scalars(
                    select(Notification).where(Notification.id.in_([d.id for d in deliveries]))
                )
            ).all()
        rows = {row.id: row for row in found}
        missing = [d for d in deliveries if d.id not in rows]
        if missing:
            # The same (event, channel, recipient) under another id: that row is the one.
            async with self.sessions() as session:
                for d in missing:
                    rows[d.id] = (
                        await session.scalars(
                            select(Notification).where(
                                Notification.source_event_id == d.source_event_id,
                                Notification.channel == d.channel,
                                Notification.recipient == d.recipient,
                            )
                        )
                    ).one()
        return rows

    async def _send(self, delivery: Delivery, attempts: int) -> Result:
        sender = self.senders[delivery.channel]
        started = time.perf_counter()
        try:
            await sender.send(delivery.id, delivery.recipient, delivery.text)
        except PermanentFailure as exc:
            return Result(delivery, "permanent", str(exc), attempts + 1)
        except TransientFailure as exc:
            return Result(delivery, "transient", str(exc), attempts + 1)
        finally:
            NOTIFICATION_SEND_DURATION.labels(delivery.channel).observe(
                time.perf_counter() - started
            )
        now = datetime.now(UTC)
        await self.recorder.record(delivery.id, attempts + 1, now)
        NOTIFICATIONS_SENT.labels(delivery.channel).inc()
        return Result(delivery, "sent", "", attempts + 1, now)


class SentRecorder:
    """Commits `sent` as soon as a send was accepted, with group commit: sends that finish
    while a commit is running are written together by the next one. Each caller returns only
    after its own row is committed."""

    def __init__(self, sessions: Callable[[], AsyncSession]) -> None:
        self.sessions = sessions
        self._pending: list[tuple[uuid.UUID, int, datetime, asyncio.Future[None]]] = []
        self._lock = asyncio.Lock()

    async def record(self, notification_id: uuid.UUID, attempts: int, at: datetime) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((notification_id, attempts, at, done))
        async with self._lock:
            if not done.done():
                batch, self._pending = self._pending, []
                try:
                    await self._write(batch)
                except BaseException as exc:
                    for *_, waiter in batch:
                        if not waiter.done():
                            waiter.set_exception(exc)
                else:
                    for *_, waiter in batch:
                        waiter.set_result(None)
        await done

    async def _write(self, batch: list[tuple[uuid.UUID, int, datetime, Any]]) -> None:
        async with self.sessions() as session, session.begin():
            # Core (not ORM) UPDATE: one statement executed for every row of the batch.
            table = Notification.__table__
            await session.execute(
                update(table)
                .where(table.c.id == bindparam("row_id"))
                .values(
                    status="sent",
                    attempts=bindparam("row_attempts"),
                    finished_at=bindparam("row_at"),
                    last_error=None,
                ),
                [
                    {"row_id": row_id, "row_attempts": attempts, "row_at": at}
                    for row_id, attempts, at, _ in batch
                ],
            )


async def record_failure(session: AsyncSession, result: Result, final: bool) -> None:
    """In the consumer's transaction: a transient fault (attempts, error) or a final failure."""
    values: dict[str, object] = {"attempts": result.attempts, "last_error": result.error[:1000]}
    if final:
        result.finished_at = datetime.now(UTC)
        values.update(status="failed", finished_at=result.finished_at)
    await session.execute(
        update(Notification).where(Notification.id == result.delivery.id).values(**values)
    )
