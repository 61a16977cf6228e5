"""Pages of the 1177 and service-desk functions (F-AD-5..8): Invånare under administration,
Skicka ärende till invånare, the Prioritet och kategori and Ny uppgift dialogs of a case, and
marking a task done. Delsvar and motfråga are a choice in the Uppdatera dialog (case_view.py).

Like every page: works without JavaScript, posts with the session's CSRF token and redirects
after a change (POST-redirect-GET). A personnummer is posted, never put in an address.
"""

import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException

from arende_platform.db import transaction
from gateway.auth.deps import WebCaseworker, csrf_matches
from gateway.auth.service import Caseworker
from gateway.case_actions.endpoints import posted_form
from gateway.case_actions.schemas import ClassifyBody
from gateway.case_client import CaseServiceClient
from gateway.deps import CaseServiceDep, sessions_of
from gateway.errors import AppError, error_message, request_language
from gateway.i18n import translate
from gateway.outreach import service as outreach
from gateway.outreach.schemas import OutreachBody
from gateway.residents.schemas import ResidentIn, ResidentsOut, ShareIn, SharePatch
from gateway.tasks import service as tasks
from gateway.tasks.schemas import TaskBody, TaskPatch
from gateway.web.admin import BASE, SECTIONS
from gateway.web.case_view import _redirect_with_flash
from gateway.web.rendering import render

log = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)

RESIDENTS = f"{BASE}/invanare"
INVALID_FORM = "Formuläret har gått ut eller skickades från en annan sida. Försök igen."
INVALID_PERSONAL_NUMBER = "Ange ett giltigt personnummer (ÅÅÅÅMMDD-NNNN)."
INVALID_DATE = "Ange ett datum (ÅÅÅÅ-MM-DD) eller välj tills vidare."
CHOOSE_RESIDENTS = "Markera minst en invånare."
TITLE_REQUIRED = "Rubrik måste anges."
MESSAGE_REQUIRED = "Meddelande måste anges."
CASE_TYPE_REQUIRED = "Välj en ärendetyp."
PRIORITIES = (("low", "Låg"), ("medium", "Medel"), ("high", "Hög"))

# ?klart= → the confirmation shown on the residents page (seed 002's confirmations).
RESIDENT_NOTICES = {
    "godkand": "Invånaren är godkänd för kommunikation.",
    "borttagen": "Godkännandet för kommunikation har tagits bort.",
    "utdelad": "Ärendetypen har delats ut.",
    "andrad": "Den utdelade ärendetypen har ändrats.",
    "utdelning-borttagen": "Den utdelade ärendetypen är borttagen.",
}


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _error_page(request: Request, caseworker: Caseworker, exc: HTTPException) -> Response:
    return render(
        request,
        "error.html",
        {"message": error_message(exc, request_language(request))},
        caseworker=caseworker,
        status_code=exc.status_code,
    )


async def _form(request: Request, caseworker: Caseworker) -> FormData | Response:
    """The posted form if its CSRF token is the session's, else the error page."""
    try:
        form = await request.form(max_files=0, max_fields=2000, max_part_size=64 * 1024)
    except Exception:  # a malformed body is a bad form, not a crash
        return _error_page(request, caseworker, AppError(400, "Ogiltig begäran"))
    if not csrf_matches(_text(form, "csrf_token"), caseworker.csrf_token):
        return _error_page(request, caseworker, AppError(403, INVALID_FORM))
    return form


# --- Invånare (F-AD-5) ----------------------------------------------------------------------


async def _organizations(case_service: CaseServiceClient, caseworker: Caseworker) -> list[Any]:
    return await case_service.call("GET", "/internal/organizations", caseworker.actor)  # type: ignore[no-any-return]


async def _residents_page(
    request: Request,
    caseworker: Caseworker,
    case_service: CaseServiceClient,
    organization: str | None,
    *,
    found: dict[str, Any] | None = None,
    values: dict[str, Any] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    try:
        organizations = await _organizations(case_service, caseworker)
        codes = [o["code"] for o in organizations]
        if not codes:
            raise AppError(
                403, "Din roll ger inte behörighet att hantera invånare i förvaltningen."
            )
        chosen = organization if organization in codes else codes[0]
        listing = await case_service.call(
            "POST", "/internal/residents/list", caseworker.actor, json_body={"organization": chosen}
        )
    except HTTPException as exc:
        return _error_page(request, caseworker, exc)
    notice = RESIDENT_NOTICES.get(request.query_params.get("klart", ""))
    return render(
        request,
        "residents.html",
        {
            "sections": SECTIONS,
            "section": "invanare",
            "base": BASE,
            "nav_current": "administration",
            "organizations": organizations,
            "organization": chosen,
            "listing": listing,
            "found": found,
            "values": values or {},
            "error": error,
            "notice": notice,
            "errors": [],
        },
        caseworker=caseworker,
        status_code=status_code,
    )


@router.get(RESIDENTS)
async def residents_page(
    request: Request, caseworker: WebCaseworker, case_service: CaseServiceDep
) -> Response:
    """Invånare: approved residents and shared case types of one organization."""
    return await _residents_page(
        request, caseworker, case_service, request.query_params.get("organisation")
    )


def _done(organization: str, notice: str) -> Response:
    return RedirectResponse(
        f"{RESIDENTS}?organisation={organization}&klart={notice}", status_code=303
    )


async def _resident_action(
    request: Request,
    caseworker: Caseworker,
    case_service: CaseServiceClient,
    act: Callable[[FormData, str], Awaitable[Response]],
) -> Response:
    form = await _form(request, caseworker)
    if isinstance(form, Response):
        return form
    organization = _text(form, "organization")
    lang = request_language(request)
    try:
        return await act(form, organization)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        message = {
            "invalid_personal_number": INVALID_PERSONAL_NUMBER,
            "date_from_datetime_parsing": INVALID_DATE,
            "date_parsing": INVALID_DATE,
            "too_short": CHOOSE_RESIDENTS,
        }.get(first["type"], "Ogiltig begäran")
        error = translate(message, lang)
    except HTTPException as exc:
        if exc.status_code not in (403, 409, 422):
            return _error_page(request, caseworker, exc)
        error = error_message(exc, lang)
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    return await _residents_page(
        request,
        caseworker,
        case_service,
        organization,
        values=values,
        error=error,
        status_code=422,
    )


@router.post(f"{RESIDENTS}/hamta")
async def lookup_resident(
    request: Request, caseworker: WebCaseworker, case_service: CaseServiceDep
) -> Response:
    """Step 1 of Godkänn invånare / Dela ut ärendetyp: the name and personnummer are shown."""

    async def act(form: FormData, organization: str) -> Response:
        body = ResidentIn(organization=organization, personal_number=_text(form, "personal_number"))
        found = await case_service.call(
            "POST", "/internal/residents/lookup", caseworker.actor, json_body=body.model_dump()
        )
        return await _residents_page(request, caseworker, case_service, organization, found=found)

    return await _resident_action(request, caseworker, case_service, act)


@router.post(f"{RESIDENTS}/godkann")
async def approve_resident(
    request: Request, caseworker: WebCaseworker, case_service: CaseServiceDep
) -> Response:
    """Godkänn: approve the resident for communication."""

    async def act(form: FormData, organization: str) -> Response:
        body = ResidentIn(organization=organization, personal_number=_text(form, "personal_number"))
        await case_service.call(
            "POST", "/internal/residents", caseworker.actor, json_body=body.model_dump()
        )
        return _done(organization, "godkand")

    return await _resident_action(request, caseworker, case_service, act)


@router.post(f"{RESIDENTS}/ta-bort")
async def remove_residents(
    request: Request, caseworker: WebCaseworker, case_service: CaseServiceDep
) -> Response:
    """Ta bort markerade: remove the approvals of the checked residents."""

    async def act(form: FormData, organization: str) -> Response:
        chosen = [v for v in form.getlist("personal_numbers") if isinstance(v, str)]
        body = ResidentsOut(organization=organization, personal_numbers=chosen)
        await case_service.call(
            "DELETE", "/internal/residents", caseworker.actor, json_body=body.model_dump()
        )
        return _done(organization, "borttagen")

    return await _resident_action(request, caseworker, case_service, act)


def _until(form: FormData) -> str | None:
    """The share's last day; "tills vidare" (or no date) is None."""
    if _text(form, "duration") == "tills-vidare":
        return None
    return _text(form, "until") or None


@router.post(f"{RESIDENTS}/dela-ut")
async def share_case_type(
    request: Request, caseworker: WebCaseworker, case_service: CaseServiceDep
) -> Response:
    """Dela ut: share a restricted case type with the resident."""

    async def act(form: FormData, organization: str) -> Response:
        body = ShareIn.model_validate(
            {
                "organization": organization,
                "personal_number": _text(form, "personal_number"),
                "case_type": _text(form, "case_type"),
                "until": _until(form),
            }
        )
        await case_service.call(
            "POST",
            "/internal/residents/shares",
            caseworker.actor,
            json_body=body.model_dump(mode="json"),
        )
        return _done(organization, "utdelad")

    return await _resident_action(request, caseworker, case_service, act)


@router.post(RESIDENTS + "/utdelningar/{share_id:int}/andra")
async def change_share(
    request: Request, share_id: int, caseworker: WebCaseworker, case_service: CaseServiceDep
) -> Response:
    """Ändra a share's last day (or until further notice)."""

    async def act(form: FormData, organization: str) -> Response:
        body = SharePatch.model_validate({"until": _until(form)})
        await case_service.call(
            "PATCH",
            f"/internal/residents/shares/{share_id}",
            caseworker.actor,
            json_body=body.model_dump(mode="json"),
        )
        return _done(organization, "andrad")

    return await _resident_action(request, caseworker, case_service, act)


@router.post(RESIDENTS + "/utdelningar/{share_id:int}/ta-bort")
async def remove_share(
    request: Request, share_id: int, caseworker: WebCaseworker, case_service: CaseServiceDep
) -> Response:
    """Ta bort a share."""

    async def act(form: FormData, organization: str) -> Response:
        await case_service.call(
            "DELETE", f"/internal/residents/shares/{share_id}", caseworker.actor
        )
        return _done(organization, "utdelning-borttagen")

    return await _resident_action(request, caseworker, case_service, act)


# --- Skicka ärende till invånare (F-AD-7) -------------------------------------------------


async def _outreach_page(
    request: Request,
    caseworker: Caseworker,
    case_service: CaseServiceClient,
    *,
    values: dict[str, Any] | None = None,
    error: str | None = None,
    sent: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    try:
        case_types = await case_service.call("GET", "/internal/case-types", caseworker.actor)
    except HTTPException as exc:
        return _error_page(request, caseworker, exc)
    choices = [ct for ct in case_types if ct["active"] and not ct["internal"]]
    return render(
        request,
        "outreach.html",
        {
            "case_types": choices,
            "values": values or {},
            "error": error,
            "sent": sent,
            "limit": outreach.MAX_RECIPIENTS,
            # A fresh id per form shown: sending the same form twice is one outreach.
            "send_id": secrets.token_urlsafe(12),
            "nav_current": "skicka",
        },
        caseworker=caseworker,
        status_code=status_code,
    )


@router.get("/arenden/skicka")
async def outreach_page(
    request: Request, caseworker: WebCaseworker, case_service: CaseServiceDep
) -> Response:
    """Skicka ärende till invånare: a message or question to up to 250 residents."""
    return await _outreach_page(request, caseworker, case_service)


@router.post("/arenden/skicka")
async def send_outreach(
    request: Request, caseworker: WebCaseworker, case_service: CaseServiceDep
) -> Response:
    """Send; the page then lists the cases made (one per recipient)."""
    form = await _form(request, caseworker)
    if isinstance(form, Response):
        return form
    lang = request_language(request)
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    recipients = _text(form, "recipients").replace(",", "\n").replace(";", "\n").splitlines()
    error: str | None = None
    if not _text(form, "case_type"):
        error = translate(CASE_TYPE_REQUIRED, lang)
    elif not _text(form, "title"):
        error = translate(TITLE_REQUIRED, lang)
    elif not _text(form, "message"):
        error = translate(MESSAGE_REQUIRED, lang)
    if error is None:
        try:
            body = OutreachBody(
                case_type=_text(form, "case_type"),
                recipients=[r.strip() for r in recipients if r.strip()][:5000],
                title=_text(form, "title"),
                message=_text(form, "message"),
            )
            # The form's own token makes a double submit one send.
            sent = await outreach.send(
                case_service, caseworker.actor, body, _text(form, "send_id") or None
            )
            log.info("outreach sent", extra={"cases": len(sent["case_ids"])})
            return await _outreach_page(request, caseworker, case_service, sent=sent)
        except ValidationError:
            error = translate("Ogiltig begäran", lang)
        except HTTPException as exc:
            if exc.status_code not in (403, 409, 422):
                return _error_page(request, caseworker, exc)
            error = error_message(exc, lang)
    return await _outreach_page(
        request, caseworker, case_service, values=values, error=error, status_code=422
    )


# --- Prioritet och kategori, Ny uppgift (F-AD-6) ----------------------------------------------


async def _case_dialog(
    request: Request,
    caseworker: Caseworker,
    case_service: CaseServiceClient,
    case_id: int,
    template: str,
    heading: str,
    action: str,
    *,
    values: dict[str, Any] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    try:
        case = await case_service.get_case(caseworker.actor, case_id)
        if action not in case.get("more_actions", []):
            refusal = "archived" if case["status"] == "archived" else "role"
            raise AppError(
                409 if refusal == "archived" else 403,
                "Ärendet är arkiverat och kan inte ändras."
                if refusal == "archived"
                else "Din roll ger inte behörighet att göra detta i ärendet.",
            )
        context: dict[str, Any] = {
            "case": case,
            "heading": heading,
            "values": values or {},
            "error": error,
            "priorities": PRIORITIES,
        }
        if action == "task":
            async with transaction(sessions_of(request)) as session:
                context.update(
                    await tasks.task_targets(session, case_service, caseworker.actor, case_id)
                )
    except HTTPException as exc:
        return _error_page(request, caseworker, exc)
    context["action_path"] = (
        f"/arenden/{case_id}/{'prioritet' if action == 'classify' else 'ny-uppgift'}"
    )
    return render(request, template, context, caseworker=caseworker, status_code=status_code)


@router.get("/arenden/{case_id:int}/prioritet")
async def classify_dialog(
    request: Request, case_id: int, caseworker: WebCaseworker, case_service: CaseServiceDep
) -> Response:
    """Prioritet och kategori as a page."""
    return await _case_dialog(
        request,
        caseworker,
        case_service,
        case_id,
        "case_classify.html",
        "Prioritet och kategori",
        "classify",
    )


async def _post_case(
    request: Request,
    case_id: int,
    caseworker: Caseworker,
    case_service: CaseServiceClient,
    template: str,
    heading: str,
    action: str,
    run: Callable[[FormData], Awaitable[Any]],
    flash: str,
) -> Response:
    lang = request_language(request)
    async with posted_form(request) as form:
        if not csrf_matches(_text(form, "csrf_token"), caseworker.csrf_token):
            return _error_page(request, caseworker, AppError(403, INVALID_FORM))
        values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
        try:
            await run(form)
        except ValidationError:
            error = translate(TITLE_REQUIRED if action == "task" else "Ogiltig begäran", lang)
        except HTTPException as exc:
            if exc.status_code in (401, 404) or exc.status_code >= 500:
                return _error_page(request, caseworker, exc)
            error = error_message(exc, lang)
        else:
            return _redirect_with_flash(request, case_id, flash, [])
    return await _case_dialog(
        request,
        caseworker,
        case_service,
        case_id,
        template,
        heading,
        action,
        values=values,
        error=error,
        status_code=422,
    )


@router.post("/arenden/{case_id:int}/prioritet")
async def post_classify(
    request: Request, case_id: int, caseworker: WebCaseworker, case_service: CaseServiceDep
) -> Response:
    """Spara prioritet och kategori."""

    async def run(form: FormData) -> Any:
        body = ClassifyBody.model_validate(
            {"priority": _text(form, "priority") or None, "category": _text(form, "category")}
        )
        return await case_service.call(
            "PATCH",
            f"/internal/cases/{case_id}",
            caseworker.actor,
            json_body=body.model_dump(exclude_none=True),
        )

    return await _post_case(
        request,
        case_id,
        caseworker,
        case_service,
        "case_classify.html",
        "Prioritet och kategori",
        "classify",
        run,
        "classify",
    )


@router.get("/arenden/{case_id:int}/ny-uppgift")
async def task_dialog(
    request: Request, case_id: int, caseworker: WebCaseworker, case_service: CaseServiceDep
) -> Response:
    """Ny uppgift as a page."""
    return await _case_dialog(
        request, caseworker, case_service, case_id, "case_task.html", "Ny uppgift", "task"
    )


@router.post("/arenden/{case_id:int}/ny-uppgift")
async def post_task(
    request: Request, case_id: int, caseworker: WebCaseworker, case_service: CaseServiceDep
) -> Response:
    """Skapa uppgift: for a colleague, a group, or nobody yet."""

    async def run(form: FormData) -> Any:
        target = _text(form, "target")  # "user:<username>" or "group:<code>" or ""
        kind, _, value = target.partition(":")
        body = TaskBody(
            title=_text(form, "title"),
            description=_text(form, "description"),
            assignee=value if kind == "user" and value else None,
            group=value if kind == "group" and value else None,
        )
        async with transaction(sessions_of(request)) as session:
            return await tasks.create(session, case_service, caseworker.actor, case_id, body)

    return await _post_case(
        request,
        case_id,
        caseworker,
        case_service,
        "case_task.html",
        "Ny uppgift",
        "task",
        run,
        "task",
    )


@router.post("/arenden/{case_id:int}/uppgifter/{task_id:int}/klar")
async def post_task_done(
    request: Request,
    case_id: int,
    task_id: int,
    caseworker: WebCaseworker,
    case_service: CaseServiceDep,
) -> Response:
    """Markera som klar (a button by the task on the case view)."""
    form = await _form(request, caseworker)
    if isinstance(form, Response):
        return form
    try:
        await tasks.mark(case_service, caseworker.actor, case_id, task_id, TaskPatch(done=True))
    except HTTPException as exc:
        return _error_page(request, caseworker, exc)
    return _redirect_with_flash(request, case_id, "task_done", [])
