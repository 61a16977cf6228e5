"""The integration API's reports and statistics (SPEC §4), answered by report-service."""

from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Path, Query, Request, Response

from gateway.auth.deps import CurrentCaseworker
from gateway.deps import CaseServiceDep, LangDep, SessionDep, sessions_of
from gateway.downloads import download_headers
from gateway.errors import AppError
from gateway.reports import orders
from gateway.reports.client import REPORT_NOT_READY, ReportServiceClient
from gateway.reports.service import ReportOrder, day_end, day_start, place_order
from gateway.reports.statistics import named_overview

router = APIRouter(prefix="/api/v1", tags=["reports"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def report_service(request: Request) -> ReportServiceClient:
    return request.app.state.report_service  # type: ignore[no-any-return]


def workbook_headers(name: str) -> dict[str, str]:
    """A report's download: the report's name as the file name, with the characters a file
    system refuses (`:` of "Ärenden - <typ>: <namn>", `/`) replaced, and `.xlsx`."""
    safe = "".join(c if c.isalnum() or c in " -_.,()" else "_" for c in name).strip() or "rapport"
    return download_headers(f"{safe}.xlsx")


@router.post("/reports", status_code=202)
async def order_report(
    order: ReportOrder,
    caseworker: CurrentCaseworker,
    case_service: CaseServiceDep,
    session: SessionDep,
    lang: LangDep,
) -> dict[str, Any]:
    """Order an Excel report; it is built in the background (status `ordered` → `done` or
    `failed`). An export with form data of more than 5,000 cases is refused (422)."""
    return await place_order(session, case_service, caseworker, order, lang)


@router.get("/reports")
async def list_reports(request: Request, caseworker: CurrentCaseworker) -> list[dict[str, Any]]:
    """The caller's reports (only the orderer sees a report), newest first; an order
    report-service has not received yet is listed as `ordered`."""
    return await orders.list_reports(sessions_of(request), report_service(request), caseworker)


@router.get("/reports/{report_id}")
async def get_report(
    report_id: UUID, request: Request, caseworker: CurrentCaseworker
) -> dict[str, Any]:
    return await orders.get_report(
        sessions_of(request), report_service(request), caseworker, report_id
    )


@router.get("/reports/{report_id}/file", response_class=Response)
async def report_file(report_id: UUID, request: Request, caseworker: CurrentCaseworker) -> Response:
    """The workbook of a finished report (409 while it is not done)."""
    client = report_service(request)
    report = await orders.get_report(sessions_of(request), client, caseworker, report_id)
    if report["status"] != "done":
        raise AppError(409, REPORT_NOT_READY)
    data = await client.file(caseworker.actor, str(report_id))
    return Response(data, media_type=XLSX, headers=workbook_headers(report["name"]))


@router.delete("/reports/{report_id}", status_code=204)
async def delete_report(
    report_id: UUID, request: Request, caseworker: CurrentCaseworker
) -> Response:
    """Delete a report; an order report-service has not received yet is cancelled while it is
    still in the gateway's outbox, and refused (409) while it is on its way."""
    await orders.delete_report(sessions_of(request), report_service(request), caseworker, report_id)
    return Response(status_code=204)


@router.get("/statistics")
async def statistics(
    request: Request,
    caseworker: CurrentCaseworker,
    case_service: CaseServiceDep,
    organization: Annotated[str | None, Query(max_length=100, description="Förvaltning")] = None,
    business_area: Annotated[
        str | None, Query(max_length=200, description="Verksamhetstyp")
    ] = None,
) -> dict[str, Any]:
    """Per case type the caller may see: counts per status (Inskickad … Gallrad) and Totalt,
    and a Totalt row."""
    return await named_overview(
        report_service(request), case_service, caseworker.actor, organization, business_area
    )


@router.get("/statistics/{case_type}")
async def statistics_of_case_type(
    case_type: Annotated[str, Path(max_length=100)],
    request: Request,
    caseworker: CurrentCaseworker,
    period: Literal["day", "month", "year"] = "month",
    date_from: date | None = None,
    date_to: date | None = None,
) -> dict[str, Any]:
    """Counts per status for each day, month or year (by submission), and the handling times
    of seed 003 per period."""
    start, end = day_start(date_from), day_end(date_to)
    return await report_service(request).per_period(
        caseworker.actor,
        case_type,
        {
            "period": period,
            "date_from": start.isoformat() if start else None,
            "date_to": end.isoformat() if end else None,
        },
    )
