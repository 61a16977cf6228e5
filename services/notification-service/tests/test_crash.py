"""notification-service killed (-9) between an accepted e-mail and the broker ack: the
redelivered request finds its row `sent` and no second e-mail goes out."""

import asyncio
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aio_pika
import asyncpg
import httpx
import pytest
import pytest_asyncio

from arende_contracts.events import EXCHANGE_INTERNAL, NotificationRequested
from arende_platform.testing import TestEnvironment, drain, eventually
from arende_platform.topology import NOTIFICATION_REQUESTS

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.slow]

OUTCOMES = "test.crash-outcomes"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def start_service(
    env: TestEnvironment, smtp_port: int
) -> tuple[asyncio.subprocess.Process, int]:
    port = free_port()
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "notification_service",
        env={
            **os.environ,
            **env.environ(
                NOTIFICATION_SERVICE_PORT=str(port),
                SMTP_PORT=str(smtp_port),
                SMTP_TIMEOUT_SECONDS="30",
                # Both requests in one batch: the first is sent while the second still hangs.
                NOTIFICATION_BATCH_WAIT="0.5",
                NOTIFICATION_CONCURRENCY="1",
                LOG_LEVEL="WARNING",
            ),
        },
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )

    async def ready() -> bool:
        try:
            async with httpx.AsyncClient() as client:
                return (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200
        except httpx.HTTPError:
            return False

    await eventually(ready, timeout=60, interval=0.2)
    return child, port


@pytest_asyncio.fixture(loop_scope="session")
async def bus(env: TestEnvironment) -> AsyncIterator[aio_pika.abc.AbstractConnection]:
    connection = await aio_pika.connect(env.rabbitmq_url)
    try:
        yield connection
    finally:
        await connection.close()


def request(recipient: str) -> NotificationRequested:
    return NotificationRequested(  # type: ignore[no-any-return]
        correlation_id="crash",
        producer="case-service",
        data={
            "notification_id": uuid.uuid4(),
            "case_id": 77,
            "case_type_name": "Anmälan till flexlinjen",
            "channel": "email",
            "recipient": recipient,
            "reason": "update",
        },
    )


async def test_killed_between_send_and_ack_sends_no_second_email(
    env: TestEnvironment, smtp: tuple[Any, int], bus: aio_pika.abc.AbstractConnection
) -> None:
    mailbox, smtp_port = smtp
    first, second = (f"{n}-{uuid.uuid4().hex[:6]}@testare.se" for n in ("forsta", "andra"))
    mailbox.hang.add(second)
    child, _ = await start_service(env, smtp_port)
    try:
        channel = await bus.channel(publisher_confirms=True)
        outcomes = await channel.declare_queue(OUTCOMES, durable=True)
        for key in ("notification.sent.v1", "notification.failed.v1"):
            await outcomes.bind(EXCHANGE_INTERNAL, key)
        exchange = await channel.get_exchange(EXCHANGE_INTERNAL, ensure=False)
        for event in (request(first), request(second)):
            await exchange.publish(
                aio_pika.Message(
                    event.model_dump_json().encode(),
                    message_id=str(event.event_id),
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                ),
                routing_key=event.routing_key,
            )
        database = await asyncpg.connect(f"{env.database_url}_notification")

        async def first_recorded_and_second_hanging() -> bool:
            status = await database.fetchval(
                "SELECT status FROM notifications WHERE recipient = $1", first
            )
            return status == "sent" and mailbox.hanging.is_set()

        await eventually(first_recorded_and_second_hanging, timeout=30)
        assert len(mailbox.to(first)) == 1
        os.kill(child.pid, signal.SIGKILL)
        await child.wait()
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()

    # Both requests were unacknowledged when the process died: the broker holds them again.
    async def requeued() -> bool:
        queue = await channel.declare_queue(NOTIFICATION_REQUESTS.name, passive=True)
        return queue.declaration_result.message_count == 2

    await eventually(requeued, timeout=30)
    mailbox.hang.discard(second)
    mailbox.release.set()

    child, _ = await start_service(env, smtp_port)
    try:
        reported = await drain(bus, OUTCOMES, 2, timeout=30)
        assert sorted(m.routing_key for m in reported) == ["notification.sent.v1"] * 2
        assert len(mailbox.to(first)) == 1, "the recorded send was repeated"
        assert len(mailbox.to(second)) == 1
        assert mailbox.attempts[first] == 1
        rows = await database.fetch("SELECT recipient, status FROM notifications")
        assert {r["recipient"]: r["status"] for r in rows} == {first: "sent", second: "sent"}
    finally:
        await database.close()
        child.send_signal(signal.SIGTERM)
        await asyncio.wait_for(child.wait(), 30)
