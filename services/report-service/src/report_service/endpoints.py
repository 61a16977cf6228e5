"""report-service's internal HTTP API, called by the gateway with the caller as `x-actor`.

Reports are the orderer's alone: another user's report is "not found". Statistics cover only
the case types the caller may see.
"""

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response
from pydantic import ValidationError
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from arende_contracts.access import Actor
from arende_contracts.reports import Period
from report_service import statistics
from report_service.models import CaseTotal, Report, ReportFile

router = APIRouter(prefix="/internal", tags=["reports"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NOT_FOUND = "report not found"


async def _actor(x_actor: Annotated[str, Header()]) -> Actor:
    try:
        return Actor.model_validate_json(x_actor)
    except ValidationError as exc:
        raise HTTPException(status_code=400, detail="invalid x-actor header") from exc


async def _session(request: Request) -> Any:
    async with request.app.state.runtime.sessions() as session, session.begin():
        yield session


ActorDep = Annotated[Actor, Depends(_actor)]
SessionDep = Annotated[AsyncSession, Depends(_session)]
Code = Annotated[str, Query(min_length=1, max_length=100)]


def report_out(report: Report) -> dict[str, Any]:
    return {
        "id": str(report.id),
        "kind": report.kind,
        "name": report.name,
        "case_type": report.case_type,
        "include_form_data": report.include_form_data,
        "archived": report.archived,
        "status": report.status,
        "reason": report.reason,
        "case_count": report.case_count,
        "expected_count": report.expected_count,
        "progress": report.progress,
        "ordered_at": report.ordered_at,
        "finished_at": report.finished_at,
        "file_size": report.file_size,
    }


async def _own(session: AsyncSession, actor: Actor, report_id: UUID) -> Report:
    report = await session.get(Report, report_id)
    if report is None or report.ordered_by != actor.username:
        raise HTTPException(status_code=404, detail=NOT_FOUND)
    return report


@router.get("/reports")
async def list_reports(session: SessionDep, actor: ActorDep) -> list[dict[str, Any]]:
    """The caller's reports, newest first."""
    rows = (
        await session.execute(
            select(Report)
            .where(Report.ordered_by == actor.username)
            .order_by(Report.ordered_at.desc())
            .limit(500)
        )
    ).scalars()
    return [report_out(r) for r in rows]


@router.get("/reports/{report_id}")
async def get_report(report_id: UUID, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    return report_out(await _own(session, actor, report_id))


@router.get("/reports/{report_id}/file")
async def report_file(report_id: UUID, session: SessionDep, actor: ActorDep) -> Response:
    """The workbook; 409 while the report is not Klar."""
    report = await _own(session, actor, report_id)
    if report.status != "done":
        raise HTTPException(status_code=409, detail="report not ready")
    data = await session.scalar(select(ReportFile.data).where(ReportFile.report_id == report_id))
    if data is None:
        raise HTTPException(status_code=404, detail=NOT_FOUND)
    return Response(data, media_type=XLSX)


@router.delete("/reports/{report_id}", status_code=204)
async def delete_report(report_id: UUID, session: SessionDep, actor: ActorDep) -> Response:
    await _own(session, actor, report_id)
    await session.execute(delete(Report).where(Report.id == report_id))
    return Response(status_code=204)


@router.get("/statistics")
async def statistics_overview(
    session: SessionDep,
    actor: ActorDep,
    organization: Annotated[str | None, Query(max_length=100)] = None,
    business_area: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, Any]:
    """Per case type × status with totals (F-RE-4), in the caller's scope."""
    return await statistics.overview(session, actor, organization, business_area)


async def _check_case_type(session: AsyncSession, actor: Actor, case_type: str) -> None:
    organization = await session.scalar(
        select(CaseTotal.organization).where(CaseTotal.case_type == case_type).limit(1)
    )
    if organization is not None and not statistics.may_see(actor, organization, case_type):
        raise HTTPException(status_code=404, detail="case type not found")


@router.get("/statistics/{case_type}")
async def statistics_per_period(
    case_type: str,
    session: SessionDep,
    actor: ActorDep,
    period: Period = "month",
    date_from: datetime | None = None,
    date_to: datetime | None = None,
) -> dict[str, Any]:
    """Counts per status for each period of one case type (F-RE-5), and handling times
    (F-RE-6)."""
    await _check_case_type(session, actor, case_type)
    rows = await statistics.per_period(session, case_type, period, date_from, date_to)
    times = await statistics.handling_times(
        session, case_type, "year" if period == "year" else period, date_from, date_to
    )
    return {
        "case_type": case_type,
        "period": period,
        "columns": [code for code, _ in statistics.COLUMNS],
        "rows": rows,
        "handling_times": times,
    }
