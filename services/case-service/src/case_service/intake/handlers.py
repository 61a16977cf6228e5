"""`submission.created` → exactly one case (F-IN-1..3), in batches of one transaction each."""

import logging
from typing import Any

from aio_pika.abc import AbstractIncomingMessage
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from arende_contracts.events import CaseSubmitted
from arende_contracts.external import (
    ROUTING_PUBLIC_CASE_EVENT,
    PublicCaseEvent,
    Submission,
)
from arende_contracts.statuses import CaseStatus
from arende_platform.messaging import Rejected, Subscription, Work
from arende_platform.outbox import event_row, stage
from arende_platform.topology import SUBMISSIONS
from case_service.attachments.service import prepare_files
from case_service.attachments.storage import save_attachments
from case_service.errors import CaseError
from case_service.models import Case, CaseEvent, CaseType, Organization, outbox
from case_service.public import public_row
from case_service.residents import service as residents
from case_service.settings import CaseServiceSettings

log = logging.getLogger(__name__)

SERVICE = "case-service"
SUBMITTED_TITLE = "Ärendet har skickats in"
# Core tables, not the ORM classes: the ORM's bulk path costs ~11 % of intake CPU (bench/).
CASES, CASE_EVENTS = Case.__table__, CaseEvent.__table__


def describe_validation_error(exc: ValidationError) -> Rejected:
    """A dead-letter reason from a pydantic error, without echoing the (personal) input."""
    first = exc.errors(include_input=False, include_url=False)[0]
    location = ".".join(str(p) for p in first["loc"])
    reason = first["type"]
    if reason in {"missing", "json_invalid", "model_type"} or reason.endswith("_type"):
        reason = "missing_field" if reason == "missing" else "malformed"
    details = "; ".join(
        f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
        for e in exc.errors(include_input=False, include_url=False)[:5]
    )
    return Rejected(reason, details or location)


def decode_submission(message: AbstractIncomingMessage) -> Submission:
    """Parse the body; anything that is not a valid submission is rejected with a reason."""
    try:
        return Submission.model_validate_json(message.body)
    except ValidationError as exc:
        raise describe_validation_error(exc) from None


def submission_key(item: Submission, message: AbstractIncomingMessage) -> str:
    """Submissions are idempotent by `submission_id`, whatever the message id."""
    return str(item.submission_id)


def _decode_attachments(
    work: Work[Submission], settings: CaseServiceSettings
) -> list[dict[str, Any]] | None:
    """The submission's files, checked by content and size like every other file."""
    try:
        return prepare_files(
            [(a.filename, a.data_base64) for a in work.item.attachments],
            settings.max_attachment_bytes,
            source="submission",
            max_files=settings.max_attachments,
        )
    except CaseError as refusal:
        reason = {
            "too_many_files": "too_many_attachments",
            "file_too_large": "attachment_too_large",
        }.get(refusal.code, "invalid_attachment")
        work.reject(reason, str(refusal.detail))
        return None


def _check_case_type(work: Work[Submission], case_type: CaseType | None) -> bool:
    submitter = work.item.submitter
    if case_type is None:
        work.reject("unknown_case_type", f"case type {work.item.case_type!r} does not exist")
    elif not case_type.active:
        work.reject("inactive_case_type", f"case type {case_type.code!r} is not active")
    elif submitter.kind == "anonymous" and not case_type.allow_anonymous:
        work.reject("anonymous_not_allowed", f"case type {case_type.code!r} needs a signed-in user")
    elif submitter.kind == "employee" and not case_type.internal:
        work.reject("employee_not_allowed", f"case type {case_type.code!r} is for residents")
    elif submitter.kind == "citizen" and case_type.internal:
        work.reject("citizen_not_allowed", f"case type {case_type.code!r} is for employees")
    return work.rejection is None


def make_intake(settings: CaseServiceSettings) -> Subscription[Submission]:
    """The intake subscription: validate, then insert cases, first events, attachments, outbox."""

    async def handle(session: AsyncSession, works: list[Work[Submission]]) -> None:
        codes = {w.item.case_type for w in works}
        rows = (
            await session.execute(
                select(CaseType, Organization.code)
                .join(Organization, Organization.id == CaseType.organization_id)
                .where(CaseType.code.in_(codes))
            )
        ).all()
        case_types = {ct.code: (ct, org) for ct, org in rows}

        accepted: list[tuple[Work[Submission], CaseType, str, list[dict[str, Any]]]] = []
        for work in works:
            ct_org = case_types.get(work.item.case_type)
            if not _check_case_type(work, ct_org[0] if ct_org else None):
                continue
            files = _decode_attachments(work, settings)
            if files is None:
                continue
            assert ct_org is not None
            accepted.append((work, ct_org[0], ct_org[1], files))
        # Restricted case types (begränsat urval): approved residents and shares only.
        await residents.refuse_unadmitted(session, [(a[0], a[1]) for a in accepted])
        accepted = [a for a in accepted if a[0].rejection is None]
        if not accepted:
            return

        values = []
        for work, case_type, _, _ in accepted:
            s = work.item
            values.append(
                {
                    "submission_id": s.submission_id,
                    "case_type_id": case_type.id,
                    "status": CaseStatus.SUBMITTED.value,
                    "title": case_type.name,
                    "business_area": s.business_area,
                    "submitter_kind": s.submitter.kind,
                    "submitter_personal_number": s.submitter.personal_number,
                    "submitter_account": s.submitter.account,
                    "submitter_name": s.submitter.name,
                    "submitter_email": s.submitter.email,
                    "submitter_phone": s.submitter.phone,
                    "form": [sec.model_dump(mode="json") for sec in s.form],
                    "correlation_id": str(s.submission_id),
                    "submitted_at": s.submitted_at,
                    "updated_at": s.submitted_at,
                }
            )
        # The unique submission_id is the last line of defence against a second case.
        inserted = (
            await session.execute(
                insert(CASES)
                .on_conflict_do_nothing(index_elements=["submission_id"])
                .returning(CASES.c.id, CASES.c.submission_id),
                values,
            )
        ).all()
        case_ids = {sub_id: case_id for case_id, sub_id in inserted}

        events, files, outbox_rows = [], [], []
        for work, case_type, org_code, attachments in accepted:
            s = work.item
            case_id = case_ids.get(s.submission_id)
            if case_id is None:
                continue  # the case exists already: this was a redelivery under a new message
            events.append(
                {
                    "case_id": case_id,
                    "internal": False,
                    "kind": "submitted",
                    "status": CaseStatus.SUBMITTED.value,
                    "title": SUBMITTED_TITLE,
                    "message": "",
                    "author": None,
                    "created_at": s.submitted_at,
                }
            )
            files.extend({**f, "case_id": case_id} for f in attachments)
            correlation = str(s.submission_id)
            submitted = CaseSubmitted(
                correlation_id=correlation,
                producer=SERVICE,
                data={
                    "case_id": case_id,
                    "submission_id": s.submission_id,
                    "case_type": case_type.code,
                    "case_type_name": case_type.name,
                    "organization": org_code,
                    "status": CaseStatus.SUBMITTED,
                    "submitter_kind": s.submitter.kind,
                    "business_area": s.business_area,
                    "submitted_at": s.submitted_at,
                },
            )
            outbox_rows.append(event_row(submitted))
            outbox_rows.append(
                public_row(
                    ROUTING_PUBLIC_CASE_EVENT,
                    PublicCaseEvent(
                        submission_id=s.submission_id,
                        case_id=case_id,
                        status=CaseStatus.SUBMITTED,
                        title=SUBMITTED_TITLE,
                        message="",
                        occurred_at=s.submitted_at,
                    ),
                    correlation,
                )
            )
        if events:
            await session.execute(insert(CASE_EVENTS), events)
        if files:
            await save_attachments(session, files)
        await stage(session, outbox, outbox_rows)
        log.info("cases created", extra={"count": len(events)})

    return Subscription(
        consumer="intake",
        queue=SUBMISSIONS,
        decode=decode_submission,
        key=submission_key,
        handle=handle,
        batch_size=settings.intake_batch_size,
        batch_wait=settings.intake_batch_wait,
        concurrency=settings.intake_concurrency,
        correlation=lambda item: str(item.submission_id),
    )
