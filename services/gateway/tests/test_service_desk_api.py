"""The integration API of the 1177 and service-desk functions (SPEC §4, second operations
table; F-AD-5..8): residents and shares (with an expired share refused at intake), omvänt
ärendeflöde (251 recipients refused), delsvar and motfråga, priority and category (with the
list's filter), internal tasks — and that tasks and internal notes never reach eservice.public."""

import asyncio
import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import func, select, update

from arende_contracts.external import (
    EXCHANGE_ESERVICE,
    EXCHANGE_PUBLIC,
    ROUTING_CITIZEN_COMPLEMENTED,
    ROUTING_SUBMISSION_CREATED,
)
from arende_platform.testing import drain, eventually, publish_json, sample_submission
from arende_platform.topology import SUBMISSIONS
from case_service.models import Case, ResidentShare

pytestmark = pytest.mark.asyncio(loop_scope="session")


def personal_number(serial: int, born: str = "19700101") -> str:
    """A valid 12-digit personnummer (Luhn over the last 10 digits)."""
    body = f"{born[2:]}{serial:03d}"
    total = 0
    for i, ch in enumerate(body):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return f"{born}{serial:03d}{(10 - total % 10) % 10}"


@dataclass
class Desk:
    organization: str
    open: str
    restricted: str
    handler: Any
    colleague: Any
    reviewer: Any
    outsider: Any


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def desk(gw: Any) -> Desk:
    organization, other = await gw.organization(), await gw.organization()
    open_type = await gw.case_type(organization, name="Kontakta oss")
    restricted = f"ct-{uuid.uuid4().hex[:8]}"
    response = await gw.admin(
        "POST",
        "/api/v1/admin/case-types",
        json={
            "code": restricted,
            "name": "Förnyelse av recept",
            "organization": organization,
            "restricted": True,
        },
    )
    assert response.status_code == 201, response.text
    grant = {"organization": organization}
    return Desk(
        organization,
        open_type,
        restricted,
        await gw.staff([{**grant, "role": "handler"}], name="Hanna Handläggare"),
        await gw.staff([{**grant, "role": "handler"}], name="Kalle Kollega"),
        await gw.staff([{**grant, "role": "reviewer"}], name="Greta Granskare"),
        await gw.staff([{"organization": other, "role": "admin"}], name="Olle Utanför"),
    )


async def submit(gw: Any, case_app: Any, case_type: str, pnr: str, name: str = "Carin") -> str:
    body = sample_submission(
        case_type=case_type, submitter={"kind": "citizen", "personal_number": pnr, "name": name}
    )
    await publish_json(
        gw.amqp,
        EXCHANGE_ESERVICE,
        ROUTING_SUBMISSION_CREATED,
        body,
        message_id=body["submission_id"],
    )
    return str(body["submission_id"])


async def case_id_of(case_app: Any, submission_id: str) -> int | None:
    async with case_app.state.runtime.sessions() as session:
        return await session.scalar(
            select(Case.id).where(Case.submission_id == uuid.UUID(submission_id))
        )


async def dead_letter_reason(gw: Any, submission_id: str) -> str:
    for message in await drain(gw.amqp, SUBMISSIONS.dead_letter_queue, expect=1, timeout=15):
        if message.message_id == submission_id:
            return str((message.headers or {})["x-reason"])
    raise AssertionError("not dead-lettered")


async def api(gw: Any, staff: Any, method: str, path: str, **kwargs: Any) -> Any:
    headers = {**staff.headers, **kwargs.pop("headers", {})}
    async with gw.client() as http:
        return await http.request(method, path, headers=headers, **kwargs)


# --- residents (F-AD-5) -------------------------------------------------------------------------


async def test_residents_approve_remove_share_and_restricted_intake(
    gw: Any, case_app: Any, desk: Desk
) -> None:
    known, other, shared = personal_number(1), personal_number(2), personal_number(3)
    earlier = await submit(gw, case_app, desk.open, known, name="Anna Andersson")
    await eventually(lambda: case_id_of(case_app, earlier))

    refused = await submit(gw, case_app, desk.restricted, known, name="Anna Andersson")
    assert await dead_letter_reason(gw, refused) == "resident_not_approved"

    body = {"organization": desk.organization, "personal_number": known[:8] + "-" + known[8:]}
    approved = await api(gw, desk.handler, "POST", "/api/v1/admin/residents", json=body)
    assert approved.status_code == 201, approved.text
    assert approved.json()["personal_number"] == known
    assert approved.json()["name"] == "Anna Andersson"  # known from the earlier case
    again = await api(gw, desk.handler, "POST", "/api/v1/admin/residents", json=body)
    assert again.status_code == 200
    second = {"organization": desk.organization, "personal_number": other}
    assert (
        await api(gw, desk.handler, "POST", "/api/v1/admin/residents", json=second)
    ).status_code == 201

    admitted = await submit(gw, case_app, desk.restricted, known, name="Anna Andersson")
    assert await eventually(lambda: case_id_of(case_app, admitted))

    share = await api(
        gw,
        desk.handler,
        "POST",
        "/api/v1/admin/residents/shares",
        json={
            "organization": desk.organization,
            "personal_number": shared,
            "case_type": desk.restricted,
            "until": "2099-06-30",
        },
    )
    assert share.status_code == 201, share.text
    assert share.json()["id"] and share.json()["until"] == "2099-06-30"
    share_id = share.json()["id"]
    changed = await api(
        gw,
        desk.handler,
        "PATCH",
        f"/api/v1/admin/residents/shares/{share_id}",
        json={"until": None},
    )
    assert changed.status_code == 200 and changed.json()["until"] is None

    listing = await api(
        gw,
        desk.handler,
        "GET",
        "/api/v1/admin/residents",
        params={"organization": desk.organization},
    )
    people = {p["personal_number"]: p for p in listing.json()["residents"]}
    assert people[known]["approved"] and people[known]["name"] == "Anna Andersson"
    assert people[shared]["shares"][0]["case_type"] == desk.restricted

    removed = await api(
        gw,
        desk.handler,
        "DELETE",
        "/api/v1/admin/residents",
        json={"organization": desk.organization, "personal_numbers": [known, other]},
    )
    assert removed.status_code == 200 and removed.json()["removed"] == sorted([known, other])
    after = await submit(gw, case_app, desk.restricted, known)
    assert await dead_letter_reason(gw, after) == "resident_not_approved"

    deleted = await api(gw, desk.handler, "DELETE", f"/api/v1/admin/residents/shares/{share_id}")
    assert deleted.status_code == 204

    # Refusals: a bad personnummer (never echoed), another organization, a reviewer.
    bad = await api(
        gw,
        desk.handler,
        "POST",
        "/api/v1/admin/residents",
        json={"organization": desk.organization, "personal_number": "197001011234"},
    )
    assert bad.status_code == 422 and "197001011234" not in bad.text
    outsider = await api(gw, desk.outsider, "POST", "/api/v1/admin/residents", json=body)
    assert outsider.status_code == 403
    assert outsider.json()["detail"].startswith("Din roll ger inte behörighet")
    reviewer = await api(
        gw,
        desk.reviewer,
        "POST",
        "/api/v1/admin/residents",
        json=body,
    )
    assert reviewer.status_code == 403
    english = await api(
        gw,
        desk.outsider,
        "POST",
        "/api/v1/admin/residents",
        json=body,
        headers={**desk.outsider.headers, "Accept-Language": "en"},
    )
    assert english.json()["detail"].startswith("Your role does not allow")
    not_restricted = await api(
        gw,
        desk.handler,
        "POST",
        "/api/v1/admin/residents/shares",
        json={"organization": desk.organization, "personal_number": shared, "case_type": desk.open},
    )
    assert not_restricted.status_code == 422


async def test_an_expired_share_is_refused_at_intake_and_shown_as_expired(
    gw: Any, case_app: Any, desk: Desk
) -> None:
    resident = personal_number(11)
    share = await api(
        gw,
        desk.handler,
        "POST",
        "/api/v1/admin/residents/shares",
        json={
            "organization": desk.organization,
            "personal_number": resident,
            "case_type": desk.restricted,
            "until": "2099-01-01",
        },
    )
    share_id = share.json()["id"]
    first = await submit(gw, case_app, desk.restricted, resident)
    assert await eventually(lambda: case_id_of(case_app, first))

    past = await api(
        gw,
        desk.handler,
        "PATCH",
        f"/api/v1/admin/residents/shares/{share_id}",
        json={"until": "2020-01-01"},
    )
    assert past.status_code == 422
    assert past.json()["detail"] == "Sista dagen för en utdelning kan inte ha passerat."

    # Its last day was yesterday (Swedish time).
    async with case_app.state.runtime.sessions() as session, session.begin():
        now = await session.scalar(select(func.timezone("Europe/Stockholm", func.now())))
        yesterday = (now - timedelta(days=1)).date()
        await session.execute(
            update(ResidentShare).where(ResidentShare.id == share_id).values(until=yesterday)
        )
    refused = await submit(gw, case_app, desk.restricted, resident)
    assert await dead_letter_reason(gw, refused) == "share_expired"

    listing = await api(
        gw,
        desk.handler,
        "GET",
        "/api/v1/admin/residents",
        params={"organization": desk.organization},
    )
    person = next(p for p in listing.json()["residents"] if p["personal_number"] == resident)
    assert person["shares"][0]["expired"] is True
    audit = await gw.admin(
        "GET", "/api/v1/admin/residents/audit", params={"organization": desk.organization}
    )
    mine = [a for a in audit.json() if a["personal_number"] == resident]
    assert [a["action"] for a in mine] == ["share_expired", "share_changed", "shared"] or [
        a["action"] for a in mine
    ] == ["share_expired", "shared"]
    assert mine[0]["actor"] == "system"


# --- omvänt ärendeflöde (F-AD-7) ----------------------------------------------------------------


async def test_outreach_makes_a_case_per_recipient_and_refuses_251(
    gw: Any, case_app: Any, desk: Desk
) -> None:
    recipients = [personal_number(21), personal_number(22), personal_number(23)]
    body = {
        "case_type": desk.open,
        "recipients": recipients,
        "title": "Påminnelse om provtagning",
        "message": "Har du hunnit lämna provet? Svara här.",
    }
    headers = {**desk.handler.headers, "Idempotency-Key": uuid.uuid4().hex}
    async with gw.client() as http:
        sent = await http.post("/api/v1/outreach", json=body, headers=headers)
        assert sent.status_code == 202, sent.text
        case_ids = sent.json()["case_ids"]
        assert len(set(case_ids)) == 3
        again = await http.post("/api/v1/outreach", json=body, headers=headers)
        assert again.status_code == 202 and again.json()["case_ids"] == case_ids

        too_many = {**body, "recipients": [personal_number(i) for i in range(100, 351)]}
        refused = await http.post("/api/v1/outreach", json=too_many, headers=desk.handler.headers)
        assert refused.status_code == 422
        assert refused.json()["detail"] == (
            "Du kan skicka till högst 250 mottagare åt gången. Du angav 251. Dela upp utskicket."
        )
        invalid = await http.post(
            "/api/v1/outreach",
            json={**body, "recipients": [recipients[0], "197001011234"]},
            headers=desk.handler.headers,
        )
        assert invalid.status_code == 422 and "nummer 2" in invalid.json()["detail"]
        assert "197001011234" not in invalid.text
        reviewer = await http.post("/api/v1/outreach", json=body, headers=desk.reviewer.headers)
        assert reviewer.status_code == 403

        case = (await http.get(f"/api/v1/cases/{case_ids[1]}", headers=desk.handler.headers)).json()
    assert case["status"] == "awaiting_submitter"
    assert case["submitter"]["personal_number"] == recipients[1]
    assert case["handler"] == desk.handler.username
    assert case["events"][0]["title"] == "Påminnelse om provtagning"
    assert case["events"][0]["internal"] is False

    async with case_app.state.runtime.sessions() as session:
        submission_id = await session.scalar(
            select(Case.submission_id).where(Case.id == case_ids[1])
        )
    await publish_json(
        gw.amqp,
        EXCHANGE_ESERVICE,
        ROUTING_CITIZEN_COMPLEMENTED,
        {"action_id": str(uuid.uuid4()), "submission_id": str(submission_id), "message": "Ja!"},
    )

    async def answered() -> bool:
        got = await api(gw, desk.handler, "GET", f"/api/v1/cases/{case_ids[1]}")
        return bool(got.json()["status"] == "complemented")

    await eventually(answered)


# --- delsvar and motfråga (F-AD-8) ------------------------------------------------------------


async def test_partial_answer_and_counter_question(gw: Any, case_app: Any, desk: Desk) -> None:
    submission = await submit(gw, case_app, desk.open, personal_number(31))
    case_id = await eventually(lambda: case_id_of(case_app, submission))
    partial = await api(
        gw,
        desk.handler,
        "POST",
        f"/api/v1/cases/{case_id}/update",
        json={
            "kind": "partial_answer",
            "title": "Delsvar",
            "external_message": "Vi tittar på det.",
        },
    )
    assert partial.status_code == 200, partial.text
    assert partial.json()["events"][0]["kind"] == "partial_answer"
    counter = await api(
        gw,
        desk.handler,
        "POST",
        f"/api/v1/cases/{case_id}/update",
        json={"kind": "counter_question", "title": "Motfråga", "external_message": "Vilket datum?"},
    )
    assert counter.status_code == 200 and counter.json()["status"] == "awaiting_submitter"
    assert counter.json()["awaiting_submitter_since"]
    missing = await api(
        gw,
        desk.handler,
        "POST",
        f"/api/v1/cases/{case_id}/update",
        json={"kind": "counter_question", "title": "Motfråga"},
    )
    assert missing.status_code == 422
    assert missing.json()["detail"] == (
        "Ett delsvar eller en motfråga behöver ett meddelande till användaren."
    )
    await publish_json(
        gw.amqp,
        EXCHANGE_ESERVICE,
        ROUTING_CITIZEN_COMPLEMENTED,
        {"action_id": str(uuid.uuid4()), "submission_id": submission, "message": "Den 3 maj"},
    )

    async def complemented() -> dict[str, Any] | None:
        got = (await api(gw, desk.handler, "GET", f"/api/v1/cases/{case_id}")).json()
        return got if got["status"] == "complemented" else None

    case = await eventually(complemented)
    assert case["awaiting_submitter_since"] is None


# --- priority, category, tasks (F-AD-6) -------------------------------------------------------


async def test_priority_category_tasks_and_nothing_internal_reaches_eservice_public(
    gw: Any, case_app: Any, desk: Desk
) -> None:
    submission = await submit(gw, case_app, desk.open, personal_number(41))
    case_id = await eventually(lambda: case_id_of(case_app, submission))
    channel = await gw.amqp.channel()
    listener = await channel.declare_queue(exclusive=True, auto_delete=True)
    await listener.bind(EXCHANGE_PUBLIC, "#")
    try:
        classified = await api(
            gw,
            desk.handler,
            "PATCH",
            f"/api/v1/cases/{case_id}",
            json={"priority": "high", "category": "Recept"},
        )
        assert classified.status_code == 200, classified.text
        assert (classified.json()["priority"], classified.json()["category"]) == ("high", "Recept")
        bad = await api(
            gw, desk.handler, "PATCH", f"/api/v1/cases/{case_id}", json={"priority": "urgent"}
        )
        assert bad.status_code == 422

        task = await api(
            gw,
            desk.handler,
            "POST",
            f"/api/v1/cases/{case_id}/tasks",
            json={
                "title": "Ring apoteket",
                "description": "Om leveransen",
                "assignee": desk.colleague.username,
            },
        )
        assert task.status_code == 201, task.text
        assert (
            task.json()["assignee"] == desk.colleague.username and task.json()["status"] == "open"
        )
        unknown = await api(
            gw,
            desk.handler,
            "POST",
            f"/api/v1/cases/{case_id}/tasks",
            json={"title": "X", "assignee": desk.outsider.username},
        )
        assert unknown.status_code == 422
        no_group = await api(
            gw,
            desk.handler,
            "POST",
            f"/api/v1/cases/{case_id}/tasks",
            json={"title": "X", "group": "finns-inte"},
        )
        assert no_group.status_code == 422
        assert no_group.json()["detail"] == "Handläggargruppen finns-inte finns inte."
        note = await api(
            gw,
            desk.handler,
            "POST",
            f"/api/v1/cases/{case_id}/update",
            json={"title": "Intern anteckning", "internal_message": "Endast för oss"},
        )
        assert note.status_code == 200
        await asyncio.sleep(3)  # the relay publishes within a second
        leaked = []
        while (message := await listener.get(no_ack=True, fail=False)) is not None:
            body = json.loads(message.body)
            if body.get("case_id") == case_id:
                leaked.append(body)
    finally:
        await channel.close()
    assert leaked == []

    case = (await api(gw, desk.handler, "GET", f"/api/v1/cases/{case_id}")).json()
    assert case["handler"] == desk.handler.username  # a task does not change the owner
    assert [t["title"] for t in case["tasks"]] == ["Ring apoteket"]

    listed = await api(
        gw,
        desk.handler,
        "GET",
        "/api/v1/cases",
        params={"priority": "high", "case_type": desk.open},
    )
    assert [i["id"] for i in listed.json()["items"]] == [case_id]
    assert listed.json()["items"][0]["category"] == "Recept"
    medium = await api(
        gw,
        desk.handler,
        "GET",
        "/api/v1/cases",
        params={"priority": "medium", "case_type": desk.open},
    )
    assert case_id not in [i["id"] for i in medium.json()["items"]]

    mine = await api(gw, desk.colleague, "GET", "/api/v1/cases", params={"view": "mine"})
    item = next(i for i in mine.json()["items"] if i["id"] == case_id)
    assert item["my_task"] is True
    tasks = await api(gw, desk.colleague, "GET", "/api/v1/tasks", params={"view": "mine"})
    assert [(t["title"], t["case_id"]) for t in tasks.json()] == [("Ring apoteket", case_id)]
    done = await api(
        gw,
        desk.colleague,
        "PATCH",
        f"/api/v1/cases/{case_id}/tasks/{task.json()['id']}",
        json={"done": True},
    )
    assert done.json()["status"] == "done"
    assert (await api(gw, desk.colleague, "GET", "/api/v1/tasks")).json() == []


async def test_a_task_for_a_handler_group_reaches_its_members(
    gw: Any, case_app: Any, desk: Desk
) -> None:
    code = f"grp-{uuid.uuid4().hex[:6]}"
    group = await gw.admin(
        "POST",
        "/api/v1/admin/groups",
        json={
            "code": code,
            "name": "Receptgruppen",
            "organization": desk.organization,
            "members": [desk.colleague.username],
        },
    )
    assert group.status_code == 201, group.text
    submission = await submit(gw, case_app, desk.open, personal_number(51))
    case_id = await eventually(lambda: case_id_of(case_app, submission))
    task = await api(
        gw,
        desk.handler,
        "POST",
        f"/api/v1/cases/{case_id}/tasks",
        json={"title": "Bedöm förnyelsen", "group": code},
    )
    assert task.status_code == 201, task.text
    member = await gw.token(desk.colleague.username, desk.colleague.password)
    async with gw.client() as http:
        tasks = await http.get("/api/v1/tasks", params={"view": "mine"}, headers=member)
    assert ("Bedöm förnyelsen", code) in [(t["title"], t["group"]) for t in tasks.json()]
