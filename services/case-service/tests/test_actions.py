"""The caseworker's actions (F-CV-2..7, F-TW-1, F-NO-1): what each one records, what leaves
through the outbox (internal events, public events for Mina sidor, notification requests), and
who may do it."""

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aio_pika
import httpx
import pytest
import pytest_asyncio
from sqlalchemy import update

from arende_contracts.access import Actor, Grant
from arende_contracts.events import EXCHANGE_INTERNAL
from arende_platform.topology import NOTIFICATION_REQUESTS, PUBLIC_CASE_EVENTS
from case_service.models import Case

pytestmark = pytest.mark.asyncio(loop_scope="session")

TOKEN = {"x-internal-token": "test-internal-token"}


def as_actor(actor: Actor) -> dict[str, str]:
    return {**TOKEN, "x-actor": json.dumps(actor.model_dump(mode="json"), ensure_ascii=True)}


@dataclass
class World:
    organization: str
    notifying: str  # case type with e-mail and SMS notifications
    plain: str  # case type without notifications
    internal: str  # case type for employees
    handler: Actor
    colleague: Actor
    receiver: Actor
    reviewer: Actor
    outsider: Actor


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def world(case_client: httpx.AsyncClient) -> World:
    token = uuid.uuid4().hex[:8]
    org, other = f"fardtjansten-{token}", f"annan-{token}"
    for code in (org, other):
        response = await case_client.post(
            "/internal/organizations", json={"code": code, "name": f"Förvaltning {code}"}
        )
        assert response.status_code == 201, response.text
    types = {
        "notifying": {"notify_email": True, "notify_sms": True},
        "plain": {},
        "internal": {"internal": True},
    }
    codes = {}
    for key, settings in types.items():
        body = {"code": f"{key}-{token}", "name": "Anmälan till flexlinjen", "organization": org}
        response = await case_client.post("/internal/case-types", json={**body, **settings})
        assert response.status_code == 201, response.text
        codes[key] = body["code"]

    def staff(username: str, name: str, role: str, organization: str = org) -> Actor:
        return Actor(
            username=f"{username}-{token}",
            name=name,
            grants=[Grant(organization=organization, role=role)],  # type: ignore[arg-type]
        )

    return World(
        organization=org,
        notifying=codes["notifying"],
        plain=codes["plain"],
        internal=codes["internal"],
        handler=staff("hanna", "Hanna Handläggare", "handler"),
        colleague=staff("kalle", "Kalle Kollega", "handler"),
        receiver=staff("mona", "Mona Mottagare", "receiver"),
        reviewer=staff("greta", "Greta Granskare", "reviewer"),
        outsider=staff("olle", "Olle Utanför", "handler", other),
    )


async def act(
    client: httpx.AsyncClient, actor: Actor, case_id: int, action: str, body: Any = None
) -> httpx.Response:
    return await client.post(
        f"/internal/cases/{case_id}/{action}", json=body or {}, headers=as_actor(actor)
    )


async def set_status(case_app: Any, case_id: int, status: str, **values: Any) -> None:
    async with case_app.state.runtime.sessions() as session, session.begin():
        await session.execute(
            update(Case).where(Case.id == case_id).values(status=status, **values)
        )


@asynccontextmanager
async def tap(amqp: Any, exchange: str, routing_key: str) -> AsyncIterator[Any]:
    """A private queue bound while the block runs: what was published meanwhile."""
    channel = await amqp.channel()
    queue = await channel.declare_queue(exclusive=True, auto_delete=True)
    await queue.bind(exchange, routing_key)
    try:
        yield queue
    finally:
        await channel.close()


async def take(
    amqp: Any,
    queue: str | Any,
    case_id: int,
    expect: int,
    timeout: float = 10,
    ignore: frozenset[str] = frozenset({"CaseSubmitted"}),
) -> list[dict[str, Any]]:
    """Bodies of the messages about `case_id` (others on the queue are acked and ignored, and
    so are internal events of the types in `ignore`: intake's may arrive late)."""
    import asyncio

    channel = None
    if isinstance(queue, str):
        channel = await amqp.channel()
        queue = await channel.get_queue(queue, ensure=False)
    found: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    try:
        while len(found) < expect and loop.time() < deadline:
            message: aio_pika.abc.AbstractIncomingMessage | None = await queue.get(
                no_ack=True, fail=False
            )
            if message is None:
                await asyncio.sleep(0.05)
                continue
            body = json.loads(message.body)
            about = body.get("case_id", body.get("data", {}).get("case_id"))
            if about == case_id and body.get("event_type") not in ignore:
                found.append(body)
    finally:
        if channel is not None:
            await channel.close()
    return found


async def test_update_records_an_external_and_an_internal_event_and_notifies(
    case_client: httpx.AsyncClient, world: World, new_case: Any, amqp: Any
) -> None:
    case_id = await new_case(world.notifying)
    async with tap(amqp, EXCHANGE_INTERNAL, "#") as internal:
        response = await act(
            case_client,
            world.handler,
            case_id,
            "update",
            {
                "status": "in_progress",
                "title": "Det jobbas på här",
                "external_message": "Skriver något här och då ser användaren det",
                "internal_message": "Eller så kan man skriva något internt",
                "notify": True,
            },
        )
        assert response.status_code == 200, response.text
        case = response.json()
        domain = await take(amqp, internal, case_id, expect=4)

    assert case["status"] == "in_progress"
    assert case["handler"] == world.handler.username  # a case without handler gets the updater
    assert case["notified"] == ["+46735366305", "carin@testare.se"]
    newest = case["events"][:2]
    assert [(e["internal"], e["title"], e["message"]) for e in newest] == [
        (True, "Det jobbas på här", "Eller så kan man skriva något internt"),
        (False, "Det jobbas på här", "Skriver något här och då ser användaren det"),
    ]
    assert {e["author"] for e in newest} == {world.handler.username}
    assert {e["kind"] for e in newest} == {"updated"}
    assert {e["status"] for e in newest} == {"in_progress"}

    kinds = [m["event_type"] for m in domain]
    assert sorted(kinds) == [
        "CaseAssigned",
        "CaseUpdated",
        "NotificationRequested",
        "NotificationRequested",
    ]
    updated = next(m for m in domain if m["event_type"] == "CaseUpdated")["data"]
    assert (updated["status"], updated["previous_status"]) == ("in_progress", "submitted")
    notifications = await take(amqp, NOTIFICATION_REQUESTS.name, case_id, expect=2)
    assert sorted((n["data"]["channel"], n["data"]["recipient"]) for n in notifications) == [
        ("email", "carin@testare.se"),
        ("sms", "+46735366305"),
    ]

    public = await take(amqp, PUBLIC_CASE_EVENTS.name, case_id, expect=2)
    # Relays publish concurrently: the order on the queue is not the order of the events.
    by_title = {p["title"]: p for p in public}
    assert set(by_title) == {"Ärendet har skickats in", "Det jobbas på här"}
    assert by_title["Det jobbas på här"]["status"] == "in_progress"
    assert "internt" not in json.dumps(public, ensure_ascii=False)


async def test_a_status_change_with_only_an_internal_note_tells_the_user_the_new_status(
    case_client: httpx.AsyncClient, world: World, new_case: Any, amqp: Any
) -> None:
    case_id = await new_case(world.plain)
    response = await act(
        case_client,
        world.handler,
        case_id,
        "update",
        {"status": "decided", "title": "Beslut fattat", "internal_message": "Hemlig anteckning"},
    )
    assert response.status_code == 200, response.text
    case = response.json()
    assert case["notified"] == []  # the case type does not notify
    assert [(e["internal"], e["title"], e["message"]) for e in case["events"][:2]] == [
        (True, "Beslut fattat", "Hemlig anteckning"),
        (False, "Ändrar status till Beslutad", ""),
    ]
    public = await take(amqp, PUBLIC_CASE_EVENTS.name, case_id, expect=2)
    assert {p["title"] for p in public} == {
        "Ärendet har skickats in",
        "Ändrar status till Beslutad",
    }
    assert "Hemlig" not in json.dumps(public, ensure_ascii=False)

    # An internal note alone, status unchanged: nothing for the user, no notification.
    note = await act(
        case_client,
        world.handler,
        case_id,
        "update",
        {"title": "Anteckning", "internal_message": "Bara för oss"},
    )
    assert [(e["internal"], e["title"]) for e in note.json()["events"][:2]] == [
        (True, "Anteckning"),
        (True, "Beslut fattat"),
    ]
    assert await take(amqp, PUBLIC_CASE_EVENTS.name, case_id, expect=1, timeout=1) == []


async def test_assign_sets_the_handler_and_status_fordelad(
    case_client: httpx.AsyncClient, world: World, new_case: Any, amqp: Any
) -> None:
    case_id = await new_case(world.notifying)
    async with tap(amqp, EXCHANGE_INTERNAL, "case.assigned.v1") as assigned:
        response = await act(
            case_client,
            world.receiver,
            case_id,
            "assign",
            {
                "handler": world.colleague.username,
                "handler_name": "Kalle Kollega",
                "notify": False,
            },
        )
        assert response.status_code == 200, response.text
        events = await take(amqp, assigned, case_id, expect=1)
    case = response.json()
    assert (case["status"], case["handler"]) == ("assigned", world.colleague.username)
    assert case["notified"] == []  # the caseworker opted out
    assert [(e["internal"], e["title"]) for e in case["events"][:2]] == [
        (True, f"Fördelat till Kalle Kollega ({world.colleague.username})"),
        (False, "Ändrar status till Fördelad"),
    ]
    assert events[0]["data"]["handler"] == world.colleague.username
    assert events[0]["data"]["assigned_by"] == world.receiver.username

    # An update by someone else keeps the handler.
    updated = await act(
        case_client, world.handler, case_id, "update", {"title": "Tittat", "notify": False}
    )
    assert updated.json()["handler"] == world.colleague.username


async def test_reference_is_an_internal_event(
    case_client: httpx.AsyncClient, world: World, new_case: Any
) -> None:
    case_id = await new_case(world.plain)
    response = await act(case_client, world.receiver, case_id, "reference", {"reference": "8765"})
    assert response.status_code == 200, response.text
    case = response.json()
    assert case["reference"] == "8765"
    assert case["handler"] is None  # a receiver distributes; they do not become the handler
    event = case["events"][0]
    assert (event["internal"], event["kind"], event["title"], event["message"]) == (
        True,
        "reference",
        "Referens ändrad",
        "Referensen har satts till 8765.",
    )
    changed = await act(case_client, world.handler, case_id, "reference", {"reference": "8765-2"})
    assert changed.json()["events"][0]["message"] == "Referensen har ändrats från 8765 till 8765-2."
    assert changed.json()["handler"] == world.handler.username


async def test_close_with_the_default_title_and_a_new_reference(
    case_client: httpx.AsyncClient, world: World, new_case: Any, amqp: Any
) -> None:
    case_id = await new_case(world.notifying)
    async with tap(amqp, EXCHANGE_INTERNAL, "case.closed.v1") as closed:
        response = await act(
            case_client,
            world.handler,
            case_id,
            "close",
            {"internal_message": "Klart", "reference": "8765-23-2"},
        )
        assert response.status_code == 200, response.text
        assert len(await take(amqp, closed, case_id, expect=1)) == 1
    case = response.json()
    assert (case["status"], case["reference"]) == ("closed", "8765-23-2")
    assert case["notified"] == ["+46735366305", "carin@testare.se"]
    assert [(e["internal"], e["kind"], e["title"], e["message"]) for e in case["events"][:3]] == [
        (True, "reference", "Referens ändrad", "Referensen har satts till 8765-23-2."),
        (True, "closed", "Ändrar status till Avslutad", "Klart"),
        (False, "closed", "Ändrar status till Avslutad", ""),
    ]
    assert "close" not in case["actions"] and "assign" not in case["actions"]
    again = await act(case_client, world.handler, case_id, "close", {})
    assert (again.status_code, again.headers["x-error-code"]) == (409, "already_closed")
    assign = await act(
        case_client, world.handler, case_id, "assign", {"handler": world.handler.username}
    )
    assert (assign.status_code, assign.headers["x-error-code"]) == (409, "closed_case")


async def test_switch_user_on_an_employee_case_only(
    case_client: httpx.AsyncClient, world: World, new_case: Any
) -> None:
    employee = {
        "kind": "employee",
        "account": "kajmut0801",
        "name": "Kaj Mutka",
        "email": "kaj.mutka@example.se",
    }
    case_id = await new_case(world.internal, submitter=employee)
    before = (
        await case_client.get(f"/internal/cases/{case_id}", headers=as_actor(world.handler))
    ).json()
    assert "switch_user" in before["actions"]
    response = await act(
        case_client,
        world.handler,
        case_id,
        "switch-user",
        {
            "account": "ronrov1117",
            "name": "Ronja Rövardotter",
            "other_account": "birbor01",
            "other_name": "Birk Borkasson",
        },
    )
    assert response.status_code == 200, response.text
    case = response.json()
    assert case["submitter"]["account"] == "ronrov1117"
    assert case["submitter"]["name"] == "Ronja Rövardotter"
    assert case["submitter"]["email"] is None  # the previous user's contact details are gone
    assert case["other_user"] == {"account": "birbor01", "name": "Birk Borkasson"}
    assert case["form"] == before["form"]
    event = case["events"][0]
    assert (event["internal"], event["title"]) == (True, "Byte av användare")
    assert event["message"].splitlines()[0] == (
        "Användare har bytts från kajmut0801 till ronrov1117 av Hanna Handläggare"
    )

    citizen_case = await new_case(world.plain)
    refused = await act(
        case_client, world.handler, citizen_case, "switch-user", {"account": "x", "name": "Y"}
    )
    assert refused.status_code == 409
    assert refused.headers["x-error-code"] == "not_employee_case"


async def test_acknowledge_a_complement(
    case_client: httpx.AsyncClient, world: World, new_case: Any, case_app: Any, amqp: Any
) -> None:
    case_id = await new_case(world.plain)
    refused = await act(case_client, world.handler, case_id, "acknowledge")
    assert (refused.status_code, refused.headers["x-error-code"]) == (409, "not_complemented")

    await set_status(case_app, case_id, "complemented", starred=True)
    response = await act(case_client, world.handler, case_id, "acknowledge")
    assert response.status_code == 200, response.text
    case = response.json()
    # Nobody handles it yet, so it waits for handling again.
    assert (case["status"], case["starred"]) == ("awaiting_handling", False)
    event = case["events"][0]
    assert event["internal"] is False
    assert event["title"] == (
        "Senaste komplettering från användaren har kvitterats av Hanna Handläggare"
    )
    public = await take(amqp, PUBLIC_CASE_EVENTS.name, case_id, expect=2)
    assert event["title"] in {p["title"] for p in public}

    await set_status(case_app, case_id, "complemented", handler=world.colleague.username)
    again = await act(case_client, world.handler, case_id, "acknowledge")
    assert again.json()["status"] == "in_progress"


ACTIONS: list[tuple[str, dict[str, Any]]] = [
    ("assign", {"handler": "someone"}),
    ("update", {"title": "Rubrik"}),
    ("reference", {"reference": "R-1"}),
    ("close", {}),
    ("switch-user", {"account": "a", "name": "B"}),
    ("acknowledge", {}),
]


async def test_an_archived_case_refuses_every_action(
    case_client: httpx.AsyncClient, world: World, new_case: Any, case_app: Any
) -> None:
    case_id = await new_case(world.internal, submitter={"kind": "employee", "account": "a1"})
    await set_status(case_app, case_id, "archived")
    for action, body in ACTIONS:
        response = await act(case_client, world.handler, case_id, action, body)
        assert response.status_code == 409, (action, response.text)
        assert response.headers["x-error-code"] == "archived"
    read = await case_client.get(f"/internal/cases/{case_id}", headers=as_actor(world.handler))
    assert read.status_code == 200
    assert read.json()["actions"] == []
    assert set(read.json()["refused"].values()) == {"archived"}


async def test_roles_decide_the_actions(
    case_client: httpx.AsyncClient, world: World, new_case: Any
) -> None:
    case_id = await new_case(world.internal, submitter={"kind": "employee", "account": "a1"})
    path = f"/internal/cases/{case_id}"
    reviewer = (await case_client.get(path, headers=as_actor(world.reviewer))).json()
    assert reviewer["actions"] == []
    receiver = (await case_client.get(path, headers=as_actor(world.receiver))).json()
    assert receiver["actions"] == ["assign", "reference"]
    handler = (await case_client.get(path, headers=as_actor(world.handler))).json()
    assert handler["actions"] == ["assign", "update", "reference", "close", "switch_user"]

    for action, body in ACTIONS:
        as_reviewer = await act(case_client, world.reviewer, case_id, action, body)
        assert as_reviewer.status_code == 403, (action, as_reviewer.text)
        assert as_reviewer.headers["x-error-code"] == "role"
        if action not in ("assign", "reference"):
            as_receiver = await act(case_client, world.receiver, case_id, action, body)
            assert as_receiver.status_code == 403, (action, as_receiver.text)
        outside = await act(case_client, world.outsider, case_id, action, body)
        assert outside.status_code == 404, (action, outside.text)
    for get in (path, f"{path}/scope", f"{path}/attachments/1"):
        assert (await case_client.get(get, headers=as_actor(world.outsider))).status_code == 404


async def test_bad_bodies_are_422(
    case_client: httpx.AsyncClient, world: World, new_case: Any
) -> None:
    case_id = await new_case(world.plain)
    for action, body in [
        ("update", {"title": ""}),
        ("update", {"title": "x", "status": "archived"}),
        ("assign", {"handler": "a", "group": "b"}),
        ("switch-user", {"account": "a", "name": "B", "other_account": "c"}),
    ]:
        response = await act(case_client, world.handler, case_id, action, body)
        assert response.status_code == 422, (action, body, response.text)
