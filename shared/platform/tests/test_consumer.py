"""Batched consumer over the real broker: retries through delay queues, then dead-letters."""

import asyncio
import uuid
from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from arende_contracts.events import EXCHANGE_INTERNAL
from arende_platform.messaging import Broker, Consumer, Subscription, Work, declare_queue
from arende_platform.testing import drain, eventually, publish_json
from arende_platform.topology import QueueSpec

pytestmark = pytest.mark.asyncio(loop_scope="session")


class Flaky(Exception):
    pass


async def _run(
    platform_db: Any, broker: Broker, spec: QueueSpec, fail_times: dict[str, int]
) -> Consumer[str]:
    attempts: dict[str, int] = {}

    async def handle(session: AsyncSession, works: list[Work[str]]) -> None:
        for work in works:
            attempts[work.item] = attempts.get(work.item, 0) + 1
            if attempts[work.item] <= fail_times.get(work.item, 0):
                raise Flaky(work.item)
            if work.item.startswith("reject"):
                work.reject("not_wanted", "this one is refused by the handler")
                continue
            await session.execute(insert(platform_db.received), [{"payload": work.item}])

    channel = await broker.channel()
    await declare_queue(channel, spec)
    await channel.close()
    consumer = Consumer(
        broker,
        platform_db.sessions,
        platform_db.inbox,
        Subscription(
            consumer=spec.name,
            queue=spec,
            decode=lambda m: m.body.decode(),
            key=lambda item, m: m.message_id,
            handle=handle,
            batch_size=10,
            batch_wait=0.05,
        ),
    )
    await consumer.start()
    return consumer


async def _payloads(platform_db: Any, prefix: str) -> list[str]:
    async with platform_db.sessions() as session:
        rows = await session.execute(
            select(platform_db.received.c.payload).where(
                platform_db.received.c.payload.like(f"{prefix}%")
            )
        )
        return sorted(rows.scalars())


async def test_transient_failure_is_retried_and_isolated_from_its_batch(
    platform_db: Any, broker: Broker, amqp: Any
) -> None:
    spec = QueueSpec(
        name="platform-test.retry", bindings=((EXCHANGE_INTERNAL, "retry.#"),), retry_delays=(1, 1)
    )
    tag = uuid.uuid4().hex[:6]
    flaky = f"{tag}-flaky"
    consumer = await _run(platform_db, broker, spec, {flaky: 1})
    try:
        for name in (f"{tag}-a", flaky, f"{tag}-b"):
            await publish_json(amqp, EXCHANGE_INTERNAL, "retry.x", name.encode(), message_id=name)
        # The good ones of the batch are not held back by the flaky one...
        await eventually(lambda: _expect(platform_db, tag, [f"{tag}-a", f"{tag}-b"]))
        # ...which succeeds on its retry from the delay queue.
        await eventually(lambda: _expect(platform_db, tag, sorted([f"{tag}-a", f"{tag}-b", flaky])))
    finally:
        await consumer.stop()


async def _expect(platform_db: Any, tag: str, wanted: list[str]) -> bool:
    got = await _payloads(platform_db, tag)
    return all(w in got for w in wanted)


async def test_permanent_failure_ends_in_dead_letter_queue_after_bounded_retries(
    platform_db: Any, broker: Broker, amqp: Any
) -> None:
    spec = QueueSpec(
        name="platform-test.poison",
        bindings=((EXCHANGE_INTERNAL, "poison.#"),),
        retry_delays=(1, 1),
    )
    consumer = await _run(platform_db, broker, spec, {"poison": 99})
    try:
        await publish_json(amqp, EXCHANGE_INTERNAL, "poison.x", b"poison", message_id="poison-1")
        await publish_json(amqp, EXCHANGE_INTERNAL, "poison.x", b"reject-me", message_id="rej-1")
        dead = await drain(amqp, spec.dead_letter_queue, expect=2, timeout=20)
        reasons = {m.message_id: m.headers["x-reason"] for m in dead}
        assert reasons == {"poison-1": "processing_failed", "rej-1": "not_wanted"}
        poison = next(m for m in dead if m.message_id == "poison-1")
        assert poison.headers["x-attempt"] == 2
        assert poison.headers["x-original-routing-key"] == "poison.x"
        # A rejected message leaves no inbox entry: a corrected replay would be processed.
        async with platform_db.sessions() as session:
            keys = (
                (
                    await session.execute(
                        select(platform_db.inbox.c.message_key).where(
                            platform_db.inbox.c.consumer == spec.name
                        )
                    )
                )
                .scalars()
                .all()
            )
        assert "rej-1" not in keys
        await asyncio.sleep(0.2)
    finally:
        await consumer.stop()
