"""Intake over the real broker and database: idempotency and dead-lettering (F-IN-1, F-IN-3)."""

import asyncio
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import func, select

from arende_contracts.external import EXCHANGE_ESERVICE, ROUTING_SUBMISSION_CREATED
from arende_platform.testing import drain, eventually, publish_json
from arende_platform.testing import sample_submission as submission
from arende_platform.topology import SUBMISSIONS
from case_service.attachments.storage import read_attachment
from case_service.models import Attachment, Case

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _cases_for(app: Any, submission_id: str) -> list[Case]:
    async with app.state.runtime.sessions() as session:
        rows = await session.execute(select(Case).where(Case.submission_id == submission_id))
        return list(rows.scalars())


def _dead_lettered(reason: str) -> float:
    value = REGISTRY.get_sample_value(
        "messages_dead_lettered_total", {"queue": SUBMISSIONS.name, "reason": reason}
    )
    return value or 0.0


async def test_same_submission_three_times_makes_one_case(
    case_app: Any, case_client: httpx.AsyncClient, case_type: dict[str, Any], amqp: Any
) -> None:
    body = submission()
    for _ in range(3):
        await publish_json(amqp, EXCHANGE_ESERVICE, ROUTING_SUBMISSION_CREATED, body)

    cases = await eventually(lambda: _cases_for(case_app, body["submission_id"]))
    await asyncio.sleep(0.5)  # let the two redeliveries be consumed too
    cases = await _cases_for(case_app, body["submission_id"])
    assert len(cases) == 1
    case = cases[0]
    assert case.status == "submitted"
    assert case.title == "Anmälan till flexlinjen"

    async def files() -> list[Attachment]:
        async with case_app.state.runtime.sessions() as session:
            rows = await session.execute(
                select(Attachment).where(Attachment.case_id == case.id).order_by(Attachment.id)
            )
            found = list(rows.scalars())
        return found if len(found) == 2 else []

    stored = await eventually(files)
    attachment = next(f for f in stored if f.source == "submission")
    assert attachment.filename == "intyg.pdf"
    assert (attachment.storage, attachment.size) == ("postgresql", len(b"%PDF-1.4\n"))
    assert await _bytes_of(case_app, attachment) == b"%PDF-1.4\n"
    # The form itself, rendered as a PDF named after the case type, off the intake path.
    form_pdf = next(f for f in stored if f.source == "form")
    assert form_pdf.filename == "Anmälan till flexlinjen.pdf"
    assert form_pdf.form_version == 1
    assert form_pdf.content_type == "application/pdf"
    assert (await _bytes_of(case_app, form_pdf)).startswith(b"%PDF-")

    listed = (await case_client.get("/internal/cases", params={"view": "all"})).json()
    assert case.id in [item["id"] for item in listed["items"]]


async def test_case_submitted_leaves_through_the_outbox(
    case_app: Any, case_type: dict[str, Any], amqp: Any
) -> None:
    # A queue of the test's own: report-service's queue may have a consumer in this session.
    channel = await amqp.channel()
    probe = await channel.declare_queue(exclusive=True)
    await probe.bind("arende.events", routing_key="case.submitted.v1")
    body = submission()
    await publish_json(amqp, EXCHANGE_ESERVICE, ROUTING_SUBMISSION_CREATED, body)
    cases = await eventually(lambda: _cases_for(case_app, body["submission_id"]))

    async def outbox_empty() -> bool:
        async with case_app.state.runtime.sessions() as session:
            outbox = case_app.state.runtime.outbox
            return (await session.execute(select(func.count()).select_from(outbox))).scalar() == 0

    await eventually(outbox_empty)
    messages = []
    while (message := await probe.get(no_ack=True, fail=False)) is not None:
        messages.append(message)
    await channel.close()
    mine = [m for m in messages if f'"case_id":{cases[0].id},' in m.body.decode()]
    assert len(mine) == 1
    assert mine[0].type == "CaseSubmitted"
    assert mine[0].delivery_mode == 2  # persistent
    assert mine[0].message_id


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "malformed"),
        (submission(case_type="finns-inte"), "unknown_case_type"),
        (
            submission(submitter={"kind": "citizen", "personal_number": "195601234567"}),
            "invalid_personal_number",
        ),
        (submission(form=[]), "too_short"),
        (submission(submitter={"kind": "anonymous"}), "anonymous_not_allowed"),
        (submission(submitter={"kind": "employee", "account": "anst1"}), "employee_not_allowed"),
        (
            submission(
                submitter={"kind": "citizen", "personal_number": "191212121212", "phone": "12"}
            ),
            "invalid_phone",
        ),
        (submission(submitter={"kind": "citizen"}), "missing_personal_number"),
        (submission(submitted_at="2026-11-24T10:15:00"), "timezone_aware"),
        (
            submission(attachments=[{"filename": "a.pdf", "data_base64": "JVBERi0xLjQK"}] * 11),
            "too_many_attachments",
        ),
        (
            submission(
                attachments=[{"filename": "faktura.pdf", "data_base64": "TVqQAAMAAAAEAAAA"}]
            ),
            "invalid_attachment",
        ),
    ],
    ids=[
        "malformed",
        "unknown-case-type",
        "bad-checksum",
        "empty-form",
        "anonymous",
        "employee",
        "phone",
        "no-personnummer",
        "naive-time",
        "eleven-files",
        "exe-as-pdf",
    ],
)
async def test_invalid_submission_goes_to_dead_letter_queue_with_reason(
    case_app: Any, case_type: dict[str, Any], amqp: Any, body: Any, reason: str
) -> None:
    before = _dead_lettered(reason)
    good_before, good_after = submission(), submission()
    await publish_json(amqp, EXCHANGE_ESERVICE, ROUTING_SUBMISSION_CREATED, good_before)
    await publish_json(
        amqp, EXCHANGE_ESERVICE, ROUTING_SUBMISSION_CREATED, body, message_id="bad-one"
    )
    await publish_json(amqp, EXCHANGE_ESERVICE, ROUTING_SUBMISSION_CREATED, good_after)

    dead = await drain(amqp, SUBMISSIONS.dead_letter_queue, expect=1)
    assert len(dead) == 1
    assert dead[0].headers["x-reason"] == reason
    assert dead[0].message_id == "bad-one"
    assert dead[0].body == (body if isinstance(body, bytes) else dead[0].body)
    assert _dead_lettered(reason) == before + 1
    # The good submissions around it became cases.
    for good in (good_before, good_after):
        assert await eventually(lambda g=good: _cases_for(case_app, g["submission_id"]))


async def _bytes_of(case_app: Any, attachment: Attachment) -> bytes:
    chunks = read_attachment(case_app.state.runtime.sessions, attachment)
    return b"".join([c async for c in chunks])
