"""Internal case API used by the gateway: list and read, scoped to the actor."""

import base64
import binascii
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from sqlalchemy import and_, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from arende_contracts.statuses import CaseStatus
from case_service.access import ActorDep, visible_case_type_ids
from case_service.deps import SessionDep
from case_service.models import Attachment, Case, CaseEvent, CaseType, Organization

router = APIRouter(prefix="/internal/cases", tags=["cases"])

View = Literal["mine", "all", "archived"]


def _encode_cursor(updated_at: datetime, case_id: int) -> str:
    return base64.urlsafe_b64encode(f"{updated_at.isoformat()}|{case_id}".encode()).decode()


def _decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        stamp, case_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return datetime.fromisoformat(stamp), int(case_id)
    except (ValueError, binascii.Error) as exc:
        raise HTTPException(status_code=422, detail="invalid cursor") from exc


def case_item(case: Case, case_type: CaseType, organization: Organization) -> dict[str, Any]:
    """A case as a list item (the fields of the integration API)."""
    return {
        "id": case.id,
        "case_type": case_type.code,
        "case_type_name": case_type.name,
        "organization": organization.code,
        "organization_name": organization.name,
        "title": case.title,
        "status": case.status,
        "handler": case.handler,
        "reference": case.reference,
        "business_area": case.business_area,
        "submitter": {
            "kind": case.submitter_kind,
            "personal_number": case.submitter_personal_number,
            "account": case.submitter_account,
            "name": case.submitter_name,
        },
        "submitted_at": case.submitted_at,
        "updated_at": case.updated_at,
        "starred": case.starred,
    }


async def _scope(session: AsyncSession, actor: ActorDep) -> list[Any]:
    allowed = await visible_case_type_ids(session, actor)
    return [] if allowed is None else [Case.case_type_id.in_(allowed)]


@router.get("")
async def list_cases(
    session: SessionDep,
    actor: ActorDep,
    view: View = "all",
    limit: Annotated[int, Query(ge=1, le=200)] = 25,
    cursor: str | None = None,
) -> dict[str, Any]:
    """Cases of a view, newest change first, keyset-paged; `total` counts the whole view."""
    conditions = await _scope(session, actor)
    if view == "archived":
        conditions.append(Case.status == CaseStatus.ARCHIVED.value)
    else:
        conditions.append(Case.status != CaseStatus.ARCHIVED.value)
    if view == "mine":
        conditions.append(or_(Case.handler == actor.username))
    total = (
        await session.execute(select(func.count()).select_from(Case).where(and_(*conditions)))
    ).scalar_one()
    query = (
        select(Case, CaseType, Organization)
        .join(CaseType, CaseType.id == Case.case_type_id)
        .join(Organization, Organization.id == CaseType.organization_id)
        .where(*conditions)
        .order_by(Case.updated_at.desc(), Case.id.desc())
        .limit(limit + 1)
    )
    if cursor:
        query = query.where(tuple_(Case.updated_at, Case.id) < tuple_(*_decode_cursor(cursor)))
    rows = (await session.execute(query)).all()
    page = rows[:limit]
    next_cursor = (
        _encode_cursor(page[-1][0].updated_at, page[-1][0].id) if len(rows) > limit else None
    )
    return {
        "items": [case_item(*row) for row in page],
        "total": total,
        "limit": limit,
        "next_cursor": next_cursor,
    }


@router.get("/{case_id}")
async def get_case(case_id: int, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """One case with its form, timeline and attachment list; 404 outside the actor's scope."""
    row = (
        await session.execute(
            select(Case, CaseType, Organization)
            .join(CaseType, CaseType.id == Case.case_type_id)
            .join(Organization, Organization.id == CaseType.organization_id)
            .where(Case.id == case_id, *(await _scope(session, actor)))
        )
    ).first()
    if row is None:
        raise HTTPException(status_code=404, detail="case not found")
    case = row[0]
    events = (
        await session.execute(
            select(CaseEvent)
            .where(CaseEvent.case_id == case_id)
            .order_by(CaseEvent.created_at.desc(), CaseEvent.id.desc())
        )
    ).scalars()
    attachments = (
        await session.execute(
            select(
                Attachment.id,
                Attachment.filename,
                Attachment.content_type,
                Attachment.size,
                Attachment.sha256,
                Attachment.source,
                Attachment.created_at,
            ).where(Attachment.case_id == case_id)
        )
    ).all()
    return {
        **case_item(*row),
        "submitter": {
            **case_item(*row)["submitter"],
            "email": case.submitter_email,
            "phone": case.submitter_phone,
        },
        "form": case.form,
        "events": [
            {
                "id": e.id,
                "internal": e.internal,
                "status": e.status,
                "title": e.title,
                "message": e.message,
                "created_at": e.created_at,
                "author": e.author,
            }
            for e in events
        ],
        "attachments": [dict(a._mapping) for a in attachments],
    }
