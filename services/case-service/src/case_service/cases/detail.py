"""One case as the case view shows it: header, form, timeline, attachments, allowed actions."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from arende_contracts.access import Actor
from arende_platform.logging import adopt_correlation
from case_service.access import visible_case_type_ids
from case_service.errors import case_not_found
from case_service.models import Attachment, Case, CaseEvent, CaseTask, CaseType, Organization
from case_service.permissions import more_actions, refusals


@dataclass
class LoadedCase:
    """A case with its case type and organization, and the database's time of the request."""

    case: Case
    case_type: CaseType
    organization: Organization
    now: datetime


async def load_case(
    session: AsyncSession, actor: Actor, case_id: int, *, lock: bool = False
) -> LoadedCase:
    """The case if the actor may see it (404 otherwise); `lock` holds it for a change."""
    query = (
        select(Case, CaseType, Organization, func.now())
        .join(CaseType, CaseType.id == Case.case_type_id)
        .join(Organization, Organization.id == CaseType.organization_id)
        .where(Case.id == case_id)
    )
    allowed = await visible_case_type_ids(session, actor)
    if allowed is not None:
        query = query.where(Case.case_type_id.in_(allowed))
    if lock:
        query = query.with_for_update(of=Case)
    row = (await session.execute(query)).first()
    if row is None:
        raise case_not_found()
    # The request is about this case: its logs and the answer carry the case's correlation id.
    adopt_correlation(row[0].correlation_id)
    return LoadedCase(*row)


def _actions(loaded: LoadedCase, actor: Actor) -> dict[str, Any]:
    """`actions` the actor may take now, and for the others why not (`refused`: codes)."""
    case, organization, case_type = loaded.case, loaded.organization.code, loaded.case_type.code
    codes = refusals(actor, case, organization, case_type)
    return {
        "actions": [action for action, code in codes.items() if code is None],
        "refused": {action: code for action, code in codes.items() if code is not None},
        "more_actions": more_actions(actor, case, organization, case_type),
    }


def case_scope(loaded: LoadedCase, actor: Actor) -> dict[str, Any]:
    """What the gateway needs to decide about an action, without the case's content."""
    case, case_type, organization = loaded.case, loaded.case_type, loaded.organization
    return {
        "id": case.id,
        "case_type": case_type.code,
        "organization": organization.code,
        "status": case.status,
        "handler": case.handler,
        "handler_group": case.handler_group,
        "submitter_kind": case.submitter_kind,
        "notifies": case_type.notify_email or case_type.notify_sms,
        **_actions(loaded, actor),
    }


async def case_detail(session: AsyncSession, loaded: LoadedCase, actor: Actor) -> dict[str, Any]:
    """The case with its form, events (newest first) and attachments, for this actor."""
    case, case_type, organization = loaded.case, loaded.case_type, loaded.organization
    events = (
        await session.execute(
            select(CaseEvent)
            .where(CaseEvent.case_id == case.id)
            .order_by(CaseEvent.created_at.desc(), CaseEvent.id.desc())
        )
    ).scalars()
    attachments = [
        dict(a._mapping)
        for a in await session.execute(
            select(
                Attachment.id,
                Attachment.event_id,
                Attachment.filename,
                Attachment.content_type,
                Attachment.size,
                Attachment.sha256,
                Attachment.source,
                Attachment.created_at,
            )
            .where(Attachment.case_id == case.id)
            .order_by(Attachment.created_at, Attachment.id)
        )
    ]
    files_of: dict[int, list[int]] = {}
    for attachment in attachments:
        if attachment["event_id"] is not None:
            files_of.setdefault(attachment["event_id"], []).append(attachment["id"])
    return {
        "id": case.id,
        "case_type": case_type.code,
        "case_type_name": case_type.name,
        "organization": organization.code,
        "organization_name": organization.name,
        "title": case.title,
        "status": case.status,
        "handler": case.handler,
        "handler_group": case.handler_group,
        "reference": case.reference,
        "business_area": case.business_area,
        "submitter": {
            "kind": case.submitter_kind,
            "personal_number": case.submitter_personal_number,
            "account": case.submitter_account,
            "name": case.submitter_name,
            "email": case.submitter_email,
            "phone": case.submitter_phone,
        },
        "other_user": (
            {"account": case.other_account, "name": case.other_name} if case.other_account else None
        ),
        "submitted_at": case.submitted_at,
        "updated_at": case.updated_at,
        "starred": case.starred,
        "priority": case.priority,
        "category": case.category,
        "awaiting_submitter_since": case.awaiting_since,
        "waiting_seconds": case.waiting_seconds,
        "two_way": case_type.two_way,
        "notifies": case_type.notify_email or case_type.notify_sms,
        **_actions(loaded, actor),
        "tasks": await case_tasks(session, case.id),
        "form": case.form,
        "events": [
            {
                "id": e.id,
                "internal": e.internal,
                "kind": e.kind,
                "status": e.status,
                "title": e.title,
                "message": e.message,
                "created_at": e.created_at,
                "author": e.author,
                "attachments": files_of.get(e.id, []),
            }
            for e in events
        ],
        "attachments": attachments,
    }


def task_out(task: CaseTask) -> dict[str, Any]:
    return {
        "id": task.id,
        "case_id": task.case_id,
        "title": task.title,
        "description": task.description,
        "assignee": task.assignee,
        "group": task.group_code,
        "status": "done" if task.done_at else "open",
        "created_by": task.created_by,
        "created_at": task.created_at,
        "done_by": task.done_by,
        "done_at": task.done_at,
    }


async def case_tasks(session: AsyncSession, case_id: int) -> list[dict[str, Any]]:
    """The case's internal tasks, open ones first, oldest first."""
    tasks = await session.scalars(
        select(CaseTask)
        .where(CaseTask.case_id == case_id)
        .order_by(CaseTask.done_at.is_not(None), CaseTask.created_at, CaseTask.id)
    )
    return [task_out(t) for t in tasks]
