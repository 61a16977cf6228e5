"""Kill -9 the outbox relay again and again while it publishes: nothing is lost, and the inbox
turns the republished duplicates into exactly one effect each."""

import asyncio
import os
import random
import signal
import sys
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from prometheus_client import REGISTRY
from sqlalchemy import BigInteger, Column, MetaData, Table, Text, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from arende_contracts.events import EXCHANGE_INTERNAL
from arende_platform.db import create_engine, create_sessionmaker, ensure_database
from arende_platform.messaging import Broker, Consumer, Subscription, Work, declare_queue
from arende_platform.outbox import stage
from arende_platform.tables import OUTBOX_NOTIFY_DDL, inbox_table, outbox_table
from arende_platform.testing import TestEnvironment, eventually
from arende_platform.topology import QueueSpec

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.slow]

EVENTS = 3000
MAX_KILLS = 6
QUEUE = QueueSpec(name="crash-test.events", bindings=((EXCHANGE_INTERNAL, "crash.#"),))

RELAY_PROCESS = """
import asyncio, sys
from sqlalchemy import MetaData, make_url
from arende_platform.db import create_engine, create_sessionmaker
from arende_platform.messaging import Broker
from arende_platform.outbox import OutboxRelay
from arende_platform.tables import outbox_table

async def main(db_url, amqp_url):
    url = make_url(db_url)
    engine = create_engine(url)
    broker = Broker(amqp_url, "crash-relay")
    await broker.connect()
    print("ready", flush=True)
    relay = OutboxRelay("crash-relay", create_sessionmaker(engine), outbox_table(MetaData()),
                        broker, url, batch_size=100)
    while await relay.publish_due():
        pass
    await broker.close()
    await engine.dispose()

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def crash_db(test_env: TestEnvironment) -> AsyncIterator[tuple[Any, Table, Table, Table]]:
    url = test_env.settings().service_database_url("crash")
    await ensure_database(url)
    metadata = MetaData()
    outbox, inbox = outbox_table(metadata), inbox_table(metadata)
    received = Table(
        "received",
        metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("event", Text, nullable=False),
    )
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        for ddl in OUTBOX_NOTIFY_DDL:
            await conn.execute(text(ddl))
    try:
        yield create_sessionmaker(engine), outbox, inbox, received
    finally:
        await engine.dispose()


async def test_relay_killed_repeatedly_loses_nothing_and_duplicates_are_absorbed(
    test_env: TestEnvironment, crash_db: tuple[Any, Table, Table, Table]
) -> None:
    sessions, outbox, inbox, received = crash_db
    broker = Broker(test_env.rabbitmq_url, "crash-test")
    await broker.connect()
    channel = await broker.channel()
    await declare_queue(channel, QUEUE)
    async with sessions() as session, session.begin():
        await stage(
            session,
            outbox,
            [
                {
                    "event_id": uuid.uuid4(),
                    "exchange": EXCHANGE_INTERNAL,
                    "routing_key": "crash.event",
                    "event_type": "Crash",
                    "body": f"event-{i}".encode(),
                    "headers": {},
                    "correlation_id": None,
                }
                for i in range(EVENTS)
            ],
        )

    async def remaining() -> int:
        async with sessions() as session:
            return (await session.execute(select(func.count()).select_from(outbox))).scalar_one()

    url = test_env.settings().service_database_url("crash").render_as_string(hide_password=False)
    kills = 0
    rng = random.Random(7)
    while await remaining():
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            RELAY_PROCESS,
            url,
            test_env.rabbitmq_url,
            stdout=asyncio.subprocess.PIPE,
        )
        assert child.stdout is not None
        assert (await asyncio.wait_for(child.stdout.readline(), timeout=60)) == b"ready\n"
        if kills >= MAX_KILLS:  # enough chaos: let this one finish the work
            assert await asyncio.wait_for(child.wait(), timeout=120) == 0
            break
        # Kill it while it publishes: a few batches in, at a random moment.
        await asyncio.sleep(rng.uniform(0.05, 0.4))
        if child.returncode is None:
            os.kill(child.pid, signal.SIGKILL)
            kills += 1
        await child.wait()
    assert await remaining() == 0
    assert kills > 0, "the relay was never killed; the test proved nothing"

    async def handle(session: AsyncSession, works: list[Work[str]]) -> None:
        await session.execute(insert(received), [{"event": w.item} for w in works])

    consumer = Consumer(
        broker,
        sessions,
        inbox,
        Subscription(
            consumer="crash",
            queue=QUEUE,
            decode=lambda m: m.body.decode(),
            key=lambda item, m: m.message_id,
            handle=handle,
            batch_size=200,
        ),
    )
    await consumer.start()
    try:

        async def all_received() -> bool:
            async with sessions() as session:
                n = (await session.execute(select(func.count()).select_from(received))).scalar()
            return n == EVENTS

        await eventually(all_received, timeout=60)
        await eventually(lambda: _drained(channel), timeout=30)  # duplicates consumed as well
        async with sessions() as session:
            rows = (await session.execute(select(received.c.event))).scalars().all()
        assert len(rows) == EVENTS
        assert set(rows) == {f"event-{i}" for i in range(EVENTS)}
        consumed = sum(
            REGISTRY.get_sample_value(
                "messages_consumed_total", {"queue": QUEUE.name, "outcome": outcome}
            )
            or 0
            for outcome in ("processed", "duplicate")
        )
        assert consumed >= EVENTS
        print(f"relay killed {kills} times; {consumed - EVENTS:.0f} duplicates absorbed")
    finally:
        await consumer.stop()
        await channel.close()
        await broker.close()


async def _drained(channel: Any) -> bool:
    declared = await channel.declare_queue(QUEUE.name, passive=True)
    return declared.declaration_result.message_count == 0
