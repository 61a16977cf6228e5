"""The outbox relay over the real broker: confirmed, routed, and at-least-once with the inbox."""

import uuid
from typing import Any

import pytest
from aio_pika.abc import AbstractIncomingMessage
from prometheus_client import REGISTRY
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from arende_contracts.events import EXCHANGE_INTERNAL
from arende_platform.messaging import Broker, Consumer, Subscription, Work, declare_queue
from arende_platform.outbox import OutboxRelay, stage
from arende_platform.testing import eventually
from arende_platform.topology import QueueSpec

pytestmark = pytest.mark.asyncio(loop_scope="session")

PROBE = QueueSpec(name="platform-test.probe", bindings=((EXCHANGE_INTERNAL, "probe.#"),))


def _row(routing_key: str, payload: str) -> dict[str, Any]:
    return {
        "event_id": uuid.uuid4(),
        "exchange": EXCHANGE_INTERNAL,
        "routing_key": routing_key,
        "event_type": "Probe",
        "body": payload.encode(),
        "headers": {},
        "correlation_id": "probe",
    }


async def _count(db: Any, table: Any) -> int:
    async with db.sessions() as session:
        return (await session.execute(select(func.count()).select_from(table))).scalar_one()


def _relay(db: Any, broker: Broker) -> OutboxRelay:
    return OutboxRelay("platform-test", db.sessions, db.outbox, broker, db.url, poll_seconds=0.1)


class RelayDied(Exception):
    pass


async def test_relay_dying_between_publish_and_mark_republishes_and_inbox_absorbs_it(
    platform_db: Any, broker: Broker
) -> None:
    channel = await broker.channel()
    await declare_queue(channel, PROBE)

    async def handle(session: AsyncSession, works: list[Work[str]]) -> None:
        await session.execute(insert(platform_db.received), [{"payload": w.item} for w in works])

    consumer = Consumer(
        broker,
        platform_db.sessions,
        platform_db.inbox,
        Subscription(
            consumer="probe",
            queue=PROBE,
            decode=lambda m: m.body.decode(),
            key=lambda item, m: m.message_id,
            handle=handle,
        ),
    )
    await consumer.start()
    try:
        async with platform_db.sessions() as session, session.begin():
            await stage(session, platform_db.outbox, [_row("probe.once", "exactly-once")])

        relay = _relay(platform_db, broker)

        async def die(session: AsyncSession, ids: list[int]) -> None:
            raise RelayDied  # the process is gone after the broker confirmed, before the delete

        relay.mark_published = die  # type: ignore[method-assign]
        with pytest.raises(RelayDied):
            await relay.publish_due()
        assert await _count(platform_db, platform_db.outbox) == 1  # not marked sent

        restarted = _relay(platform_db, broker)
        assert await restarted.publish_due() == 1
        assert await _count(platform_db, platform_db.outbox) == 0

        async def received() -> list[str]:
            async with platform_db.sessions() as session:
                return list(
                    (
                        await session.execute(
                            select(platform_db.received.c.payload).where(
                                platform_db.received.c.payload == "exactly-once"
                            )
                        )
                    ).scalars()
                )

        await eventually(received)
        duplicate = lambda: REGISTRY.get_sample_value(  # noqa: E731
            "messages_consumed_total", {"queue": PROBE.name, "outcome": "duplicate"}
        )
        await eventually(lambda: _async(duplicate() == 1.0))
        assert await received() == ["exactly-once"]
    finally:
        await consumer.stop()
        await channel.close()


async def _async(value: Any) -> Any:
    return value


async def test_unroutable_publish_is_not_marked_sent(platform_db: Any, broker: Broker) -> None:
    async with platform_db.sessions() as session, session.begin():
        await stage(session, platform_db.outbox, [_row("nobody.listens.v1", "lost?")])
    before = (
        REGISTRY.get_sample_value(
            "outbox_publish_failures_total", {"service": "platform-test", "reason": "unroutable"}
        )
        or 0
    )

    assert await _relay(platform_db, broker).publish_due() == 0

    async with platform_db.sessions() as session:
        row = (
            await session.execute(
                select(platform_db.outbox).where(
                    platform_db.outbox.c.routing_key == "nobody.listens.v1"
                )
            )
        ).one()
    assert row.attempts == 1
    assert "unroutable" in row.last_error
    assert row.next_attempt_at > row.created_at  # backed off, will be tried again
    after = REGISTRY.get_sample_value(
        "outbox_publish_failures_total", {"service": "platform-test", "reason": "unroutable"}
    )
    assert after == before + 1
    async with platform_db.sessions() as session, session.begin():
        await session.execute(
            platform_db.outbox.delete().where(
                platform_db.outbox.c.routing_key == "nobody.listens.v1"
            )
        )


async def test_relay_wakes_on_notify_and_publishes_persistent_confirmed_messages(
    platform_db: Any, broker: Broker, amqp: Any
) -> None:
    channel = await broker.channel()
    spec = QueueSpec(name="platform-test.wake", bindings=((EXCHANGE_INTERNAL, "wake.#"),))
    await declare_queue(channel, spec)
    relay = OutboxRelay(
        "platform-test",
        platform_db.sessions,
        platform_db.outbox,
        broker,
        platform_db.url,
        poll_seconds=30,  # only NOTIFY can wake it in time
    )
    await relay.start()
    try:
        await eventually(lambda: _async(relay._listener is not None))
        async with platform_db.sessions() as session, session.begin():
            await stage(session, platform_db.outbox, [_row("wake.up", "hello")])
        queue = await channel.get_queue(spec.name, ensure=False)

        async def get() -> AbstractIncomingMessage | None:
            return await queue.get(no_ack=True, fail=False)

        message = await eventually(get, timeout=5)
        assert message.body == b"hello"
        assert message.delivery_mode == 2
        assert message.content_type == "application/json"
    finally:
        await relay.stop()
        await channel.close()
