"""Case content for report-service's Excel exports (F-RE-1, F-RE-2), scoped to the orderer.

report-service never reads case-service's tables: it pages through this endpoint, keyset by
case id, with the orderer's actor (as the gateway passed it in the order). `count` gives the
gateway the real number of cases before it accepts an export with form data (the 5,000 limit).
Every exported case is written to the access log (action `export`).
"""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from sqlalchemy import ColumnElement, false, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from arende_contracts.access import Actor
from case_service.access import ActorDep, visible_case_type_ids
from case_service.deps import SessionDep
from case_service.models import ARCHIVED, AccessLogEntry, Case, CaseType, Organization

router = APIRouter(prefix="/internal/cases/export", tags=["export"])

MAX_PAGE = 2000

CaseTypeCode = Annotated[str, Query(min_length=1, max_length=100)]


async def _case_type(session: AsyncSession, actor: Actor, code: str) -> dict[str, Any]:
    """The case type if the actor may see it; 404 otherwise (as for a case outside scope)."""
    row = (
        await session.execute(
            select(
                CaseType.id,
                CaseType.code,
                CaseType.name,
                Organization.code.label("organization"),
                Organization.name.label("organization_name"),
            )
            .join(Organization, Organization.id == CaseType.organization_id)
            .where(CaseType.code == code)
        )
    ).first()
    visible = await visible_case_type_ids(session, actor)
    if row is None or (visible is not None and row.id not in visible):
        raise HTTPException(status_code=404, detail="case type not found")
    return dict(row._mapping)


def _conditions(
    case_type_id: int, archived: bool, date_from: datetime | None, date_to: datetime | None
) -> list[ColumnElement[bool]]:
    # (case_type_id, ARCHIVED, id) is the index `ix_cases_list_id`: a keyset page is a range scan.
    conditions = [
        Case.case_type_id == case_type_id,
        ARCHIVED if archived else ARCHIVED.is_(false()),
    ]
    if date_from is not None:
        conditions.append(Case.submitted_at >= date_from)
    if date_to is not None:
        conditions.append(Case.submitted_at < date_to)
    return conditions


@router.get("/count")
async def export_count(
    session: SessionDep,
    actor: ActorDep,
    case_type: CaseTypeCode,
    archived: bool = False,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
) -> dict[str, Any]:
    """How many cases an export with these choices holds."""
    ct = await _case_type(session, actor, case_type)
    count = await session.scalar(
        select(func.count())
        .select_from(Case)
        .where(*_conditions(ct["id"], archived, date_from, date_to))
    )
    return {"count": int(count or 0), "case_type": ct["code"], "case_type_name": ct["name"]}


@router.get("")
async def export_page(
    session: SessionDep,
    actor: ActorDep,
    case_type: CaseTypeCode,
    archived: bool = False,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
    include_form: bool = False,
    after: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1000,
) -> dict[str, Any]:
    """The next page of cases (by id, after `after`) with header fields and optionally forms.

    `next_after` is the id to pass as `after` for the next page, or null after the last one.
    """
    ct = await _case_type(session, actor, case_type)
    columns: list[Any] = [
        Case.id,
        Case.title,
        Case.status,
        Case.handler,
        Case.handler_group,
        Case.reference,
        Case.business_area,
        Case.submitter_kind,
        Case.submitter_personal_number,
        Case.submitter_account,
        Case.submitter_name,
        Case.submitted_at,
        Case.updated_at,
    ]
    if include_form:
        columns.append(Case.form)
    rows = (
        await session.execute(
            select(*columns)
            .where(*_conditions(ct["id"], archived, date_from, date_to), Case.id > after)
            .order_by(Case.id)
            .limit(limit)
        )
    ).all()
    items = []
    for row in rows:
        item = dict(row._mapping)
        item["case_type"] = ct["code"]
        item["case_type_name"] = ct["name"]
        item["organization"] = ct["organization"]
        item["organization_name"] = ct["organization_name"]
        items.append(item)
    if items:
        await session.execute(
            insert(AccessLogEntry),
            [
                {"actor": actor.username, "case_id": item["id"], "action": "export", "detail": ""}
                for item in items
            ],
        )
    return {
        "items": items,
        "next_after": items[-1]["id"] if len(items) == limit else None,
    }
