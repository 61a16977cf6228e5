"""The 1177 and service-desk functions in case-service (F-AD-5..8): residents of restricted case
types and what intake does with their submissions, omvänt ärendeflöde, delsvar and motfråga
with the waiting time in the events, priority and category, internal tasks."""

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import func, select, update

from arende_contracts.access import Actor, Grant
from arende_contracts.events import EXCHANGE_INTERNAL
from arende_contracts.external import (
    EXCHANGE_ESERVICE,
    EXCHANGE_PUBLIC,
    ROUTING_CITIZEN_COMPLEMENTED,
    ROUTING_SUBMISSION_CREATED,
)
from arende_platform.testing import drain, eventually, publish_json, sample_submission
from arende_platform.topology import SUBMISSIONS
from case_service.models import Case, ResidentAudit, ResidentShare

from .test_actions import as_actor, take, tap

pytestmark = pytest.mark.asyncio(loop_scope="session")


def personal_number(serial: int, born: str = "19800101") -> str:
    """A valid 12-digit personnummer (Luhn over the last 10 digits)."""
    body = f"{born[2:]}{serial:03d}"
    total = 0
    for i, ch in enumerate(body):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return f"{born}{serial:03d}{(10 - total % 10) % 10}"


class Desk:
    def __init__(self, token: str) -> None:
        self.org = f"vardcentral-{token}"
        self.restricted = f"begransad-{token}"
        self.open = f"oppen-{token}"
        grant = [Grant(organization=self.org, role="handler")]
        self.handler = Actor(username=f"hanna-{token}", name="Hanna Handläggare", grants=grant)
        self.colleague = Actor(username=f"kalle-{token}", name="Kalle", grants=grant)
        self.member = Actor(
            username=f"greta-{token}",
            name="Greta",
            grants=[Grant(organization=self.org, role="reviewer")],
            groups=[f"grupp-{token}"],
        )
        self.group = f"grupp-{token}"
        self.outsider = Actor(
            username=f"olle-{token}", grants=[Grant(organization="annan", role="admin")]
        )


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def desk(case_client: httpx.AsyncClient) -> Desk:
    d = Desk(uuid.uuid4().hex[:8])
    response = await case_client.post(
        "/internal/organizations", json={"code": d.org, "name": "Vårdcentralen"}
    )
    assert response.status_code == 201, response.text
    for code, restricted in ((d.restricted, True), (d.open, False)):
        body = {
            "code": code,
            "name": "Förnyelse av recept" if restricted else "Kontakta oss",
            "organization": d.org,
            "restricted": restricted,
        }
        response = await case_client.post("/internal/case-types", json=body)
        assert response.status_code == 201, response.text
    return d


async def submit(amqp: Any, case_type: str, pnr: str, name: str = "Carin Testare") -> str:
    body = sample_submission(
        case_type=case_type,
        submitter={"kind": "citizen", "personal_number": pnr, "name": name},
    )
    await publish_json(
        amqp,
        EXCHANGE_ESERVICE,
        ROUTING_SUBMISSION_CREATED,
        body,
        message_id=body["submission_id"],
    )
    return str(body["submission_id"])


async def case_of(case_app: Any, submission_id: str) -> int | None:
    async with case_app.state.runtime.sessions() as session:
        return (
            await session.execute(
                select(Case.id).where(Case.submission_id == uuid.UUID(submission_id))
            )
        ).scalar_one_or_none()


async def dead_reason(amqp: Any, submission_id: str) -> str:
    for message in await drain(amqp, SUBMISSIONS.dead_letter_queue, expect=1, timeout=15):
        if message.message_id == submission_id:
            assert submission_id.encode() in message.body
            reason = str((message.headers or {})["x-reason"])
            detail = str((message.headers or {}).get("x-reason-detail", ""))
            return f"{reason}|{detail}"
    raise AssertionError("not dead-lettered")


# --- residents (F-AD-5) -------------------------------------------------------------------------


async def test_restricted_case_type_admits_only_approved_residents_and_shares(
    case_client: httpx.AsyncClient, case_app: Any, desk: Desk, amqp: Any
) -> None:
    stranger, approved, shared = personal_number(11), personal_number(12), personal_number(13)

    refused = await submit(amqp, desk.restricted, stranger)
    reason = await dead_reason(amqp, refused)
    assert reason.startswith("resident_not_approved|")
    assert stranger not in reason and stranger[2:] not in reason  # never a personnummer

    # A resident known from an earlier case shows with their name when approved.
    known = await submit(amqp, desk.open, approved, name="Anna Andersson")
    await eventually(lambda: case_of(case_app, known))
    answer = await case_client.post(
        "/internal/residents",
        json={"organization": desk.org, "personal_number": approved},
        headers=as_actor(desk.handler),
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["name"] == "Anna Andersson"
    again = await case_client.post(
        "/internal/residents",
        json={"organization": desk.org, "personal_number": approved},
        headers=as_actor(desk.handler),
    )
    assert again.status_code == 200

    share = await case_client.post(
        "/internal/residents/shares",
        json={"organization": desk.org, "personal_number": shared, "case_type": desk.restricted},
        headers=as_actor(desk.handler),
    )
    assert share.status_code == 201, share.text
    assert share.json()["until"] is None and share.json()["valid"]

    admitted = [
        await submit(amqp, desk.restricted, approved),
        await submit(amqp, desk.restricted, shared),
    ]
    for submission in admitted:
        assert await eventually(lambda s=submission: case_of(case_app, s))

    # Removing the approval (in bulk) closes the door again.
    removed = await case_client.request(
        "DELETE",
        "/internal/residents",
        json={"organization": desk.org, "personal_numbers": [approved, stranger]},
        headers=as_actor(desk.handler),
    )
    assert removed.json()["removed"] == [approved]
    after = await submit(amqp, desk.restricted, approved)
    assert (await dead_reason(amqp, after)).startswith("resident_not_approved|")

    # Another organization's staff cannot manage these residents.
    outsider = await case_client.post(
        "/internal/residents",
        json={"organization": desk.org, "personal_number": stranger},
        headers=as_actor(desk.outsider),
    )
    assert outsider.status_code == 403


async def test_an_expired_share_refuses_the_submission_and_the_expiry_is_audited(
    case_client: httpx.AsyncClient, case_app: Any, desk: Desk, amqp: Any
) -> None:
    resident = personal_number(21)
    share = await case_client.post(
        "/internal/residents/shares",
        json={
            "organization": desk.org,
            "personal_number": resident,
            "case_type": desk.restricted,
            "until": "2099-12-31",
        },
        headers=as_actor(desk.handler),
    )
    assert share.status_code == 201, share.text
    share_id = share.json()["id"]
    past = await case_client.patch(
        f"/internal/residents/shares/{share_id}",
        json={"until": "2001-01-01"},
        headers=as_actor(desk.handler),
    )
    assert past.status_code == 422  # a share cannot be given a last day that has passed

    # The last day passes (yesterday, in Swedish time).
    async with case_app.state.runtime.sessions() as session, session.begin():
        today = await session.scalar(select(func.timezone("Europe/Stockholm", func.now())))
        await session.execute(
            update(ResidentShare)
            .where(ResidentShare.id == share_id)
            .values(until=(today - timedelta(days=1)).date())
        )
    refused = await submit(amqp, desk.restricted, resident)
    assert (await dead_reason(amqp, refused)).startswith("share_expired|")

    async with case_app.state.runtime.sessions() as session:
        expiries = (
            await session.scalars(
                select(ResidentAudit).where(
                    ResidentAudit.personal_number == resident,
                    ResidentAudit.action == "share_expired",
                )
            )
        ).all()
    assert len(expiries) == 1 and expiries[0].actor == "system"
    listing = await case_client.post(
        "/internal/residents/list", json={"organization": desk.org}, headers=as_actor(desk.handler)
    )
    person = next(r for r in listing.json()["residents"] if r["personal_number"] == resident)
    assert person["shares"][0]["expired"] is True

    # Extended (Ändra): valid again, and the change is in the audit.
    extended = await case_client.patch(
        f"/internal/residents/shares/{share_id}",
        json={"until": None},
        headers=as_actor(desk.handler),
    )
    assert extended.json()["until"] is None and extended.json()["valid"]
    admitted = await submit(amqp, desk.restricted, resident)
    assert await eventually(lambda: case_of(case_app, admitted))
    removed = await case_client.delete(
        f"/internal/residents/shares/{share_id}", headers=as_actor(desk.handler)
    )
    assert removed.status_code == 204
    audit = await case_client.post(
        "/internal/residents/audit",
        json={"organization": desk.org},
        headers={"x-internal-token": "test-internal-token", "x-actor": SUPER},
    )
    actions = [a["action"] for a in audit.json() if a["personal_number"] == resident]
    assert actions == ["share_removed", "share_changed", "share_expired", "shared"]


SUPER = Actor(username="admin", superuser=True).model_dump_json()


# --- omvänt ärendeflöde (F-AD-7) ----------------------------------------------------------------


async def test_outreach_makes_one_case_per_resident_that_they_can_answer(
    case_client: httpx.AsyncClient, case_app: Any, desk: Desk, amqp: Any
) -> None:
    recipients = [personal_number(31), personal_number(32)]
    body = {
        "case_type": desk.open,
        "recipients": recipients,
        "title": "Dags för årskontroll",
        "message": "Hur mår du? Svara gärna här.",
    }
    async with tap(amqp, EXCHANGE_PUBLIC, "#") as public:
        sent = await case_client.post(
            "/internal/outreach", json=body, headers=as_actor(desk.handler)
        )
        assert sent.status_code == 202, sent.text
        case_ids = sent.json()["case_ids"]
        assert len(case_ids) == 2 and sent.json()["created"] == 2
        published = await take(amqp, public, case_ids[0], expect=2)
    # Mina sidor learns whose case it is (case.created), then gets its message (case.event).
    created = next(m for m in published if "personal_number" in m)
    event = next(m for m in published if "status" in m)
    assert created["personal_number"] == recipients[0] and created["two_way"] is True
    assert event["title"] == "Dags för årskontroll"
    assert event["status"] == "awaiting_submitter"
    assert created["submission_id"] == event["submission_id"]

    again = await case_client.post("/internal/outreach", json=body, headers=as_actor(desk.handler))
    assert again.json()["case_ids"] == case_ids and again.json()["created"] == 0

    case = (
        await case_client.get(f"/internal/cases/{case_ids[0]}", headers=as_actor(desk.handler))
    ).json()
    assert case["status"] == "awaiting_submitter"
    assert case["handler"] == desk.handler.username
    assert case["submitter"]["personal_number"] == recipients[0]

    # The resident answers through the two-way actions.
    async with case_app.state.runtime.sessions() as session:
        submission_id = await session.scalar(
            select(Case.submission_id).where(Case.id == case_ids[0])
        )
    await publish_json(
        amqp,
        EXCHANGE_ESERVICE,
        ROUTING_CITIZEN_COMPLEMENTED,
        {"action_id": str(uuid.uuid4()), "submission_id": str(submission_id), "message": "Bra!"},
    )

    async def answered() -> bool:
        got = await case_client.get(
            f"/internal/cases/{case_ids[0]}", headers=as_actor(desk.handler)
        )
        return got.json()["status"] == "complemented"

    await eventually(answered)

    too_many = {**body, "recipients": [personal_number(i) for i in range(100, 351)]}
    refused = await case_client.post(
        "/internal/outreach", json=too_many, headers=as_actor(desk.handler)
    )
    assert refused.status_code == 422
    assert refused.headers["x-error-code"] == "outreach_too_many"


_seen: list[dict[str, Any]] = []


async def updates(
    amqp: Any, queue: Any, case_id: int, kind: str | None, status: str | None = None
) -> list[dict[str, Any]]:
    """CaseUpdated events about the case with this update_kind (and status), so far."""
    _seen.extend(await take(amqp, queue, case_id, expect=10, timeout=0.5))
    return [
        m
        for m in _seen
        if m["event_type"] == "CaseUpdated"
        and m["data"]["case_id"] == case_id
        and m["data"].get("update_kind") == kind
        and (status is None or m["data"]["status"] == status)
    ]


# --- delsvar and motfråga (F-AD-8) ------------------------------------------------------------


async def test_a_counter_question_waits_for_the_submitter_and_the_wait_is_in_the_events(
    case_client: httpx.AsyncClient, case_app: Any, desk: Desk, amqp: Any
) -> None:
    submission = await submit(amqp, desk.open, personal_number(41))
    case_id = await eventually(lambda: case_of(case_app, submission))
    partial = await case_client.post(
        f"/internal/cases/{case_id}/update",
        json={
            "kind": "partial_answer",
            "title": "Delsvar",
            "external_message": "Vi återkommer inom en vecka.",
        },
        headers=as_actor(desk.handler),
    )
    assert partial.status_code == 200, partial.text
    assert partial.json()["events"][0]["kind"] == "partial_answer"
    assert partial.json()["status"] == "submitted"

    async with tap(amqp, EXCHANGE_INTERNAL, "case.#") as internal:
        asked = await case_client.post(
            f"/internal/cases/{case_id}/update",
            json={
                "kind": "counter_question",
                "title": "Motfråga",
                "external_message": "Vilken dos tar du i dag?",
            },
            headers=as_actor(desk.handler),
        )
        assert asked.status_code == 200, asked.text
        assert asked.json()["status"] == "awaiting_submitter"
        started = await eventually(lambda: updates(amqp, internal, case_id, "counter_question"))
        # An hour passes before the submitter answers.
        async with case_app.state.runtime.sessions() as session, session.begin():
            await session.execute(
                update(Case)
                .where(Case.id == case_id)
                .values(awaiting_since=Case.awaiting_since - timedelta(hours=1))
            )
        await publish_json(
            amqp,
            EXCHANGE_ESERVICE,
            ROUTING_CITIZEN_COMPLEMENTED,
            {"action_id": str(uuid.uuid4()), "submission_id": submission, "message": "10 mg"},
        )
        ended = await eventually(lambda: updates(amqp, internal, case_id, None, "complemented"))
    assert started[0]["data"]["update_kind"] == "counter_question"
    assert started[0]["data"]["awaiting_submitter_since"] is not None
    data = ended[0]["data"]
    assert (data["previous_status"], data["status"]) == ("awaiting_submitter", "complemented")
    assert 3600 <= data["waiting_seconds"] < 3700
    assert data["total_waiting_seconds"] == data["waiting_seconds"]
    assert data["awaiting_submitter_since"] is None

    no_message = await case_client.post(
        f"/internal/cases/{case_id}/update",
        json={"kind": "counter_question", "title": "Motfråga"},
        headers=as_actor(desk.handler),
    )
    assert no_message.status_code == 422


# --- priority, category, tasks (F-AD-6) --------------------------------------------------------


async def test_priority_category_and_tasks_never_reach_the_citizen_portal(
    case_client: httpx.AsyncClient, case_app: Any, desk: Desk, amqp: Any
) -> None:
    submission = await submit(amqp, desk.open, personal_number(51))
    case_id = await eventually(lambda: case_of(case_app, submission))
    case = (
        await case_client.get(f"/internal/cases/{case_id}", headers=as_actor(desk.handler))
    ).json()
    assert case["priority"] == "medium" and case["category"] is None

    async with tap(amqp, EXCHANGE_PUBLIC, "#") as public:
        changed = await case_client.patch(
            f"/internal/cases/{case_id}",
            json={"priority": "high", "category": "Recept"},
            headers=as_actor(desk.handler),
        )
        assert changed.status_code == 200, changed.text
        assert (changed.json()["priority"], changed.json()["category"]) == ("high", "Recept")
        task = await case_client.post(
            f"/internal/cases/{case_id}/tasks",
            json={
                "title": "Ring apoteket",
                "description": "Fråga om leveransen",
                "assignee": desk.colleague.username,
            },
            headers=as_actor(desk.handler),
        )
        assert task.status_code == 201, task.text
        group_task = await case_client.post(
            f"/internal/cases/{case_id}/tasks",
            json={"title": "Bedöm", "group": desk.group},
            headers=as_actor(desk.handler),
        )
        assert group_task.status_code == 201
        await case_client.post(
            f"/internal/cases/{case_id}/update",
            json={"title": "Anteckning", "internal_message": "Bara för oss"},
            headers=as_actor(desk.handler),
        )
        leaked = await take(amqp, public, case_id, expect=1, timeout=3)
    assert leaked == []  # neither tasks, priority nor internal notes reach eservice.public

    filtered = await case_client.get(
        "/internal/cases",
        params={"priority": "high", "case_type": desk.open},
        headers=as_actor(desk.handler),
    )
    assert [c["id"] for c in filtered.json()["items"]] == [case_id]
    assert filtered.json()["items"][0]["priority"] == "high"
    low = await case_client.get(
        "/internal/cases",
        params={"priority": "low", "case_type": desk.open},
        headers=as_actor(desk.handler),
    )
    assert low.json()["items"] == []

    # The colleague's Mina ärenden shows the case with a task marker; the handler stays.
    mine = await case_client.get(
        "/internal/cases", params={"view": "mine"}, headers=as_actor(desk.colleague)
    )
    item = next(c for c in mine.json()["items"] if c["id"] == case_id)
    assert item["my_task"] is True and item["handler"] == desk.handler.username
    tasks = await case_client.get(
        "/internal/tasks", params={"view": "mine"}, headers=as_actor(desk.colleague)
    )
    assert [t["title"] for t in tasks.json()] == ["Ring apoteket"]
    group_tasks = await case_client.get("/internal/tasks", headers=as_actor(desk.member))
    assert [t["title"] for t in group_tasks.json()] == ["Bedöm"]

    done = await case_client.patch(
        f"/internal/cases/{case_id}/tasks/{task.json()['id']}",
        json={"done": True},
        headers=as_actor(desk.colleague),
    )
    assert done.json()["status"] == "done"
    tasks = await case_client.get("/internal/tasks", headers=as_actor(desk.colleague))
    assert tasks.json() == []
    detail = (
        await case_client.get(f"/internal/cases/{case_id}", headers=as_actor(desk.handler))
    ).json()
    assert [t["status"] for t in detail["tasks"]] == ["open", "done"]
    assert all(e["internal"] for e in detail["events"] if e["kind"] in ("task", "classified"))
