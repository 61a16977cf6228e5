"""kill -9 of the broker in the middle of intake: every confirmed submission becomes exactly one
case and every CaseSubmitted still leaves through the outbox once the node is back.

The node is the test's own (arende_platform.testing.RabbitNode), never the machine's.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aio_pika
import httpx
import pytest
import pytest_asyncio
from asgi_lifespan import LifespanManager
from sqlalchemy import func, select

from arende_contracts.access import Actor
from arende_contracts.external import EXCHANGE_ESERVICE, ROUTING_SUBMISSION_CREATED
from arende_platform.testing import (
    SERVER,
    RabbitNode,
    drop_databases,
    eventually,
    publish_many,
    sample_submission,
)
from case_service.app import build_app
from case_service.models import Case
from case_service.settings import CaseServiceSettings

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.slow]

SUBMISSIONS = 3000
HEADERS = {
    "x-internal-token": "crash-token",
    "x-actor": Actor(username="admin", superuser=True).model_dump_json(),
}


@pytest_asyncio.fixture(loop_scope="session")
async def node() -> AsyncIterator[RabbitNode]:
    rabbit = RabbitNode()
    await asyncio.to_thread(rabbit.start)
    try:
        yield rabbit
    finally:
        rabbit.stop()


async def test_broker_killed_during_intake_loses_and_duplicates_nothing(node: RabbitNode) -> None:
    prefix = f"crash{uuid.uuid4().hex[:8]}"
    settings = CaseServiceSettings(
        rabbitmq_url=node.url,
        database_url=f"{SERVER}/{prefix}",
        internal_api_token="crash-token",
        intake_batch_size=100,
    )
    app = build_app(settings)
    try:
        # Shutdown waits for in-flight batches (form PDFs among them): generous under a loaded CI.
        async with LifespanManager(app, startup_timeout=60, shutdown_timeout=120):
            runtime: Any = app.state.runtime
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://cs", headers=HEADERS
            ) as client:
                await client.post("/internal/organizations", json={"code": "o", "name": "O"})
                response = await client.post(
                    "/internal/case-types",
                    json={
                        "code": "flexlinjen",
                        "name": "Anmälan till flexlinjen",
                        "organization": "o",
                    },
                )
                assert response.status_code == 201, response.text
            # A quorum queue declared moments before a kill can come back empty (STACK-NOTES).
            await asyncio.sleep(10)

            bodies = [sample_submission() for _ in range(SUBMISSIONS)]
            connection = await aio_pika.connect(node.url)
            async with connection:
                await publish_many(
                    connection, EXCHANGE_ESERVICE, ROUTING_SUBMISSION_CREATED, bodies
                )

            async def cases() -> int:
                async with runtime.sessions() as session:
                    return (
                        await session.execute(select(func.count()).select_from(Case))
                    ).scalar_one()

            await eventually(lambda: _at_least(cases, 200), timeout=60, interval=0.01)
            node.kill()
            created_before_kill = await cases()
            await asyncio.sleep(1)
            await asyncio.to_thread(node.start)

            await eventually(lambda: _at_least(cases, SUBMISSIONS), timeout=180, interval=0.5)
            await asyncio.sleep(2)  # redeliveries of already-applied messages arrive too
            async with runtime.sessions() as session:
                total, distinct = (
                    await session.execute(
                        select(func.count(), func.count(func.distinct(Case.submission_id)))
                    )
                ).one()
            assert created_before_kill < SUBMISSIONS, "the kill came too late to prove anything"
            assert total == distinct == SUBMISSIONS
            assert {str(s) for s in (await _submission_ids(runtime))} == {
                b["submission_id"] for b in bodies
            }

            async def outbox_drained() -> bool:
                async with runtime.sessions() as session:
                    n = (
                        await session.execute(select(func.count()).select_from(runtime.outbox))
                    ).scalar_one()
                return n == 0

            await eventually(outbox_drained, timeout=180, interval=0.5)
    finally:
        await drop_databases(prefix)


async def _at_least(count: Any, n: int) -> bool:
    return await count() >= n


async def _submission_ids(runtime: Any) -> list[Any]:
    async with runtime.sessions() as session:
        return list((await session.execute(select(Case.submission_id))).scalars())
