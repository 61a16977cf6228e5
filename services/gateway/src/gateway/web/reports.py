"""Web pages of reports and statistics: the "Exportera till Excel" dialogs (seed 000 §3.4, §6.1),
Statistik (§6) and Rapporter (§7)."""

import logging
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from arende_contracts.reports import REPORT_STATUS_LABELS
from arende_platform.db import transaction
from gateway.auth.deps import WebCaseworker, csrf_matches
from gateway.auth.service import Caseworker
from gateway.deps import CaseServiceDep, sessions_of
from gateway.errors import AppError, error_message, request_language
from gateway.i18n import translate
from gateway.reports import orders
from gateway.reports.client import REPORT_NOT_READY
from gateway.reports.endpoints import XLSX, report_service, workbook_headers
from gateway.reports.service import (
    CASE_TYPE_REQUIRED,
    DATES_REVERSED,
    ReportOrder,
    place_order,
)
from gateway.reports.statistics import case_type_names, named_overview
from gateway.web.rendering import render

log = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)

LIST_VIEWS = {"mina": "Mina ärenden", "alla": "Alla ärenden", "arkiverade": "Arkiverade ärenden"}
INVALID_FORM = "Formuläret har gått ut eller skickades från en annan sida. Försök igen."
# The overview's columns (seed 000 §6), in order, with the Swedish labels.
STAT_COLUMNS = (
    ("submitted", "Inskickad"),
    ("assigned", "Fördelad"),
    ("in_progress", "Behandlas"),
    ("decided", "Beslutad"),
    ("closed", "Avslutad"),
    ("archived", "Arkiverad"),
    ("purged", "Gallrad"),
    ("total", "Totalt"),
)
HANDLING_COLUMNS = (
    ("received", "Inkomna"),
    ("closed", "Avslutade"),
    ("unanswered", "Obesvarade"),
    ("received_to_assigned", "Inkom>Förd"),
    ("assigned_to_started", "Förd>Påbörj"),
    ("started_to_closed", "Påbörj>Avsl"),
    ("received_to_closed", "Handl tid"),
)


def _error(request: Request, caseworker: Caseworker, exc: StarletteHTTPException) -> Response:
    return render(
        request,
        "error.html",
        {"message": error_message(exc, request_language(request))},
        caseworker=caseworker,
        status_code=exc.status_code,
    )


async def _case_types(case_service: CaseServiceDep, caseworker: Caseworker) -> list[dict[str, Any]]:
    types = await case_type_names(case_service, caseworker.actor)
    return sorted(types.values(), key=lambda ct: str(ct["name"]).casefold())


async def _form(request: Request, caseworker: Caseworker) -> dict[str, str] | None:
    """The posted fields, or None when the CSRF token is wrong."""
    form = await request.form()
    if not csrf_matches(str(form.get("csrf_token") or ""), caseworker.csrf_token):
        return None
    return {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}


def _order_error(exc: ValidationError, lang: str) -> str:
    first = exc.errors(include_url=False)[0]
    field = str(first["loc"][0]) if first["loc"] else ""
    if field == "case_type":
        return translate(CASE_TYPE_REQUIRED, lang)
    if DATES_REVERSED in str(first.get("msg", "")):
        return translate(DATES_REVERSED, lang)
    if field in ("date_from", "date_to"):
        return translate("Ange datum som ÅÅÅÅ-MM-DD", lang)
    return translate("Ogiltig begäran", lang)


async def _export_dialog(
    request: Request,
    caseworker: Caseworker,
    case_service: CaseServiceDep,
    kind: str,
    back: str,
    values: dict[str, str],
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    try:
        case_types = await _case_types(case_service, caseworker)
    except StarletteHTTPException as exc:
        return _error(request, caseworker, exc)
    return render(
        request,
        "export_dialog.html",
        {
            "kind": kind,
            "back": back,
            "action_path": request.url.path,
            "case_types": case_types,
            "values": values,
            "error": error,
            "nav_current": "statistik" if kind == "statistics" else None,
        },
        caseworker=caseworker,
        status_code=status_code,
    )


async def _post_export(
    request: Request,
    caseworker: Caseworker,
    case_service: CaseServiceDep,
    kind: str,
    back: str,
    archived: bool,
) -> Response:
    lang = request_language(request)
    values = await _form(request, caseworker)
    if values is None:
        return _error(request, caseworker, AppError(403, INVALID_FORM))
    raw = {
        "kind": kind,
        "case_type": values.get("case_type", ""),
        "include_form_data": values.get("include_form_data") == "ja",
        "date_from": values.get("date_from") or None,
        "date_to": values.get("date_to") or None,
        "name": values.get("name", ""),
        "archived": archived,
        "period": values.get("period") or "month",
    }
    try:
        order = ReportOrder.model_validate(raw)
    except ValidationError as exc:
        return await _export_dialog(
            request, caseworker, case_service, kind, back, values, _order_error(exc, lang), 422
        )
    try:
        async with transaction(sessions_of(request)) as session:
            report = await place_order(session, case_service, caseworker, order, lang)
    except StarletteHTTPException as exc:
        if exc.status_code in (401, 403) or exc.status_code >= 500:
            return _error(request, caseworker, exc)
        return await _export_dialog(
            request,
            caseworker,
            case_service,
            kind,
            back,
            values,
            error_message(exc, lang),
            exc.status_code,
        )
    log.info("report ordered", extra={"report_id": report["id"], "kind": kind})
    return render(
        request,
        "export_ordered.html",
        {"report": report, "back": back},
        caseworker=caseworker,
        status_code=200,
    )


@router.get("/arenden/{view}/exportera")
async def export_cases_dialog(
    view: str, request: Request, caseworker: WebCaseworker, case_service: CaseServiceDep
) -> Response:
    """ "Exportera till Excel" from Mina, Alla or Arkiverade ärenden."""
    if view not in LIST_VIEWS:
        return _error(request, caseworker, AppError(404, "Sidan finns inte"))
    values = {"case_type": request.query_params.get("case_type", ""), "include_form_data": "nej"}
    return await _export_dialog(
        request, caseworker, case_service, "cases", f"/arenden/{view}", values
    )


@router.post("/arenden/{view}/exportera")
async def export_cases(
    view: str, request: Request, caseworker: WebCaseworker, case_service: CaseServiceDep
) -> Response:
    if view not in LIST_VIEWS:
        return _error(request, caseworker, AppError(404, "Sidan finns inte"))
    return await _post_export(
        request, caseworker, case_service, "cases", f"/arenden/{view}", view == "arkiverade"
    )


@router.get("/statistik/exportera")
async def export_statistics_dialog(
    request: Request, caseworker: WebCaseworker, case_service: CaseServiceDep
) -> Response:
    values = {"case_type": request.query_params.get("case_type", ""), "period": "month"}
    back = "/statistik"
    if values["case_type"]:
        back = f"/statistik/{values['case_type']}"
    return await _export_dialog(request, caseworker, case_service, "statistics", back, values)


@router.post("/statistik/exportera")
async def export_statistics(
    request: Request, caseworker: WebCaseworker, case_service: CaseServiceDep
) -> Response:
    return await _post_export(request, caseworker, case_service, "statistics", "/statistik", False)


@router.get("/statistik")
async def statistics_page(
    request: Request, caseworker: WebCaseworker, case_service: CaseServiceDep
) -> Response:
    """The overview: per case type × status with totals; filters Verksamhetstyp, Förvaltning."""
    organization = request.query_params.get("forvaltning") or None
    business_area = request.query_params.get("verksamhetstyp") or None
    try:
        overview = await named_overview(
            report_service(request), case_service, caseworker.actor, organization, business_area
        )
    except StarletteHTTPException as exc:
        return _error(request, caseworker, exc)
    return render(
        request,
        "statistics.html",
        {
            "overview": overview,
            "columns": STAT_COLUMNS,
            "organization": organization or "",
            "business_area": business_area or "",
            "nav_current": "statistik",
        },
        caseworker=caseworker,
    )


@router.get("/statistik/{case_type}")
async def statistics_case_type_page(
    case_type: str, request: Request, caseworker: WebCaseworker, case_service: CaseServiceDep
) -> Response:
    """One case type: counts per month (or year) by status, and handling times (seed 003)."""
    period = "year" if request.query_params.get("per") == "ar" else "month"
    try:
        types = await case_type_names(case_service, caseworker.actor)
        if case_type not in types:
            raise AppError(404, "Ärendetypen finns inte")
        data = await report_service(request).per_period(
            caseworker.actor, case_type, {"period": period}
        )
    except StarletteHTTPException as exc:
        return _error(request, caseworker, exc)
    return render(
        request,
        "statistics_case_type.html",
        {
            "case_type": types[case_type],
            "data": data,
            "period": period,
            "columns": STAT_COLUMNS,
            "handling_columns": HANDLING_COLUMNS,
            "nav_current": "statistik",
        },
        caseworker=caseworker,
    )


@router.get("/rapporter")
async def reports_page(request: Request, caseworker: WebCaseworker) -> Response:
    """Rapporter: the caller's reports; the page refreshes itself while one is being built."""
    lang = request_language(request)
    try:
        reports = await orders.list_reports(
            sessions_of(request), report_service(request), caseworker
        )
    except StarletteHTTPException as exc:
        return _error(request, caseworker, exc)
    labels = REPORT_STATUS_LABELS.get(lang, REPORT_STATUS_LABELS["sv"])
    for report in reports:
        report["status_label"] = labels.get(report["status"], report["status"])
    return render(
        request,
        "reports.html",
        {
            "reports": reports,
            "pending": any(r["status"] == "ordered" for r in reports),
            "nav_current": "rapporter",
        },
        caseworker=caseworker,
    )


@router.get("/rapporter/{report_id}/fil")
async def report_download(report_id: UUID, request: Request, caseworker: WebCaseworker) -> Response:
    client = report_service(request)
    try:
        report = await orders.get_report(sessions_of(request), client, caseworker, report_id)
        if report["status"] != "done":
            raise AppError(409, REPORT_NOT_READY)
        data = await client.file(caseworker.actor, str(report_id))
    except StarletteHTTPException as exc:
        return _error(request, caseworker, exc)
    return Response(data, media_type=XLSX, headers=workbook_headers(report["name"]))


@router.post("/rapporter/{report_id}/ta-bort")
async def report_delete(report_id: UUID, request: Request, caseworker: WebCaseworker) -> Response:
    if await _form(request, caseworker) is None:
        return _error(request, caseworker, AppError(403, INVALID_FORM))
    try:
        await orders.delete_report(
            sessions_of(request), report_service(request), caseworker, report_id
        )
    except StarletteHTTPException as exc:
        return _error(request, caseworker, exc)
    return RedirectResponse("/rapporter?" + urlencode({"borttagen": "1"}), status_code=303)
