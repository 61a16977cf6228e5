"""kill -9 of the database in the middle of intake: every confirmed submission becomes exactly
one case, every case's CaseSubmitted leaves through the outbox, /readyz tells the outage, and
the service carries on by itself once the cluster is back (crash recovery replays the WAL).

The cluster is the test's own (arende_platform.testing.PostgresCluster), never the machine's;
the broker is the machine's RabbitMQ in a vhost of the test's own.
"""

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aio_pika
import httpx
import pytest
import pytest_asyncio
from asgi_lifespan import LifespanManager
from prometheus_client import REGISTRY
from sqlalchemy import func, select

from arende_contracts.access import Actor
from arende_contracts.events import EXCHANGE_INTERNAL, CaseSubmitted
from arende_contracts.external import EXCHANGE_ESERVICE, ROUTING_SUBMISSION_CREATED
from arende_platform.testing import (
    PostgresCluster,
    TestEnvironment,
    eventually,
    isolated_environment,
    publish_many,
    sample_submission,
)
from arende_platform.topology import QUEUES, SUBMISSIONS
from case_service.app import build_app
from case_service.models import Case, CaseEvent
from case_service.settings import CaseServiceSettings

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.slow]

N = 2000
OUTAGE_SECONDS = 3
TOKEN = "db-crash-token"
HEADERS = {
    "x-internal-token": TOKEN,
    "x-actor": Actor(username="admin", superuser=True).model_dump_json(),
}
WATCH_QUEUE = "db-crash-test.case-submitted"


@pytest.fixture
def vhost() -> Iterator[TestEnvironment]:
    with isolated_environment() as env:
        yield env


@pytest_asyncio.fixture(loop_scope="session")
async def cluster() -> AsyncIterator[PostgresCluster]:
    pg = PostgresCluster()
    try:
        await asyncio.to_thread(pg.start)
        yield pg
    finally:
        await asyncio.to_thread(pg.stop)


async def test_database_killed_during_intake_loses_and_duplicates_nothing(
    cluster: PostgresCluster, vhost: TestEnvironment
) -> None:
    settings = CaseServiceSettings(
        rabbitmq_url=vhost.rabbitmq_url,
        database_url=f"{cluster.url}/crash",
        internal_api_token=TOKEN,
        intake_batch_size=100,
    )
    app = build_app(settings)
    # Shutdown waits for in-flight batches (form PDFs among them): generous under a loaded CI.
    async with (
        LifespanManager(app, startup_timeout=60, shutdown_timeout=120),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://cs", headers=HEADERS
        ) as client,
        await aio_pika.connect(vhost.rabbitmq_url) as amqp,
    ):
        runtime: Any = app.state.runtime
        relay_pid = runtime.relay_process.process.pid
        outcomes_before = _outcomes()
        await client.post("/internal/organizations", json={"code": "o", "name": "O"})
        response = await client.post(
            "/internal/case-types",
            json={"code": "flexlinjen", "name": "Anmälan till flexlinjen", "organization": "o"},
        )
        assert response.status_code == 201, response.text

        channel = await amqp.channel(publisher_confirms=True, on_return_raises=True)
        watch = await channel.declare_queue(WATCH_QUEUE, durable=True)
        await watch.bind(EXCHANGE_INTERNAL, routing_key=CaseSubmitted.routing_key)
        bodies = [sample_submission() for _ in range(N)]
        await publish_many(amqp, EXCHANGE_ESERVICE, ROUTING_SUBMISSION_CREATED, bodies)

        async def cases() -> int:
            async with runtime.sessions() as session:
                return (await session.execute(select(func.count()).select_from(Case))).scalar_one()

        async def at_least(n: int) -> bool:
            return await cases() >= n

        async def readyz() -> httpx.Response:
            return await client.get("/readyz")

        await eventually(lambda: at_least(200), timeout=60, interval=0.01)
        await asyncio.to_thread(cluster.kill)

        # While the database is down: not ready, and submissions wait in the queue (ready ones
        # were never delivered, so the kill came before intake was done).
        down = await eventually(lambda: _with_status(readyz, 503), timeout=30, interval=0.2)
        assert down.json()["checks"]["database"] == "failing", down.json()
        assert down.json()["checks"]["broker"] == "ok", down.json()
        waiting = (
            await channel.declare_queue(SUBMISSIONS.name, passive=True)
        ).declaration_result.message_count
        assert waiting, "intake was done before the kill; it proved nothing"
        await asyncio.sleep(OUTAGE_SECONDS)  # the outage itself, not a synchronization
        await asyncio.to_thread(cluster.start)

        up = await eventually(lambda: _with_status(readyz, 200), timeout=60, interval=0.2)
        assert up.json()["checks"] == {"database": "ok", "broker": "ok", "outbox_relay": "ok"}

        await eventually(lambda: at_least(N), timeout=120, interval=0.5)
        async with runtime.sessions() as session:
            total, distinct = (
                await session.execute(
                    select(func.count(), func.count(func.distinct(Case.submission_id)))
                )
            ).one()
            submission_ids = {
                str(s) for s in (await session.execute(select(Case.submission_id))).scalars()
            }
            case_ids = set((await session.execute(select(Case.id))).scalars())
            first_events, cases_with_one = (
                await session.execute(
                    select(func.count(), func.count(func.distinct(CaseEvent.case_id))).where(
                        CaseEvent.kind == "submitted"
                    )
                )
            ).one()
        assert total == distinct == N
        assert submission_ids == {b["submission_id"] for b in bodies}
        assert first_events == cases_with_one == N

        async def outbox_drained() -> bool:
            async with runtime.sessions() as session:
                n = (
                    await session.execute(select(func.count()).select_from(runtime.outbox))
                ).scalar_one()
            return n == 0

        await eventually(outbox_drained, timeout=120, interval=0.5)

        # Every CaseSubmitted arrived; the same event twice (same message id, same body) is
        # at-least-once delivery that consumers' inboxes absorb (decision 0003). Two events
        # for one case would not be absorbed, and must not exist.
        events: dict[str, bytes] = {}
        copies: Counter[str] = Counter()

        async def received_all() -> bool:
            while (message := await watch.get(no_ack=True, fail=False)) is not None:
                assert message.message_id is not None
                assert events.setdefault(message.message_id, message.body) == message.body
                copies[message.message_id] += 1
            return len(events) == N

        await eventually(received_all, timeout=60, interval=0.2)
        assert await watch.get(no_ack=True, fail=False) is None
        parsed = [CaseSubmitted.model_validate_json(body) for body in events.values()]
        assert {str(e.event_id) for e in parsed} == set(events)
        assert {e.data.case_id for e in parsed} == case_ids
        assert {str(e.data.submission_id) for e in parsed} == submission_ids
        duplicates = sum(copies.values()) - N
        print(
            f"\nCaseSubmitted published again after the crash (absorbed by inboxes): {duplicates}"
        )

        # Nothing was retried or dead-lettered: a database outage pauses consumers instead of
        # failing messages (decision 0002). Redeliveries whose commit had gone through before
        # the kill are acked as duplicates.
        outcomes = _outcomes() - outcomes_before
        print(f"consumer outcomes during the test: {dict(outcomes)}")
        assert not {k: v for k, v in outcomes.items() if k[1] in {"retried", "dead_lettered"}}
        for spec in QUEUES:
            dlq = await channel.declare_queue(spec.dead_letter_queue, passive=True)
            dead = dlq.declaration_result.message_count
            if dead:
                message = await dlq.get(no_ack=True)
                raise AssertionError(
                    f"{dead} dead letters in {spec.dead_letter_queue}, e.g. {message.headers}"
                )

        # The same service and relay process recovered by themselves.
        assert runtime.relay_process.process.pid == relay_pid
        assert (await client.get("/readyz")).status_code == 200


async def _with_status(get: Any, status: int) -> httpx.Response | None:
    response: httpx.Response = await get()
    return response if response.status_code == status else None


def _outcomes() -> Counter[tuple[str, str]]:
    """messages_consumed_total of case-service's queues, by (queue, outcome)."""
    counts: Counter[tuple[str, str]] = Counter()
    for metric in REGISTRY.collect():
        if metric.name != "messages_consumed":
            continue
        for sample in metric.samples:
            queue = sample.labels.get("queue", "")
            if sample.name.endswith("_total") and queue.startswith("case-service."):
                counts[(queue, sample.labels["outcome"])] += int(sample.value)
    return counts
