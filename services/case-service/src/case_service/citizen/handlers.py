"""The submitter's actions over the bus (F-TW-1..3): complement, resubmit, close.

Idempotent by `action_id`; matched to the case by `submission_id`. An action that can never
apply (unknown or archived case, two-way communication off, a closed case, a bad file) goes to
`case-service.citizen-actions.dlq` with the reason.
"""

from dataclasses import dataclass
from typing import Any, Literal

from aio_pika.abc import AbstractIncomingMessage
from pydantic import ValidationError
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from arende_contracts.events import CaseResubmitted
from arende_contracts.external import (
    ROUTING_CITIZEN_CLOSED,
    ROUTING_CITIZEN_COMPLEMENTED,
    ROUTING_CITIZEN_RESUBMITTED,
    CitizenAction,
)
from arende_contracts.statuses import CLOSED_STATUSES, CaseStatus
from arende_platform.messaging import Rejected, Subscription, Work
from arende_platform.topology import CITIZEN_ACTIONS
from case_service.actions.service import CaseChange
from case_service.attachments.service import prepare_files
from case_service.cases.detail import LoadedCase
from case_service.errors import CaseError
from case_service.intake.handlers import describe_validation_error
from case_service.models import Case, CaseType, FormVersion, Organization
from case_service.settings import CaseServiceSettings

Kind = Literal["complemented", "resubmitted", "closed"]
KINDS: dict[str, Kind] = {
    ROUTING_CITIZEN_COMPLEMENTED: "complemented",
    ROUTING_CITIZEN_RESUBMITTED: "resubmitted",
    ROUTING_CITIZEN_CLOSED: "closed",
}
COMPLEMENT_TITLE = "Komplettering från användaren"
RESUBMIT_TITLE = "Användaren har uppdaterat och skickat in formuläret på nytt"
CLOSE_TITLE = "Avslutad av användaren"


@dataclass(frozen=True)
class SubmitterAction:
    kind: Kind
    action: CitizenAction


def decode(message: AbstractIncomingMessage) -> SubmitterAction:
    kind = KINDS.get(message.routing_key or "")
    if kind is None:
        raise Rejected("unknown_action", f"routing key {message.routing_key!r}")
    try:
        action = CitizenAction.model_validate_json(message.body)
    except ValidationError as exc:
        raise describe_validation_error(exc) from None
    if kind == "resubmitted" and not action.form:
        raise Rejected("missing_form", "citizen.resubmitted needs the new form")
    return SubmitterAction(kind, action)


async def _load(session: AsyncSession, work: Work[SubmitterAction]) -> LoadedCase | None:
    row = (
        await session.execute(
            select(Case, CaseType, Organization, func.now())
            .join(CaseType, CaseType.id == Case.case_type_id)
            .join(Organization, Organization.id == CaseType.organization_id)
            .where(Case.submission_id == work.item.action.submission_id)
            .with_for_update(of=Case)
        )
    ).first()
    if row is None:
        work.reject("unknown_case", "no case has this submission_id")
        return None
    loaded = LoadedCase(*row)
    status = loaded.case.status
    if status == CaseStatus.ARCHIVED:
        work.reject("case_archived", f"case {loaded.case.id} is archived")
    elif not loaded.case_type.two_way:
        work.reject("two_way_disabled", f"case type {loaded.case_type.code!r} is one-way")
    elif status in CLOSED_STATUSES:
        work.reject("case_closed", f"case {loaded.case.id} is closed")
    return None if work.rejection else loaded


def make_citizen_actions(settings: CaseServiceSettings) -> Subscription[SubmitterAction]:
    """The subscription applying the submitter's actions."""

    async def apply(session: AsyncSession, work: Work[SubmitterAction]) -> None:
        loaded = await _load(session, work)
        if loaded is None:
            return
        kind, action = work.item.kind, work.item.action
        try:
            files = prepare_files(
                [(a.filename, a.data_base64) for a in action.attachments],
                settings.max_attachment_bytes,
                source="citizen",
                max_files=settings.max_attachments,
            )
        except CaseError as refusal:
            work.reject("invalid_attachment", str(refusal.detail))
            return
        case: Any = loaded.case
        previous = case.status
        change = CaseChange(loaded, None, f"citizen_{kind}", notify=False)
        if kind == "complemented":
            case.status = CaseStatus.COMPLEMENTED.value
            case.starred = True
            event = change.add(
                "complemented", internal=False, title=COMPLEMENT_TITLE, message=action.message
            )
            change.updated(previous)
        elif kind == "resubmitted":
            assert action.form is not None
            await session.execute(
                insert(FormVersion).values(
                    case_id=case.id,
                    version=case.form_version,
                    form=case.form,
                    submitted_at=case.updated_at if case.form_version > 1 else case.submitted_at,
                )
            )
            case.form = [section.model_dump(mode="json") for section in action.form]
            case.form_version += 1
            case.status = CaseStatus.AWAITING_HANDLING.value
            case.starred = False
            event = change.add(
                "resubmitted", internal=False, title=RESUBMIT_TITLE, message=action.message
            )
            change.domain_events.append(
                CaseResubmitted(
                    **change.envelope_base(),
                    data={
                        **change.facts(),
                        "version": case.form_version,
                        "status": case.status,
                        "previous_status": previous,
                        **change.waiting(),
                    },
                )
            )
        else:
            case.status = CaseStatus.CLOSED_BY_USER.value
            case.starred = False
            event = change.add(
                "closed_by_user", internal=False, title=CLOSE_TITLE, message=action.message
            )
            change.closed()
        event.files = files
        await change.save(session, detail="")

    async def handle(session: AsyncSession, works: list[Work[SubmitterAction]]) -> None:
        for work in works:
            async with session.begin_nested():
                await apply(session, work)

    return Subscription(
        consumer="citizen-actions",
        queue=CITIZEN_ACTIONS,
        decode=decode,
        key=lambda item, message: str(item.action.action_id),
        handle=handle,
        batch_size=50,
        correlation=lambda item: str(item.action.submission_id),
    )
