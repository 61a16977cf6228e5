"""RabbitMQ: connection, topology, confirmed publishing, and batched idempotent consumers.

Rules this module enforces (see docs/decisions/0002-messaging.md):
- every publish is persistent, `mandatory`, and waits for the broker's confirm; a returned
  (unroutable) or nacked message raises `PublishFailed`;
- a consumer acks only after its database transaction committed; a redelivered message finds its
  key in the inbox and is acked without effect;
- a message that can never succeed (`Rejected`) goes to the queue's dead-letter queue with the
  reason in its headers; a transient failure is retried through delay queues a bounded number of
  times, then dead-lettered; a database outage pauses the consumer instead of burning retries.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import aio_pika
import asyncpg
from aio_pika.abc import (
    AbstractChannel,
    AbstractConnection,
    AbstractExchange,
    AbstractIncomingMessage,
    DeliveryMode,
)
from aio_pika.exceptions import AMQPError, DeliveryError
from pydantic import ValidationError
from sqlalchemy import Table, Text, delete, func, literal, select
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from arende_contracts.events import EventEnvelope, parse_event
from arende_platform.logging import correlation_id
from arende_platform.metrics import (
    BATCH_DURATION,
    MESSAGES_CONSUMED,
    MESSAGES_DEAD_LETTERED,
    MESSAGES_REDELIVERED,
)
from arende_platform.topology import (
    DEAD_LETTER_QUEUE_ARGUMENTS,
    EXCHANGE_DEAD_LETTER,
    EXCHANGES,
    QUEUES,
    QueueSpec,
    queue_arguments,
    retry_queue_arguments,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

HEADER_ATTEMPT = "x-attempt"
HEADER_REASON = "x-reason"
HEADER_REASON_DETAIL = "x-reason-detail"


class PublishFailed(Exception):
    """The broker did not take responsibility for a message (returned, nacked or timed out)."""


class Rejected(Exception):
    """A message that can never be processed; it goes to the dead-letter queue with `reason`."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


ConnectListener = Callable[[AbstractConnection], Awaitable[None]]


class Broker:
    """A supervised connection with a confirming publisher channel.

    The supervisor reconnects after any loss of the connection, declares the topology again and
    re-attaches every consumer on fresh channels. (aio-pika's robust connection was seen, in the
    broker-kill test, to leave consumer channels closed after a node restart.)
    """

    def __init__(self, url: str, service: str, reconnect_seconds: float = 1.0) -> None:
        self.url = url
        self.service = service
        self.reconnect_seconds = reconnect_seconds
        self.connection: AbstractConnection | None = None
        self._channel: AbstractChannel | None = None
        self._exchanges: dict[str, AbstractExchange] = {}
        self._listeners: list[ConnectListener] = []
        self._connected = asyncio.Event()
        self._supervisor: asyncio.Task[None] | None = None

    async def connect(self, timeout: float | None = None) -> None:
        """Start the supervisor and wait until the first connection is up and declared."""
        if self._supervisor is None:
            self._supervisor = asyncio.create_task(self._supervise(), name=f"broker:{self.service}")
        await asyncio.wait_for(self._connected.wait(), timeout)

    def on_connect(self, listener: ConnectListener) -> None:
        """Call `listener` with every new connection (consumers attach their channels there)."""
        self._listeners.append(listener)

    def forget(self, listener: ConnectListener) -> None:
        """Stop calling `listener` on new connections."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    async def _supervise(self) -> None:
        delay = self.reconnect_seconds
        while True:
            lost = asyncio.Event()
            try:
                connection = await aio_pika.connect(
                    self.url, client_properties={"connection_name": self.service}
                )
                connection.close_callbacks.add(lambda *_, lost=lost: lost.set())
                channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
                await declare_topology(channel)
                self.connection, self._channel, self._exchanges = connection, channel, {}
                for listener in self._listeners:
                    await listener(connection)
                self._connected.set()
                log.info("broker connected", extra={"service": self.service})
                delay = self.reconnect_seconds
                await lost.wait()
                log.warning("broker connection lost", extra={"service": self.service})
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("broker connection failed", extra={"error": repr(exc)[:300]})
            self._connected.clear()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30)

    async def close(self) -> None:
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
            self._supervisor = None
        self._connected.clear()
        if self.connection is not None:
            with contextlib.suppress(Exception):
                await self.connection.close()
            self.connection = None

    @property
    def is_connected(self) -> bool:
        return (
            self._connected.is_set()
            and self.connection is not None
            and not self.connection.is_closed
        )

    async def channel(self, prefetch: int | None = None) -> AbstractChannel:
        """A new channel on the current connection (consumers take one each)."""
        if not self.is_connected or self.connection is None:
            raise PublishFailed("broker not connected")
        channel = await self.connection.channel(publisher_confirms=True, on_return_raises=True)
        if prefetch:
            await channel.set_qos(prefetch_count=prefetch)
        return channel

    async def _exchange(self, name: str) -> AbstractExchange:
        if not self.is_connected or self._channel is None:
            raise PublishFailed("broker not connected")
        if name == "":
            return self._channel.default_exchange
        if name not in self._exchanges:
            self._exchanges[name] = await self._channel.get_exchange(name, ensure=False)
        return self._exchanges[name]

    async def publish(
        self,
        exchange: str,
        routing_key: str,
        body: bytes,
        *,
        message_id: str,
        event_type: str | None = None,
        correlation: str | None = None,
        headers: dict[str, Any] | None = None,
        timeout: float = 10,
    ) -> None:
        """Publish one persistent message and wait until the broker confirms it was routed."""
        message = aio_pika.Message(
            body,
            content_type="application/json",
            delivery_mode=DeliveryMode.PERSISTENT,
            message_id=message_id,
            correlation_id=correlation,
            type=event_type,
            app_id=self.service,
            timestamp=datetime.now(UTC),
            headers=headers or {},
        )
        await publish_confirmed(await self._exchange(exchange), message, routing_key, timeout)


async def publish_confirmed(
    exchange: AbstractExchange, message: aio_pika.Message, routing_key: str, timeout: float = 10
) -> None:
    """Publish `mandatory` on a confirming channel; anything but a routed ack raises."""
    try:
        confirmation = await exchange.publish(
            message, routing_key=routing_key, mandatory=True, timeout=timeout
        )
    except DeliveryError as exc:
        raise PublishFailed(f"unroutable or refused: {routing_key}") from exc
    except (AMQPError, TimeoutError, ConnectionError, asyncio.CancelledError) as exc:
        if isinstance(exc, asyncio.CancelledError):
            raise
        raise PublishFailed(f"not confirmed: {exc!r}") from exc
    # aiormq answers Basic.Ack; a Basic.Nack or Basic.Return means the broker did not route it.
    if confirmation is not None and type(confirmation).__name__ != "Ack":
        raise PublishFailed(f"broker answered {type(confirmation).__name__} for {routing_key}")


async def declare_topology(channel: AbstractChannel, queues: Sequence[QueueSpec] = QUEUES) -> None:
    """Declare exchanges, consumer queues, their dead-letter and retry queues, and bindings."""
    for name, kind in EXCHANGES.items():
        await channel.declare_exchange(name, kind, durable=True)
    for spec in queues:
        await declare_queue(channel, spec)


async def declare_queue(channel: AbstractChannel, spec: QueueSpec) -> None:
    """Declare one consumer queue with its dead-letter queue, retry queues and bindings."""
    dlq = await channel.declare_queue(
        spec.dead_letter_queue, durable=True, arguments=DEAD_LETTER_QUEUE_ARGUMENTS
    )
    await dlq.bind(EXCHANGE_DEAD_LETTER, routing_key=spec.name)
    queue = await channel.declare_queue(spec.name, durable=True, arguments=queue_arguments(spec))
    for exchange, routing_key in spec.bindings:
        await queue.bind(exchange, routing_key=routing_key)
    if not spec.external_consumer:
        for delay in spec.retry_delays:
            await channel.declare_queue(
                spec.retry_queue(delay), durable=True, arguments=retry_queue_arguments(spec, delay)
            )


def is_infrastructure_error(exc: BaseException) -> bool:
    """True for faults of the database connection itself, which retrying a message cannot fix."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, (OperationalError, InterfaceError)):
        return True
    return isinstance(
        exc,
        (
            OSError,
            ConnectionError,
            TimeoutError,
            asyncpg.PostgresConnectionError,
            asyncpg.CannotConnectNowError,
            asyncpg.InterfaceError,
        ),
    ) or (exc.__cause__ is not None and is_infrastructure_error(exc.__cause__))


@dataclass
class Work(Generic[T]):
    """One decoded message inside a batch; the handler may reject it."""

    message: AbstractIncomingMessage
    item: T
    key: str
    rejection: Rejected | None = None
    retry_error: Exception | None = None

    def reject(self, reason: str, detail: str = "") -> None:
        """Send this message to the dead-letter queue instead of applying it."""
        self.rejection = Rejected(reason, detail)

    def retry(self, error: Exception) -> None:
        """Send this message through the queue's delay queues while the rest of the batch
        commits (a transient fault of one message, e.g. its SMTP server); after the last delay
        it is dead-lettered."""
        self.retry_error = error

    @property
    def attempt(self) -> int:
        """How many retries came before this delivery (0 on the first)."""
        return delivery_attempt(self.message)


def delivery_attempt(message: AbstractIncomingMessage) -> int:
    """The retry count a message carries (`x-attempt`), 0 on its first delivery."""
    return int((message.headers or {}).get(HEADER_ATTEMPT, 0) or 0)


BatchHandler = Callable[[AsyncSession, list[Work[T]]], Awaitable[None]]


@dataclass
class Subscription(Generic[T]):
    """What a consumer does: decode each message, key it for the inbox, apply a batch."""

    consumer: str
    queue: QueueSpec
    decode: Callable[[AbstractIncomingMessage], T]
    key: Callable[[T, AbstractIncomingMessage], str]
    handle: BatchHandler[T]
    batch_size: int = 1
    batch_wait: float = 0.005
    concurrency: int = 1
    correlation: Callable[[T], str | None] = field(default=lambda item: None)


def decode_event(message: AbstractIncomingMessage) -> EventEnvelope:
    """Decode an internal event by its `event_type`; a malformed one is rejected."""
    try:
        return parse_event(message.body)
    except ValidationError as exc:
        raise Rejected("malformed", str(exc.errors(include_input=False)[:3])) from None


def message_id_key(item: object, message: AbstractIncomingMessage) -> str:
    """The default inbox key: the message id the producer set (the event id)."""
    if not message.message_id:
        raise Rejected("missing_message_id", "message has no message_id")
    return message.message_id


async def claim_keys(
    session: AsyncSession, inbox: Table, consumer: str, keys: Sequence[str]
) -> set[str]:
    """Record keys as handled by `consumer`; return those that were not recorded before."""
    if not keys:
        return set()
    # One cacheable statement whatever the batch size (a multi-row VALUES is compiled anew
    # for every batch).
    keyed = select(
        literal(consumer, Text).label("consumer"),
        func.unnest(literal(list(keys), ARRAY(Text))).label("message_key"),
    )
    stmt = (
        insert(inbox)
        .from_select(["consumer", "message_key"], keyed)
        .on_conflict_do_nothing()
        .returning(inbox.c.message_key)
    )
    return set((await session.execute(stmt)).scalars())


async def release_keys(session: AsyncSession, inbox: Table, consumer: str, keys: list[str]) -> None:
    """Forget keys of rejected messages, so a corrected replay of them is processed."""
    if keys:
        await session.execute(
            delete(inbox).where(inbox.c.consumer == consumer, inbox.c.message_key.in_(keys))
        )


async def inbox_size(session: AsyncSession, inbox: Table) -> int:
    return int((await session.execute(select(func.count()).select_from(inbox))).scalar_one())


class Consumer(Generic[T]):
    """Runs one subscription: batches deliveries, applies them in one transaction, then acks."""

    def __init__(
        self,
        broker: Broker,
        sessions: async_sessionmaker[AsyncSession],
        inbox: Table,
        subscription: Subscription[T],
    ) -> None:
        self.broker = broker
        self.sessions = sessions
        self.inbox = inbox
        self.sub = subscription
        self.queue_name = subscription.queue.name
        self._buffer: asyncio.Queue[AbstractIncomingMessage] = asyncio.Queue()
        self._workers: list[asyncio.Task[None]] = []
        self._channel: AbstractChannel | None = None
        self._dead_letter: AbstractExchange | None = None

    async def start(self) -> None:
        self.broker.on_connect(self._attach)
        if self.broker.is_connected and self.broker.connection is not None:
            await self._attach(self.broker.connection)
        self._workers = [
            asyncio.create_task(self._work(), name=f"consumer:{self.queue_name}:{i}")
            for i in range(self.sub.concurrency)
        ]

    async def stop(self) -> None:
        self.broker.forget(self._attach)
        for task in self._workers:
            task.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        if self._channel is not None and not self._channel.is_closed:
            await self._channel.close()

    async def _attach(self, connection: AbstractConnection) -> None:
        """Consume on a fresh channel of a (new) connection."""
        prefetch = max(2 * self.sub.batch_size * self.sub.concurrency, 10)
        # Deliveries of a lost channel can no longer be acked; the broker redelivers them.
        while not self._buffer.empty():
            self._buffer.get_nowait()
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        await channel.set_qos(prefetch_count=prefetch)
        self._dead_letter = await channel.get_exchange(EXCHANGE_DEAD_LETTER, ensure=False)
        queue = await channel.get_queue(self.queue_name, ensure=False)
        await queue.consume(self._receive)
        self._channel = channel

    async def _receive(self, message: AbstractIncomingMessage) -> None:
        self._buffer.put_nowait(message)

    async def _work(self) -> None:
        while True:
            batch = [await self._buffer.get()]
            deadline = time.monotonic() + self.sub.batch_wait
            while len(batch) < self.sub.batch_size:
                remaining = deadline - time.monotonic()
                if remaining <= 0 and self._buffer.empty():
                    break
                try:
                    batch.append(await asyncio.wait_for(self._buffer.get(), max(remaining, 0)))
                except TimeoutError:
                    break
            try:
                await self.process(batch)
            except Exception:
                # Nothing was acked: the broker redelivers after the channel recovers.
                log.exception("batch failed", extra={"queue": self.queue_name})

    async def process(self, batch: list[AbstractIncomingMessage]) -> None:
        """Apply a batch; on a fault of one message, isolate it by applying one at a time."""
        started = time.perf_counter()
        works: list[Work[T]] = []
        for message in batch:
            if message.redelivered:
                MESSAGES_REDELIVERED.labels(self.queue_name).inc()
            try:
                item = self.sub.decode(message)
                works.append(Work(message, item, self.sub.key(item, message)))
            except Rejected as rejection:
                await self._dead_letter_message(message, rejection)
            except Exception as exc:  # a decoder bug must not lose the message either
                await self._dead_letter_message(message, Rejected("undecodable", repr(exc)[:300]))

        unique: dict[str, Work[T]] = {}
        duplicates: list[Work[T]] = []
        for work in works:
            if work.key in unique:
                duplicates.append(work)
            else:
                unique[work.key] = work

        fresh: list[Work[T]] = []
        delay = 0.5
        while unique:
            try:
                fresh = await self._apply(list(unique.values()))
                break
            except Exception as exc:
                if is_infrastructure_error(exc):
                    log.warning(
                        "database unavailable, consumer paused",
                        extra={"queue": self.queue_name, "error": repr(exc)[:300]},
                    )
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 10)
                    continue
                if len(unique) > 1:
                    for work in unique.values():
                        await self.process([work.message])
                    for work in duplicates:
                        await self._ack(work.message, "duplicate")
                    return
                await self._retry_or_dead_letter(next(iter(unique.values())).message, exc)
                return

        fresh_keys = {w.key for w in fresh}
        done: list[tuple[AbstractIncomingMessage, str]] = []
        for work in fresh:
            if work.rejection is not None:
                await self._dead_letter_message(work.message, work.rejection)
            elif work.retry_error is not None:
                await self._retry_or_dead_letter(work.message, work.retry_error)
            else:
                done.append((work.message, "processed"))
        for work in duplicates + [w for w in unique.values() if w.key not in fresh_keys]:
            done.append((work.message, "duplicate"))
        await self._ack_batch(done)
        BATCH_DURATION.labels(self.queue_name).observe(time.perf_counter() - started)
        self._log_handled([w for w in fresh if w.rejection is None and w.retry_error is None])

    def _correlation(self, work: Work[T]) -> str | None:
        """The correlation id of a message: the subscription's, else the message's own (the
        outbox relay publishes every event with its envelope's correlation id)."""
        return self.sub.correlation(work.item) or work.message.correlation_id

    def _log_handled(self, handled: list[Work[T]]) -> None:
        """One line per batch naming the correlation ids it handled, so a case's id finds this
        service's part in it (one line per batch: cheap at the intake's rates)."""
        if not handled:
            return
        ids = sorted({cid for w in handled if (cid := self._correlation(w))})
        token = correlation_id.set(ids[0] if len(ids) == 1 else None)
        try:
            log.info(
                "messages handled",
                extra={"queue": self.queue_name, "count": len(handled), "correlation_ids": ids},
            )
        finally:
            correlation_id.reset(token)

    async def _ack_batch(self, done: list[tuple[AbstractIncomingMessage, str]]) -> None:
        """Ack a finished batch: one `multiple` ack per channel when this consumer is the only
        worker (every earlier delivery is then settled), else one ack per message."""
        if self.sub.concurrency > 1 or len(done) < 2:
            for message, outcome in done:
                await self._ack(message, outcome)
            return
        newest: dict[int, AbstractIncomingMessage] = {}
        for message, _ in done:
            key = id(message.channel)
            if key not in newest or (message.delivery_tag or 0) > (newest[key].delivery_tag or 0):
                newest[key] = message
        acked: set[int] = set()
        for key, message in newest.items():
            try:
                await message.ack(multiple=True)
                acked.add(key)
            except Exception:  # channel gone: the broker redelivers and the inbox absorbs it
                log.debug("ack on a lost channel", extra={"queue": self.queue_name})
        for message, outcome in done:
            ok = id(message.channel) in acked
            MESSAGES_CONSUMED.labels(self.queue_name, outcome if ok else "unacked").inc()

    async def _apply(self, works: list[Work[T]]) -> list[Work[T]]:
        async with self.sessions() as session, session.begin():
            new_keys = await claim_keys(
                session, self.inbox, self.sub.consumer, [w.key for w in works]
            )
            fresh = [w for w in works if w.key in new_keys]
            for w in fresh:
                w.rejection = w.retry_error = None
            if fresh:
                # The handler's logs carry the batch's correlation id when it has one; a batch
                # of several cases has none (the "messages handled" line lists them all).
                ids = {self._correlation(w) for w in fresh}
                token = correlation_id.set(ids.pop() if len(ids) == 1 else None)
                try:
                    await self.sub.handle(session, fresh)
                finally:
                    correlation_id.reset(token)
                rejected = [
                    w.key for w in fresh if w.rejection is not None or w.retry_error is not None
                ]
                await release_keys(session, self.inbox, self.sub.consumer, rejected)
        return fresh

    async def _ack(self, message: AbstractIncomingMessage, outcome: str) -> None:
        try:
            await message.ack()
        except Exception:  # channel gone: the broker redelivers and the inbox absorbs it
            log.debug("ack on a lost channel", extra={"queue": self.queue_name})
            MESSAGES_CONSUMED.labels(self.queue_name, "unacked").inc()
            return
        MESSAGES_CONSUMED.labels(self.queue_name, outcome).inc()

    async def _retry_or_dead_letter(self, message: AbstractIncomingMessage, exc: Exception) -> None:
        attempt = delivery_attempt(message) + 1
        delays = self.sub.queue.retry_delays
        if attempt > len(delays):
            await self._dead_letter_message(
                message, Rejected("processing_failed", f"{attempt - 1} retries: {exc!r}"[:500])
            )
            return
        delay = delays[attempt - 1]
        log.warning(
            "message failed, retrying",
            extra={
                "queue": self.queue_name,
                "attempt": attempt,
                "delay": delay,
                "error": repr(exc)[:300],
                **({"correlation_id": message.correlation_id} if message.correlation_id else {}),
            },
        )
        assert self._channel is not None
        copy = _copy(message, {HEADER_ATTEMPT: attempt, **_origin(message)})
        try:
            await publish_confirmed(
                self._channel.default_exchange, copy, self.sub.queue.retry_queue(delay)
            )
        except PublishFailed:
            await _nack(message)
            return
        await self._ack(message, "retried")

    async def _dead_letter_message(
        self, message: AbstractIncomingMessage, rejection: Rejected
    ) -> None:
        log.warning(
            "message dead-lettered",
            extra={
                "queue": self.queue_name,
                "reason": rejection.reason,
                "detail": rejection.detail,
                **({"correlation_id": message.correlation_id} if message.correlation_id else {}),
            },
        )
        assert self._dead_letter is not None
        copy = _copy(
            message,
            {
                HEADER_REASON: rejection.reason,
                HEADER_REASON_DETAIL: rejection.detail[:1000],
                **_origin(message),
                "x-dead-lettered-at": datetime.now(UTC).isoformat(),
            },
        )
        try:
            await publish_confirmed(self._dead_letter, copy, self.queue_name)
        except PublishFailed:
            await _nack(message)
            return
        MESSAGES_DEAD_LETTERED.labels(self.queue_name, rejection.reason).inc()
        await self._ack(message, "dead_lettered")


def _origin(message: AbstractIncomingMessage) -> dict[str, Any]:
    """Where the message first came from; a retry arrives from the delay queue, not from there."""
    headers = message.headers or {}
    return {
        "x-original-exchange": headers.get("x-original-exchange", message.exchange or ""),
        "x-original-routing-key": headers.get("x-original-routing-key", message.routing_key or ""),
    }


def _copy(message: AbstractIncomingMessage, extra_headers: dict[str, Any]) -> aio_pika.Message:
    return aio_pika.Message(
        message.body,
        headers={**(message.headers or {}), **extra_headers},
        content_type=message.content_type,
        content_encoding=message.content_encoding,
        delivery_mode=DeliveryMode.PERSISTENT,
        message_id=message.message_id,
        correlation_id=message.correlation_id,
        type=message.type,
        app_id=message.app_id,
        timestamp=message.timestamp,
    )


async def _nack(message: AbstractIncomingMessage) -> None:
    # Requeue is bounded by the quorum queue's delivery limit, then the broker dead-letters it.
    try:
        await message.nack(requeue=True)
    except Exception:
        log.warning("nack failed")
