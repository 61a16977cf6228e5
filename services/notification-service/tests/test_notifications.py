"""notification-service against a real SMTP server, a real HTTP SMS gateway, RabbitMQ and
PostgreSQL: what is delivered to whom, retries, refusals, staff alerts and purges."""

import base64
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aio_pika
import pytest
import pytest_asyncio
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import func, select

from arende_contracts.events import (
    EXCHANGE_INTERNAL,
    CaseAssigned,
    CasePurged,
    CaseSubmitted,
    EventEnvelope,
    NotificationRequested,
    StaffSettingsChanged,
)
from arende_platform.testing import VALID_PERSONAL_NUMBER, TestEnvironment, drain, eventually
from arende_platform.topology import NOTIFICATION_REQUESTS
from notification_service.app import build_app
from notification_service.models import Notification, PurgedCase
from notification_service.settings import NotificationSettings

pytestmark = pytest.mark.asyncio(loop_scope="session")

OUTCOMES = "test.notification-outcomes"
# The servers' recorders (tests/conftest.py): Mailbox, SmsGateway.
Mailbox = SmsGateway = Any


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def service(
    env: TestEnvironment, smtp: tuple[Mailbox, int], sms_gateway: tuple[SmsGateway, str]
) -> AsyncIterator[FastAPI]:
    _, smtp_port = smtp
    _, sms_url = sms_gateway
    settings = env.settings(
        NotificationSettings,
        smtp_port=smtp_port,
        smtp_timeout_seconds=5,
        sms_gateway_url=sms_url,
        sms_user="u123",
        sms_password="secret",
        sms_from="Kommunen",
    )
    app = build_app(settings)
    async with LifespanManager(app, startup_timeout=120, shutdown_timeout=30):
        yield app


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def bus(
    env: TestEnvironment, service: FastAPI
) -> AsyncIterator[aio_pika.abc.AbstractConnection]:
    """A connection to the module's vhost, with a queue collecting what the service reports."""
    connection = await aio_pika.connect(env.rabbitmq_url)
    channel = await connection.channel()
    queue = await channel.declare_queue(OUTCOMES, durable=True)
    for key in ("notification.sent.v1", "notification.failed.v1", "case.purge_confirmed.v1"):
        await queue.bind(EXCHANGE_INTERNAL, key)
    await channel.close()
    try:
        yield connection
    finally:
        await connection.close()


async def publish(
    connection: aio_pika.abc.AbstractConnection, event: EventEnvelope, **headers: Any
) -> None:
    channel = await connection.channel(publisher_confirms=True)
    exchange = await channel.get_exchange(EXCHANGE_INTERNAL, ensure=False)
    await exchange.publish(
        aio_pika.Message(
            event.model_dump_json().encode(),
            message_id=str(event.event_id),
            type=event.event_type,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            headers=headers,
        ),
        routing_key=event.routing_key,
        mandatory=True,
    )
    await channel.close()


def request(channel: str, recipient: str, case_id: int = 4711) -> EventEnvelope:
    return NotificationRequested(
        correlation_id="test",
        producer="case-service",
        data={
            "notification_id": uuid.uuid4(),
            "case_id": case_id,
            "case_type_name": "Anmälan till flexlinjen",
            "channel": channel,
            "recipient": recipient,
            "reason": "update",
        },
    )


async def outcomes(
    connection: aio_pika.abc.AbstractConnection, expect: int
) -> list[dict[str, Any]]:
    return [json.loads(m.body) for m in await drain(connection, OUTCOMES, expect, timeout=60)]


async def test_email_and_sms_carry_the_standard_text_to_the_recipient(
    bus: Any, smtp: tuple[Mailbox, int], sms_gateway: tuple[SmsGateway, str]
) -> None:
    mailbox, _ = smtp
    gateway, _ = sms_gateway
    address = f"carin-{uuid.uuid4().hex[:6]}@testare.se"
    phone = "+46735366305"
    by_mail, by_sms = request("email", address), request("sms", phone)
    await publish(bus, by_mail)
    await publish(bus, by_sms)

    reported = await outcomes(bus, 2)
    assert {r["event_type"] for r in reported} == {"NotificationSent"}
    assert {(r["data"]["channel"], r["data"]["recipient"]) for r in reported} == {
        ("email", address),
        ("sms", phone),
    }
    [mail] = mailbox.to(address)
    body = mail.get_content()
    assert mail["Subject"] == "Ditt ärende har uppdaterats"
    assert "Anmälan till flexlinjen" in body and "följ ditt ärende på Mina sidor" in body
    assert VALID_PERSONAL_NUMBER not in mail.as_string()
    assert by_mail.data.notification_id.hex in mail["Message-ID"]
    [sms] = [s for s in gateway.received if s["to"] == phone]
    assert sms["from"] == "Kommunen"
    assert sms["message"] == (
        "Ditt ärende Anmälan till flexlinjen har uppdaterats, följ ditt ärende på Mina sidor."
    )
    assert gateway.auth[-1] == basic("u123", "secret")


async def test_smtp_failing_twice_then_accepting_sends_exactly_one_email(
    bus: Any, service: FastAPI, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, _ = smtp
    address = f"flaky-{uuid.uuid4().hex[:6]}@testare.se"
    mailbox.script[address] = ["451 4.3.0 Try again later", "421 4.7.0 Too busy"]
    event = request("email", address)
    await publish(bus, event)

    [reported] = await outcomes(bus, 1)
    assert reported["event_type"] == "NotificationSent"
    assert mailbox.attempts[address] == 3
    assert len(mailbox.to(address)) == 1
    async with service.state.runtime.sessions() as session:
        row = await session.get(Notification, event.data.notification_id)
    assert row is not None and (row.status, row.attempts) == ("sent", 3)


async def test_refused_email_is_reported_and_dead_lettered(
    bus: Any, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, _ = smtp
    address = f"refused-{uuid.uuid4().hex[:6]}@testare.se"
    mailbox.script[address] = ["550 5.1.1 No such user"]
    await publish(bus, request("email", address))

    [reported] = await outcomes(bus, 1)
    assert reported["event_type"] == "NotificationFailed"
    assert reported["data"]["reason"] == "permanent" and "550" in reported["data"]["error"]
    [dead] = await drain(bus, NOTIFICATION_REQUESTS.dead_letter_queue, 1)
    assert dead.headers["x-reason"] == "permanent"
    assert mailbox.to(address) == [] and mailbox.attempts[address] == 1


async def test_a_transient_fault_on_the_last_retry_is_recorded_as_exhausted(
    bus: Any, smtp: tuple[Mailbox, int]
) -> None:
    """A request as it comes back from the last delay queue (x-attempt = number of delays)."""
    mailbox, _ = smtp
    address = f"tired-{uuid.uuid4().hex[:6]}@testare.se"
    mailbox.script[address] = ["451 4.3.0 Still busy"]
    last = len(NOTIFICATION_REQUESTS.retry_delays)
    await publish(bus, request("email", address), **{"x-attempt": last})

    [reported] = await outcomes(bus, 1)
    assert reported["event_type"] == "NotificationFailed"
    assert reported["data"]["reason"] == "exhausted" and "451" in reported["data"]["error"]
    [dead] = await drain(bus, NOTIFICATION_REQUESTS.dead_letter_queue, 1)
    assert dead.headers["x-reason"] == "exhausted"
    assert mailbox.to(address) == []


async def test_sms_refused_by_the_gateway_is_permanent_and_a_busy_gateway_is_retried(
    bus: Any, sms_gateway: tuple[SmsGateway, str]
) -> None:
    gateway, _ = sms_gateway
    busy, bad = "+46700000001", "+46700000002"
    gateway.script[busy] = [503]
    gateway.script[bad] = [400]
    await publish(bus, request("sms", busy))
    await publish(bus, request("sms", bad))

    reported = {r["data"]["recipient"]: r for r in await outcomes(bus, 2)}
    assert reported[busy]["event_type"] == "NotificationSent"
    assert reported[bad]["event_type"] == "NotificationFailed"
    assert [s["to"] for s in gateway.received].count(busy) == 1
    [dead] = await drain(bus, NOTIFICATION_REQUESTS.dead_letter_queue, 1)
    assert dead.headers["x-reason"] == "permanent"


async def test_a_redelivered_request_is_not_sent_again(
    bus: Any, service: FastAPI, smtp: tuple[Mailbox, int]
) -> None:
    """The same event published twice (another message id: the inbox cannot catch it): the
    notification row says it was sent."""
    mailbox, _ = smtp
    address = f"twice-{uuid.uuid4().hex[:6]}@testare.se"
    event = request("email", address)
    await publish(bus, event)
    await outcomes(bus, 1)
    copy = event.model_copy(update={"event_id": uuid.uuid4()})
    # Same notification id, another envelope: the unique row (id) holds.
    await publish(bus, copy)
    await outcomes(bus, 1)
    assert len(mailbox.to(address)) == 1


def staff(
    username: str, email: str, organization: str = "fardtjansten", **choices: Any
) -> EventEnvelope:
    return StaffSettingsChanged(
        correlation_id="test",
        producer="gateway",
        data={
            "username": username,
            "name": username.title(),
            "email": email,
            "grants": [{"organization": organization, "role": "handler"}],
            "changed_at": datetime.now(UTC),
            **choices,
        },
    )


async def test_staff_alerts_follow_personal_settings(
    bus: Any, service: FastAPI, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, _ = smtp
    token = uuid.uuid4().hex[:6]
    wants, silent, other = (f"{n}-{token}@stad.se" for n in ("hanna", "kalle", "olle"))
    await publish(bus, staff(f"hanna-{token}", wants, alert_new_case=True, alert_assigned=True))
    await publish(bus, staff(f"kalle-{token}", silent))
    await publish(bus, staff(f"olle-{token}", other, "annan", alert_new_case=True))
    facts = {"case_type": "flexlinjen", "organization": "fardtjansten"}
    await publish(
        bus,
        CaseSubmitted(
            correlation_id="test",
            producer="case-service",
            data={
                **facts,
                "case_id": 9001,
                "case_type_name": "Anmälan till flexlinjen",
                "submission_id": uuid.uuid4(),
                "status": "awaiting_handling",
                "submitter_kind": "citizen",
                "submitted_at": datetime.now(UTC),
            },
        ),
    )
    [alert] = await eventually(lambda: _async(mailbox.to(wants)))
    assert alert["Subject"] == "Nytt ärende 9001"
    assert "ärendetyp Anmälan till flexlinjen" in alert.get_content()  # the name, not the code
    assert VALID_PERSONAL_NUMBER not in alert.as_string()
    await publish(
        bus,
        CaseAssigned(
            correlation_id="test",
            producer="case-service",
            data={**facts, "case_id": 9001, "handler": f"hanna-{token}", "assigned_by": "mona"},
        ),
    )
    await eventually(lambda: _async(len(mailbox.to(wants)) == 2))
    assert mailbox.to(wants)[1]["Subject"] == "Ärende 9001 har fördelats till dig"
    assert mailbox.to(silent) == [] and mailbox.to(other) == []


async def _async(value: Any) -> Any:
    return value


async def test_purge_deletes_the_rows_and_confirms(bus: Any, service: FastAPI) -> None:
    address = f"purge-{uuid.uuid4().hex[:6]}@testare.se"
    await publish(bus, request("email", address, case_id=5555))
    await outcomes(bus, 1)
    await publish(
        bus,
        CasePurged(
            correlation_id="test",
            producer="retention-service",
            data={
                "case_id": 5555,
                "case_type": "flexlinjen",
                "organization": "fardtjansten",
                "status": "closed",
                "submitted_at": datetime.now(UTC),
                "purged_at": datetime.now(UTC),
            },
        ),
    )
    [confirmed] = await outcomes(bus, 1)
    assert confirmed["event_type"] == "CasePurgeConfirmed"
    assert confirmed["data"]["case_id"] == 5555
    assert confirmed["data"]["service"] == "notification-service"
    async with service.state.runtime.sessions() as session:
        left = await session.scalar(
            select(func.count()).select_from(Notification).where(Notification.case_id == 5555)
        )
        assert left == 0
        assert await session.get(PurgedCase, 5555) is not None
    # A late request for the purged case sends nothing.
    await publish(bus, request("email", address, case_id=5555))
    assert await outcomes_within(bus, 2) == []


async def outcomes_within(bus: Any, seconds: float) -> list[Any]:
    return await drain(bus, OUTCOMES, 1, timeout=seconds)
