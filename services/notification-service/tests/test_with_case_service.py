"""case-service and notification-service together (both in this process, real broker, database,
SMTP and HTTP servers): a caseworker's update reaches the submitter, and the outcome is recorded
on the case as an internal event (F-NO-1, F-NO-2); an opt-out sends nothing."""

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from asgi_lifespan import LifespanManager
from sqlalchemy import select

from arende_contracts.access import Actor, Grant
from arende_contracts.external import EXCHANGE_ESERVICE, ROUTING_SUBMISSION_CREATED
from arende_platform.testing import TestEnvironment, eventually, publish_json, sample_submission
from case_service.app import build_app as build_case_service
from case_service.models import Case
from case_service.settings import CaseServiceSettings
from notification_service.app import build_app
from notification_service.settings import NotificationSettings

pytestmark = pytest.mark.asyncio(loop_scope="session")

TOKEN = {"x-internal-token": "test-internal-token"}
HANDLER = Actor(
    username="hanna",
    name="Hanna Handläggare",
    grants=[Grant(organization="fardtjansten", role="handler")],
)
ACTOR = {**TOKEN, "x-actor": json.dumps(HANDLER.model_dump(mode="json"), ensure_ascii=True)}


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def services(
    env: TestEnvironment, smtp: tuple[Any, int], sms_gateway: tuple[Any, str]
) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    cases = build_case_service(env.settings(CaseServiceSettings, intake_batch_wait=0.02))
    notifications = build_app(
        env.settings(
            NotificationSettings,
            smtp_port=smtp[1],
            sms_gateway_url=sms_gateway[1],
            sms_user="u",
            sms_password="p",
        )
    )
    async with (
        LifespanManager(cases, startup_timeout=120, shutdown_timeout=30),
        LifespanManager(notifications, startup_timeout=120, shutdown_timeout=30),
    ):
        transport = httpx.ASGITransport(app=cases)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://case-service", headers=TOKEN
        ) as client:
            superuser = {"x-actor": Actor(username="admin", superuser=True).model_dump_json()}
            org = {"code": "fardtjansten", "name": "Färdtjänsten"}
            response = await client.post("/internal/organizations", json=org, headers=superuser)
            assert response.status_code == 201, response.text
            for code, notify in (("flexlinjen", True), ("tyst", False)):
                body = {
                    "code": code,
                    "name": "Anmälan till flexlinjen",
                    "organization": "fardtjansten",
                    "notify_email": notify,
                    "notify_sms": notify,
                }
                response = await client.post("/internal/case-types", json=body, headers=superuser)
                assert response.status_code == 201, response.text
            yield cases, client


async def submit(env: TestEnvironment, cases: Any, amqp: Any, email: str, phone: str) -> int:
    submitter = {**sample_submission()["submitter"], "email": email, "phone": phone}
    body = sample_submission("flexlinjen", submitter=submitter)
    await publish_json(amqp, EXCHANGE_ESERVICE, ROUTING_SUBMISSION_CREATED, body)

    async def case_id() -> int | None:
        async with cases.state.runtime.sessions() as session:
            return (
                await session.execute(
                    select(Case.id).where(Case.submission_id == body["submission_id"])
                )
            ).scalar_one_or_none()

    return await eventually(case_id)  # type: ignore[no-any-return]


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def bus(env: TestEnvironment) -> AsyncIterator[Any]:
    import aio_pika

    connection = await aio_pika.connect(env.rabbitmq_url)
    try:
        yield connection
    finally:
        await connection.close()


async def notification_events(client: httpx.AsyncClient, case_id: int) -> list[dict[str, Any]]:
    case = (await client.get(f"/internal/cases/{case_id}", headers=ACTOR)).json()
    return [e for e in case["events"] if e["kind"] == "notification"]


async def test_update_notifies_and_the_case_records_where(
    env: TestEnvironment, services: Any, bus: Any, smtp: Any, sms_gateway: Any
) -> None:
    cases, client = services
    mailbox, gateway = smtp[0], sms_gateway[0]
    email, phone = f"carin-{uuid.uuid4().hex[:6]}@testare.se", "+46735366305"
    case_id = await submit(env, cases, bus, email, phone)
    response = await client.post(
        f"/internal/cases/{case_id}/update",
        json={"status": "in_progress", "title": "Det jobbas på här", "notify": True},
        headers=ACTOR,
    )
    assert response.status_code == 200, response.text
    assert response.json()["notified"] == [phone, email]

    async def recorded() -> list[dict[str, Any]] | None:
        found = await notification_events(client, case_id)
        return found if len(found) == 2 else None

    events = await eventually(recorded, timeout=30)
    assert {e["message"] for e in events} == {
        f"Notifiering har skickats via e-post till {email}.",
        f"Notifiering har skickats via SMS till {phone}.",
    }
    assert all(e["internal"] for e in events)
    assert len(mailbox.to(email)) == 1
    assert [s["to"] for s in gateway.received].count(phone) == 1


async def test_opt_out_sends_nothing(
    env: TestEnvironment, services: Any, bus: Any, smtp: Any
) -> None:
    cases, client = services
    mailbox = smtp[0]
    email = f"optout-{uuid.uuid4().hex[:6]}@testare.se"
    case_id = await submit(env, cases, bus, email, "+46735366306")
    response = await client.post(
        f"/internal/cases/{case_id}/update",
        json={"status": "in_progress", "title": "Tyst", "notify": False},
        headers=ACTOR,
    )
    assert response.status_code == 200, response.text
    assert response.json()["notified"] == []
    # A later, notifying update to another address proves the pipeline ran meanwhile.
    marker = await submit(env, cases, bus, f"marker-{uuid.uuid4().hex[:6]}@testare.se", "")
    await client.post(
        f"/internal/cases/{marker}/update", json={"title": "Hej", "notify": True}, headers=ACTOR
    )
    await eventually(lambda: _ready(notification_events(client, marker)), timeout=30)
    assert mailbox.to(email) == []
    assert await notification_events(client, case_id) == []


async def _ready(events: Any) -> bool:
    return bool(await events)


async def test_a_refused_email_is_recorded_on_the_case(
    env: TestEnvironment, services: Any, bus: Any, smtp: Any
) -> None:
    cases, client = services
    mailbox = smtp[0]
    email = f"refused-{uuid.uuid4().hex[:6]}@testare.se"
    mailbox.script[email] = ["550 5.1.1 No such user"]
    case_id = await submit(env, cases, bus, email, "")
    response = await client.post(
        f"/internal/cases/{case_id}/update", json={"title": "Beslut", "notify": True}, headers=ACTOR
    )
    assert response.json()["notified"] == [email]
    [event] = await eventually(lambda: _nonempty(notification_events(client, case_id)), timeout=30)
    assert event["internal"] and event["title"] == "Notifiering via e-post misslyckades"
    assert email in event["message"] and "550" in event["message"]


async def _nonempty(events: Any) -> Any:
    return await events or None
