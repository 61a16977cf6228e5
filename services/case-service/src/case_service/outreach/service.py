"""Omvänt ärendeflöde (F-AD-7, seed 001): staff send a message or a question to up to 250
residents at once, and each recipient gets a case of their own.

Each case starts as if the resident had submitted it, with the sender as handler and the status
Väntar på komplettering: the message is its first external event (published for Mina sidor),
and the resident answers with the two-way actions (`citizen.complemented` etc.), after which
the case follows the normal flow. Idempotent: the outreach has an id (the caller's, or derived
from sender, case type, texts, recipients and the day), each recipient's case the submission
id uuid5(outreach id, personnummer), so a repeated request finds the cases it made.
"""

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid5

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from arende_contracts.access import Actor
from arende_contracts.events import CaseAssigned, CaseSubmitted
from arende_contracts.external import (
    ROUTING_PUBLIC_CASE_CREATED,
    ROUTING_PUBLIC_CASE_EVENT,
    PublicCaseCreated,
    PublicCaseEvent,
)
from arende_contracts.statuses import CaseStatus
from arende_platform.outbox import event_row, stage
from case_service.access import visible_case_type_ids
from case_service.access_log import repository as access_log
from case_service.errors import CaseError
from case_service.models import Case, CaseEvent, CaseType, Organization, outbox
from case_service.permissions import may_handle
from case_service.public import public_row

SERVICE = "case-service"
MAX_RECIPIENTS = 250
SECTION = "Meddelande till invånaren"
NAMESPACE = UUID("5b0e1a3c-3f57-4c53-9d55-6f1f0c0a7e25")

CASES, CASE_EVENTS = Case.__table__, CaseEvent.__table__


def outreach_key(
    actor: Actor, case_type: str, title: str, message: str, recipients: Sequence[str], day: str
) -> UUID:
    """The id of an outreach the caller gave none: the same send on the same day is one."""
    text = "\x1f".join([actor.username, case_type, title, message, day, *sorted(recipients)])
    return uuid5(NAMESPACE, hashlib.sha256(text.encode()).hexdigest())


def recipient_submission_id(outreach_id: UUID, personal_number: str) -> UUID:
    return uuid5(outreach_id, personal_number)


async def _case_type(session: AsyncSession, actor: Actor, code: str) -> tuple[CaseType, str]:
    row = (
        await session.execute(
            select(CaseType, Organization.code)
            .join(Organization, Organization.id == CaseType.organization_id)
            .where(CaseType.code == code)
        )
    ).first()
    allowed = await visible_case_type_ids(session, actor)
    if row is None or (allowed is not None and row[0].id not in allowed):
        raise CaseError(422, "outreach_unknown_case_type", "unknown case type", case_type=code)
    case_type, organization = row
    if not may_handle(actor, organization, case_type.code):
        raise CaseError(403, "role", "your role does not allow sending cases to residents")
    if not case_type.active:
        raise CaseError(422, "outreach_inactive", "the case type is not active", case_type=code)
    if case_type.internal:
        raise CaseError(422, "outreach_internal", "the case type is for employees", case_type=code)
    return case_type, organization


async def send(
    session: AsyncSession,
    actor: Actor,
    case_type_code: str,
    recipients: Sequence[str],
    title: str,
    message: str,
    outreach_id: UUID | None,
) -> dict[str, Any]:
    """Create (or find again) one case per recipient; the case ids in the recipients' order."""
    unique = list(dict.fromkeys(recipients))
    if not unique:
        raise CaseError(422, "outreach_no_recipients", "give at least one recipient")
    if len(unique) > MAX_RECIPIENTS:
        raise CaseError(
            422,
            "outreach_too_many",
            f"at most {MAX_RECIPIENTS} recipients",
            limit=MAX_RECIPIENTS,
            count=len(unique),
        )
    case_type, organization = await _case_type(session, actor, case_type_code)
    now = await session.scalar(select(func.now()))
    assert now is not None
    if outreach_id is None:
        day = now.date().isoformat()
        outreach_id = outreach_key(actor, case_type.code, title, message, unique, day)
    ids = {pn: recipient_submission_id(outreach_id, pn) for pn in unique}
    names = await _known_names(session, case_type.organization_id, unique)
    form = [
        {
            "section": SECTION,
            "fields": [
                {"key": "rubrik", "label": "Rubrik", "value": title},
                {"key": "meddelande", "label": "Meddelande", "value": message},
            ],
        }
    ]
    values = [
        {
            "submission_id": ids[pn],
            "case_type_id": case_type.id,
            "status": CaseStatus.AWAITING_SUBMITTER.value,
            "title": title,
            "handler": actor.username,
            "submitter_kind": "citizen",
            "submitter_personal_number": pn,
            "submitter_name": names.get(pn),
            "form": form,
            "correlation_id": str(ids[pn]),
            "submitted_at": now,
            "updated_at": now,
            "awaiting_since": now,
        }
        for pn in unique
    ]
    inserted = dict(
        (
            await session.execute(
                insert(CASES)
                .on_conflict_do_nothing(index_elements=["submission_id"])
                .returning(CASES.c.submission_id, CASES.c.id),
                values,
            )
        ).all()
    )
    if inserted:
        recipients = {ids[pn]: pn for pn in unique}
        await _record_new(
            session, actor, case_type, organization, inserted, recipients, title, message, now
        )
    found = dict(inserted)
    missing = [ids[pn] for pn in unique if ids[pn] not in inserted]
    if missing:
        rows = await session.execute(
            select(Case.submission_id, Case.id).where(Case.submission_id.in_(missing))
        )
        found.update({submission_id: case_id for submission_id, case_id in rows})
    return {
        "outreach_id": str(outreach_id),
        "case_type": case_type.code,
        "case_ids": [found[ids[pn]] for pn in unique],
        "created": len(inserted),
    }


async def _known_names(
    session: AsyncSession, organization_id: int, personal_numbers: Sequence[str]
) -> dict[str, str]:
    rows = await session.execute(
        select(Case.submitter_personal_number, Case.submitter_name)
        .join(CaseType, CaseType.id == Case.case_type_id)
        .where(
            CaseType.organization_id == organization_id,
            Case.submitter_personal_number.in_(list(personal_numbers)),
            Case.submitter_name.is_not(None),
        )
        .order_by(Case.submitted_at, Case.id)
    )
    return {pn: name for pn, name in rows}


async def _record_new(
    session: AsyncSession,
    actor: Actor,
    case_type: CaseType,
    organization: str,
    inserted: dict[UUID, int],
    recipients: dict[UUID, str],
    title: str,
    message: str,
    now: datetime,
) -> None:
    """The new cases' first events, their access-log entries and outbox rows: CaseSubmitted and
    CaseAssigned inside, and for Mina sidor `case.created` (whose case it is) then `case.event`
    (the message)."""
    await session.execute(
        insert(CASE_EVENTS),
        [
            {
                "case_id": case_id,
                "internal": False,
                "kind": "outreach",
                "status": CaseStatus.AWAITING_SUBMITTER.value,
                "title": title,
                "message": message,
                "author": actor.username,
                "created_at": now,
            }
            for case_id in inserted.values()
        ],
    )
    rows = []
    for submission_id, case_id in inserted.items():
        correlation = str(submission_id)
        facts = {"case_id": case_id, "case_type": case_type.code, "organization": organization}
        rows.append(
            event_row(
                CaseSubmitted(
                    correlation_id=correlation,
                    producer=SERVICE,
                    occurred_at=now,
                    data={
                        **facts,
                        "case_type_name": case_type.name,
                        "submission_id": submission_id,
                        "status": CaseStatus.AWAITING_SUBMITTER,
                        "submitter_kind": "citizen",
                        "submitted_at": now,
                        "origin": "outreach",
                        "awaiting_submitter_since": now,
                    },
                )
            )
        )
        rows.append(
            event_row(
                CaseAssigned(
                    correlation_id=correlation,
                    producer=SERVICE,
                    # after CaseSubmitted, for consumers that order by occurred_at
                    occurred_at=now + timedelta(microseconds=1),
                    data={
                        **facts,
                        "handler": actor.username,
                        "assigned_by": actor.username,
                        "notify": False,
                    },
                )
            )
        )
        rows.append(
            public_row(
                ROUTING_PUBLIC_CASE_CREATED,
                PublicCaseCreated(
                    submission_id=submission_id,
                    case_id=case_id,
                    case_type=case_type.code,
                    case_type_name=case_type.name,
                    personal_number=recipients[submission_id],
                    title=title,
                    two_way=case_type.two_way,
                    occurred_at=now,
                ),
                correlation,
            )
        )
        rows.append(
            public_row(
                ROUTING_PUBLIC_CASE_EVENT,
                PublicCaseEvent(
                    submission_id=submission_id,
                    case_id=case_id,
                    status=CaseStatus.AWAITING_SUBMITTER,
                    title=title,
                    message=message,
                    occurred_at=now,
                ),
                correlation,
            )
        )
        await access_log.record(session, actor, case_id, "outreach", "sent to the resident")
    await stage(session, outbox, rows)
