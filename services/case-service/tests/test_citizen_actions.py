"""The submitter's actions over the real broker (F-TW-1..4): statuses, idempotency, rejections,
and what the citizen portal receives."""

import base64
import hashlib
import json
import resource
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from arende_contracts.external import EXCHANGE_ESERVICE, ROUTING_SUBMISSION_CREATED
from arende_platform.testing import drain, eventually, publish_json, sample_submission
from arende_platform.topology import CITIZEN_ACTIONS, PUBLIC_CASE_EVENTS, SUBMISSIONS
from case_service.attachments.storage import CHUNK, read_attachment
from case_service.models import Attachment, Case, CaseEvent, CaseType, FormVersion

pytestmark = pytest.mark.asyncio(loop_scope="session")

PDF = base64.b64encode(b"%PDF-1.4\n%%EOF\n").decode()
EXE_AS_PDF = base64.b64encode(b"MZ\x90\x00" + b"\x00" * 60).decode()


async def _submit(app: Any, amqp: Any, **overrides: Any) -> tuple[int, str]:
    body = sample_submission(**overrides)
    await publish_json(amqp, EXCHANGE_ESERVICE, ROUTING_SUBMISSION_CREATED, body)

    async def case_id() -> int | None:
        async with app.state.runtime.sessions() as session:
            return (
                await session.execute(
                    select(Case.id).where(Case.submission_id == body["submission_id"])
                )
            ).scalar_one_or_none()

    return await eventually(case_id), body["submission_id"]


async def _act(amqp: Any, kind: str, submission_id: str, **body: Any) -> str:
    action_id = body.pop("action_id", str(uuid.uuid4()))
    await publish_json(
        amqp,
        EXCHANGE_ESERVICE,
        f"citizen.{kind}",
        {"action_id": action_id, "submission_id": submission_id, **body},
        message_id=action_id,
    )
    return action_id


async def _case(app: Any, case_id: int) -> Case:
    async with app.state.runtime.sessions() as session:
        return (await session.execute(select(Case).where(Case.id == case_id))).scalar_one()


async def _events(app: Any, case_id: int, kind: str) -> list[CaseEvent]:
    async with app.state.runtime.sessions() as session:
        rows = await session.execute(
            select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == kind)
        )
        return list(rows.scalars())


async def test_complement_three_times_is_one_complement_with_star_and_file(
    case_app: Any, case_type: dict[str, Any], amqp: Any
) -> None:
    case_id, submission_id = await _submit(case_app, amqp)
    action_id = str(uuid.uuid4())
    for _ in range(3):
        await _act(
            amqp,
            "complemented",
            submission_id,
            action_id=action_id,
            message="Här kommer intyget.",
            attachments=[{"filename": "intyg2.pdf", "data_base64": PDF}],
        )
    events = await eventually(lambda: _events(case_app, case_id, "complemented"))
    case = await _case(case_app, case_id)
    assert (case.status, case.starred) == ("complemented", True)
    assert len(await _events(case_app, case_id, "complemented")) == 1
    assert events[0].internal is False
    assert events[0].message == "Här kommer intyget."
    async with case_app.state.runtime.sessions() as session:
        files = (
            (await session.execute(select(Attachment).where(Attachment.event_id == events[0].id)))
            .scalars()
            .all()
        )
    assert [(f.filename, f.source) for f in files] == [("intyg2.pdf", "citizen")]


async def test_resubmitted_form_becomes_the_case_form_and_gets_a_new_pdf(
    case_app: Any, case_type: dict[str, Any], amqp: Any
) -> None:
    case_id, submission_id = await _submit(case_app, amqp)
    async with case_app.state.runtime.sessions() as session, session.begin():
        await session.execute(update(Case).where(Case.id == case_id).values(handler="hanna"))
    new_form = [{"section": "Ändrat", "fields": [{"key": "k", "label": "Ny", "value": "2"}]}]
    await _act(amqp, "resubmitted", submission_id, message="Rättat.", form=new_form)

    async def resubmitted() -> Case | None:
        case = await _case(case_app, case_id)
        return case if case.form_version == 2 else None

    case = await eventually(resubmitted)
    assert case.status == "awaiting_handling"
    assert case.handler == "hanna"  # handler and history are kept
    assert case.form == new_form
    async with case_app.state.runtime.sessions() as session:
        old = await session.get(FormVersion, (case_id, 1))
    assert old is not None and old.form[0]["section"] == "Person- och kontaktuppgifter"

    async def pdfs() -> list[str]:
        async with case_app.state.runtime.sessions() as session:
            rows = await session.execute(
                select(Attachment.filename)
                .where(Attachment.case_id == case_id, Attachment.source == "form")
                .order_by(Attachment.form_version)
            )
            names = list(rows.scalars())
        return names if len(names) == 2 else []

    assert await eventually(pdfs) == [
        "Anmälan till flexlinjen.pdf",
        "Anmälan till flexlinjen (version 2).pdf",
    ]


async def test_submitter_closes_the_case_with_a_text(
    case_app: Any, case_type: dict[str, Any], amqp: Any
) -> None:
    case_id, submission_id = await _submit(case_app, amqp)
    await _act(amqp, "closed", submission_id, message="Jag behöver inte längre hjälp.")
    events = await eventually(lambda: _events(case_app, case_id, "closed_by_user"))
    assert (await _case(case_app, case_id)).status == "closed_by_user"
    assert events[0].message == "Jag behöver inte längre hjälp."
    assert events[0].title == "Avslutad av användaren"


async def test_actions_that_cannot_apply_are_dead_lettered_with_a_reason(
    case_app: Any, case_type: dict[str, Any], amqp: Any
) -> None:
    case_id, submission_id = await _submit(case_app, amqp)
    archived_id, archived_submission = await _submit(case_app, amqp)
    async with case_app.state.runtime.sessions() as session, session.begin():
        await session.execute(update(Case).where(Case.id == archived_id).values(status="archived"))
    expected = {
        await _act(amqp, "complemented", str(uuid.uuid4()), message="?"): "unknown_case",
        await _act(amqp, "complemented", archived_submission, message="?"): "case_archived",
        await _act(
            amqp,
            "complemented",
            submission_id,
            message="fil",
            attachments=[{"filename": "faktura.pdf", "data_base64": EXE_AS_PDF}],
        ): "invalid_attachment",
        await _act(amqp, "resubmitted", submission_id, message="utan formulär"): "missing_form",
    }
    dead = await drain(amqp, CITIZEN_ACTIONS.dead_letter_queue, expect=len(expected))
    assert {m.message_id: m.headers["x-reason"] for m in dead} == expected
    assert (await _case(case_app, case_id)).status == "submitted"


async def test_one_way_case_types_refuse_actions(
    case_app: Any, case_client: httpx.AsyncClient, case_type: dict[str, Any], amqp: Any
) -> None:
    response = await case_client.post(
        "/internal/case-types",
        json={
            "code": "envag",
            "name": "Enkelriktad",
            "organization": "trafikkontoret",
            "two_way": False,
        },
    )
    assert response.status_code == 201, response.text
    _, submission_id = await _submit(case_app, amqp, case_type="envag")
    action_id = await _act(amqp, "complemented", submission_id, message="hej")
    dead = await drain(amqp, CITIZEN_ACTIONS.dead_letter_queue, expect=1)
    assert [(m.message_id, m.headers["x-reason"]) for m in dead] == [
        (action_id, "two_way_disabled")
    ]


async def test_the_portal_gets_external_events_and_never_internal_text(
    case_app: Any, case_client: httpx.AsyncClient, case_type: dict[str, Any], amqp: Any
) -> None:
    await drain(amqp, PUBLIC_CASE_EVENTS.name, expect=10_000, timeout=1)  # start clean
    case_id, submission_id = await _submit(case_app, amqp)
    secret = f"intern-anteckning-{uuid.uuid4().hex}"
    response = await case_client.post(
        f"/internal/cases/{case_id}/update",
        json={
            "title": "Vi tittar på det",
            "internal_message": secret,
            "status": "in_progress",
            "notify": False,
        },
    )
    assert response.status_code == 200, response.text
    await _act(amqp, "complemented", submission_id, message="Svar från mig")
    await eventually(lambda: _events(case_app, case_id, "complemented"))

    async def received() -> list[dict[str, Any]]:
        messages = await drain(amqp, PUBLIC_CASE_EVENTS.name, expect=10_000, timeout=1)
        return [json.loads(m.body) for m in messages]

    seen: list[dict[str, Any]] = []
    for _ in range(20):
        seen += await received()
        if any(e["status"] == "complemented" and e["case_id"] == case_id for e in seen):
            break
    mine = [e for e in seen if e["case_id"] == case_id]
    assert {e["status"] for e in mine} >= {"submitted", "in_progress", "complemented"}
    assert all(
        set(e) == {"submission_id", "case_id", "status", "title", "message", "occurred_at"}
        for e in mine
    )
    assert not any(secret in json.dumps(e) for e in seen)


async def test_a_10_mb_attachment_is_taken_or_refused_by_the_setting_without_exhausting_memory(
    case_app: Any, case_type: dict[str, Any], amqp: Any
) -> None:
    ten_mb = base64.b64encode(b"%PDF-1.7\n" + b"\x00" * (10 * 1024 * 1024)).decode()
    settings = case_app.state.runtime.settings
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    case_id, _ = await _submit(
        case_app, amqp, attachments=[{"filename": "stor.pdf", "data_base64": ten_mb}]
    )
    async with case_app.state.runtime.sessions() as session:
        size = (
            await session.execute(
                select(Attachment.size).where(
                    Attachment.case_id == case_id, Attachment.filename == "stor.pdf"
                )
            )
        ).scalar_one()
    assert size == 10 * 1024 * 1024 + 9
    # Read back from the store in bounded chunks, byte for byte what was sent.
    async with case_app.state.runtime.sessions() as session:
        stored = (
            await session.execute(
                select(Attachment).where(
                    Attachment.case_id == case_id, Attachment.filename == "stor.pdf"
                )
            )
        ).scalar_one()
    digest, sizes = hashlib.sha256(), []
    async for chunk in read_attachment(case_app.state.runtime.sessions, stored):
        digest.update(chunk)
        sizes.append(len(chunk))
    assert max(sizes) <= CHUNK and sum(sizes) == size
    assert digest.hexdigest() == stored.sha256
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before) / 1024
    assert grown_mb < 200, f"peak memory grew by {grown_mb:.0f} MB for one 10 MB file"

    limit = settings.max_attachment_bytes
    settings.max_attachment_bytes = 5 * 1024 * 1024
    try:
        body = sample_submission(attachments=[{"filename": "stor.pdf", "data_base64": ten_mb}])
        await publish_json(
            amqp, EXCHANGE_ESERVICE, ROUTING_SUBMISSION_CREATED, body, message_id="big"
        )
        dead = await drain(amqp, SUBMISSIONS.dead_letter_queue, expect=1)
        assert [(m.message_id, m.headers["x-reason"]) for m in dead] == [
            ("big", "attachment_too_large")
        ]
    finally:
        settings.max_attachment_bytes = limit
    async with case_app.state.runtime.sessions() as session:
        assert (await session.execute(select(CaseType.id))).first() is not None
