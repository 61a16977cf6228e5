"""The case view (F-CV-1) and its actions as pages (F-CV-2..7, F-TW-1): works without JavaScript.

Tabs are links (`?flik=`); every action opens its dialog as a page of its own, posts with the
session's CSRF token, and redirects back to the case (POST-redirect-GET), where the guide's
confirmation is shown once (carried in a short-lived cookie of the case's path).
"""

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar
from urllib.parse import quote, unquote

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from arende_platform.db import transaction
from gateway.auth.deps import WebCaseworker, csrf_matches
from gateway.auth.service import Caseworker
from gateway.case_actions import service
from gateway.case_actions.endpoints import posted_form, uploads
from gateway.case_actions.schemas import (
    AcknowledgeBody,
    AssignBody,
    CloseBody,
    ReferenceBody,
    SwitchUserBody,
    UpdateBody,
)
from gateway.case_errors import CASE_NOT_FOUND, action_refusal
from gateway.deps import CaseServiceDep, SettingsDep, sessions_of
from gateway.downloads import file_response
from gateway.errors import AppError, error_message, request_language
from gateway.groups.service import assignable_groups, group_in_organization
from gateway.i18n import status_text, translate
from gateway.web.rendering import render

log = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)

MAX_ID = 2**63 - 1
M = TypeVar("M", bound=BaseModel)
INVALID_FORM = "Formuläret har gått ut eller skickades från en annan sida. Försök igen."
FLASH_COOKIE = "arende_flash"
# In the Fördela dialog's select, a handler group's option value is this prefix and its code.
GROUP_OPTION = "grupp:"
LATEST_EVENTS = 10

# ?flik= value -> tab label (F-CV-1); Inskickade uppgifter is the default tab.
TABS: dict[str, str] = {
    "senaste": "Senaste händelserna",
    "tidslinje": "Hela tidslinjen",
    "bilagor": "Bilagor",
    "uppgifter": "Inskickade uppgifter",
}
DEFAULT_TAB = "uppgifter"

# action -> (page, button label, dialog heading); Kvittera is a button without a dialog.
DIALOGS: dict[str, tuple[str, str, str]] = {
    "assign": ("fordela", "Fördela", "Fördela ärende"),
    "update": ("uppdatera", "Uppdatera", "Uppdatera ärende"),
    "reference": ("referens", "Referens", "Referens"),
    "close": ("avsluta", "Avsluta", "Avsluta ärende"),
    "switch_user": ("byt-anvandare", "Byt användare", "Byt användare som skickat in ärendet"),
}

# The confirmation after each action: (without notification, with notification).
CONFIRMATIONS: dict[str, tuple[str, str]] = {
    "assign": (
        "Ärendet fördelat",
        "Ärendet fördelat och notifiering har skickats till {recipients}.",
    ),
    "update": (
        "Ärendet uppdaterat",
        "Ärendet uppdaterat och notifiering har skickats till {recipients}.",
    ),
    "close": (
        "Ärendet avslutat",
        "Ärendet uppdaterat och notifiering har skickats till {recipients}.",
    ),
    "reference": ("Ärendets referens har uppdaterats.", "Ärendets referens har uppdaterats."),
    "switch_user": ("Ärendets användare har ändrats.", "Ärendets användare har ändrats."),
    "classify": ("Prioritet och kategori har sparats.", "Prioritet och kategori har sparats."),
    "task": ("Uppgiften har skapats.", "Uppgiften har skapats."),
    "task_done": ("Uppgiften är markerad som klar.", "Uppgiften är markerad som klar."),
    "acknowledge": (
        "Kompletteringen har kvitterats.",
        "Kompletteringen har kvitterats och notifiering har skickats till {recipients}.",
    ),
}

FIELD_LABELS: dict[str, str] = {
    "handler": "Handläggare",
    "group": "Handläggargrupp",
    "status": "Välj status",
    "title": "Händelsens rubrik",
    "external_message": "Meddelande till användaren",
    "internal_message": "Internt meddelande",
    "reference": "Referens",
    "account": "Byt till användaren med staden-konto",
    "name": "Den nya användarens för- och efternamn",
    "other_account": "Staden-konto för annan användare som kan komma åt ärendet",
    "other_name": "För- och efternamn för annan användare som kan komma åt ärendet",
}
TITLE_REQUIRED = "Händelsens rubrik måste anges."
CHECK_FIELD = "Kontrollera fältet {field}."


def join_recipients(recipients: list[str], lang: str) -> str:
    """Recipients as a list in running text: a; a och b; a, b och c (in English "and")."""
    if len(recipients) <= 1:
        return "".join(recipients)
    return f"{', '.join(recipients[:-1])} {translate('och', lang)} {recipients[-1]}"


def confirmation(action: str, notified: list[str], lang: str) -> str | None:
    """The guide's confirmation of an action, naming where notifications went."""
    texts = CONFIRMATIONS.get(action)
    if texts is None:
        return None
    if notified:
        return translate(texts[1], lang, recipients=join_recipients(notified, lang))
    return translate(texts[0], lang)


def _flash_path(case_id: int) -> str:
    return f"/arenden/{case_id}"


def _redirect_with_flash(
    request: Request, case_id: int, action: str, notified: list[str]
) -> Response:
    response = RedirectResponse(f"/arenden/{case_id}", status_code=303)
    value = quote(json.dumps({"action": action, "notified": notified}, ensure_ascii=True))
    response.set_cookie(
        FLASH_COOKIE,
        value,
        max_age=120,
        path=_flash_path(case_id),
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.secure_cookies,
    )
    return response


def _read_flash(request: Request, lang: str) -> str | None:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    try:
        value = json.loads(unquote(raw))
        notified = [str(n) for n in value.get("notified", [])][:5]
        return confirmation(str(value.get("action")), notified, lang)
    except (ValueError, AttributeError, TypeError):
        return None


def timeline_groups(events: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """Hela tidslinjen: oldest first, consecutive events of one status under one heading."""
    groups: list[dict[str, Any]] = []
    for event in reversed(events):
        key = "notification" if event.get("kind") == "notification" else event["status"]
        if not groups or groups[-1]["key"] != key:
            label = (
                translate("Notifierad", lang)
                if key == "notification"
                else status_text(event["status"], lang)
            )
            groups.append({"key": key, "label": label, "at": event["created_at"], "events": []})
        groups[-1]["events"].append(event)
    return groups


def file_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} kB"
    return f"{size / (1024 * 1024):.1f} MB".replace(".", ",")


async def _names(request: Request, usernames: set[str | None]) -> dict[str, str]:
    async with transaction(sessions_of(request)) as session:
        return await service.staff_names(session, usernames)


async def _group_name(request: Request, code: str | None, organization: str) -> str | None:
    """The name of the case's handler group (None without one, or for a removed group)."""
    if not code:
        return None
    async with transaction(sessions_of(request)) as session:
        group = await group_in_organization(session, code, organization)
    return group.name if group else None


def _error_page(request: Request, caseworker: Caseworker, exc: StarletteHTTPException) -> Response:
    return render(
        request,
        "error.html",
        {"message": error_message(exc, request_language(request))},
        caseworker=caseworker,
        status_code=exc.status_code,
    )


def _not_found(*ids: int) -> AppError | None:
    """Ids beyond a bigint are no case (a page, not a crash)."""
    if all(1 <= i <= MAX_ID for i in ids):
        return None
    return AppError(404, CASE_NOT_FOUND)


@router.get("/arenden/{case_id:int}")
async def case_page(
    request: Request,
    case_id: int,
    caseworker: WebCaseworker,
    case_service: CaseServiceDep,
    flik: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """The case view: header, action buttons, the four tabs (a read in the access log)."""
    lang = request_language(request)
    try:
        if missing := _not_found(case_id):
            raise missing
        case = await case_service.get_case(caseworker.actor, case_id)
    except StarletteHTTPException as exc:
        return _error_page(request, caseworker, exc)
    # A complemented case opens on the timeline, where it is acknowledged (guide 8.2.1).
    default_tab = "tidslinje" if case["status"] == "complemented" else DEFAULT_TAB
    tab = flik if flik in TABS else default_tab
    events = case["events"]
    tasks = case.get("tasks", [])
    names = await _names(
        request,
        {case.get("handler")}
        | {e.get("author") for e in events}
        | {t.get("assignee") for t in tasks}
        | {t.get("created_by") for t in tasks},
    )
    group_name = await _group_name(request, case.get("handler_group"), case["organization"])
    internal_events = {e["id"] for e in events if e["internal"]}
    complement_ids = [e["id"] for e in events if e.get("kind") == "complemented"]
    response = render(
        request,
        "case_detail.html",
        {
            "case": case,
            "names": names,
            "group_name": group_name,
            "tab": tab,
            "tabs": TABS,
            "latest": events[:LATEST_EVENTS],
            "groups": timeline_groups(events, lang),
            "attachment_index": {a["id"]: a for a in case["attachments"]},
            "internal_events": internal_events,
            "latest_complement": complement_ids[0] if complement_ids else None,
            "dialogs": [
                (page, label)
                for action, (page, label, _) in DIALOGS.items()
                if action in case["actions"]
            ],
            "archived": case["status"] == "archived",
            "flash": _read_flash(request, lang),
            "file_size": file_size,
            "back_slug": "arkiverade" if case["status"] == "archived" else "alla",
        },
        caseworker=caseworker,
    )
    if FLASH_COOKIE in request.cookies:
        response.delete_cookie(FLASH_COOKIE, path=_flash_path(case_id))
    return response


@router.get("/arenden/{case_id:int}/bilagor/{attachment_id:int}")
async def download_page(
    request: Request,
    case_id: int,
    attachment_id: int,
    caseworker: WebCaseworker,
    case_service: CaseServiceDep,
) -> Response:
    """A file of the case (Bilagor), downloaded as an attachment."""
    try:
        if missing := _not_found(case_id, attachment_id):
            raise missing
        response = await case_service.attachment(caseworker.actor, case_id, attachment_id)
    except StarletteHTTPException as exc:
        return _error_page(request, caseworker, exc)
    return file_response(response)


# --- Dialogs ------------------------------------------------------------------------------------


async def _dialog(
    request: Request,
    caseworker: Caseworker,
    case_service: CaseServiceDep,
    case_id: int,
    action: str,
    *,
    values: dict[str, Any] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    try:
        if missing := _not_found(case_id):
            raise missing
        case = await case_service.get_case(caseworker.actor, case_id)
        refused = action_refusal(case, action)
        if refused is not None:
            raise refused
    except StarletteHTTPException as exc:
        return _error_page(request, caseworker, exc)
    page, _, heading = DIALOGS[action]
    context: dict[str, Any] = {
        "case": case,
        "heading": heading,
        "action_path": f"/arenden/{case_id}/{page}",
        "values": values or {},
        "error": error,
    }
    if action == "assign":
        async with transaction(sessions_of(request)) as session:
            context["handlers"] = await service.assignable_staff(
                session, case["organization"], case["case_type"]
            )
            context["groups"] = await assignable_groups(session, case["organization"])
    return render(
        request,
        f"case_{action}.html",
        context,
        caseworker=caseworker,
        status_code=status_code,
    )


def _field_error(exc: ValidationError, lang: str) -> str:
    first = exc.errors(include_url=False)[0]
    field = str(first["loc"][0]) if first["loc"] else ""
    if field == "title" and first["type"] in ("string_too_short", "missing"):
        return translate(TITLE_REQUIRED, lang)
    label = FIELD_LABELS.get(field)
    if label is None:
        return translate("Ogiltig begäran", lang)
    return translate(CHECK_FIELD, lang, field=translate(label, lang))


def _parse(model: type[M], values: dict[str, Any], lang: str) -> M | str:
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        return _field_error(exc, lang)


async def _post_dialog(
    request: Request,
    case_id: int,
    caseworker: Caseworker,
    case_service: CaseServiceDep,
    action: str,
    build: Callable[[FormData, str], Any],
    run: Callable[[Any, FormData], Awaitable[dict[str, Any]]],
) -> Response:
    """Check the CSRF token, run the action, redirect with the confirmation; on a refusal show
    the dialog again with the message and what the caseworker entered."""
    lang = request_language(request)
    if missing := _not_found(case_id):
        return _error_page(request, caseworker, missing)
    async with posted_form(request) as form:
        if not csrf_matches(str(form.get("csrf_token") or ""), caseworker.csrf_token):
            return _error_page(request, caseworker, AppError(403, INVALID_FORM))
        values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
        body = build(form, lang)
        if isinstance(body, str):
            return await _dialog(
                request,
                caseworker,
                case_service,
                case_id,
                action,
                values=values,
                error=body,
                status_code=422,
            )
        try:
            answer = await run(body, form)
        except StarletteHTTPException as exc:
            if exc.status_code in (401, 404) or exc.status_code >= 500:
                return _error_page(request, caseworker, exc)
            return await _dialog(
                request,
                caseworker,
                case_service,
                case_id,
                action,
                values=values,
                error=error_message(exc, lang),
                status_code=exc.status_code,
            )
        return _redirect_with_flash(request, case_id, action, list(answer.get("notified", [])))


def _notify(form: FormData) -> bool:
    """The checkbox "Inaktivera eventuell notifikation till användaren" opts out."""
    return not form.get("inaktivera_notifiering")


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _dialog_routes(action: str) -> None:
    page = DIALOGS[action][0]

    async def show(
        request: Request, case_id: int, caseworker: WebCaseworker, case_service: CaseServiceDep
    ) -> Response:
        return await _dialog(request, caseworker, case_service, case_id, action)

    show.__doc__ = f"The dialog of {action} as a page."
    router.add_api_route(f"/arenden/{{case_id:int}}/{page}", show, methods=["GET"])


for _action in DIALOGS:
    _dialog_routes(_action)


@router.post("/arenden/{case_id:int}/fordela")
async def post_assign(
    request: Request, case_id: int, caseworker: WebCaseworker, case_service: CaseServiceDep
) -> Response:
    """Fördela to the chosen handler or handler group (the select's `grupp:<code>` options)."""

    def build(form: FormData, lang: str) -> AssignBody | str:
        chosen = _text(form, "handler")
        target = (
            {"group": chosen.removeprefix(GROUP_OPTION)}
            if chosen.startswith(GROUP_OPTION)
            else {"handler": chosen}
        )
        return _parse(AssignBody, {**target, "notify": _notify(form)}, lang)

    async def run(body: AssignBody, form: FormData) -> dict[str, Any]:
        async with transaction(sessions_of(request)) as session:
            return await service.assign(session, case_service, caseworker.actor, case_id, body)

    return await _post_dialog(request, case_id, caseworker, case_service, "assign", build, run)


@router.post("/arenden/{case_id:int}/uppdatera")
async def post_update(
    request: Request,
    case_id: int,
    caseworker: WebCaseworker,
    case_service: CaseServiceDep,
    settings: SettingsDep,
) -> Response:
    """Uppdatera: status, title, messages, up to 3 files."""

    def build(form: FormData, lang: str) -> UpdateBody | str:
        fields = ("status", "title", "external_message", "internal_message", "kind")
        values: dict[str, Any] = {name: _text(form, name) for name in fields}
        values["notify"] = _notify(form)
        return _parse(UpdateBody, values, lang)

    async def run(body: UpdateBody, form: FormData) -> dict[str, Any]:
        files: list[UploadFile] = uploads(form)
        return await service.update(
            case_service, caseworker.actor, case_id, body, files, settings.max_attachment_bytes
        )

    return await _post_dialog(request, case_id, caseworker, case_service, "update", build, run)


@router.post("/arenden/{case_id:int}/referens")
async def post_reference(
    request: Request, case_id: int, caseworker: WebCaseworker, case_service: CaseServiceDep
) -> Response:
    """Spara the reference."""

    def build(form: FormData, lang: str) -> ReferenceBody | str:
        return _parse(ReferenceBody, {"reference": _text(form, "reference")}, lang)

    async def run(body: ReferenceBody, form: FormData) -> dict[str, Any]:
        return await service.set_reference(case_service, caseworker.actor, case_id, body)

    return await _post_dialog(request, case_id, caseworker, case_service, "reference", build, run)


@router.post("/arenden/{case_id:int}/avsluta")
async def post_close(
    request: Request, case_id: int, caseworker: WebCaseworker, case_service: CaseServiceDep
) -> Response:
    """Avsluta."""

    def build(form: FormData, lang: str) -> CloseBody | str:
        fields = ("title", "external_message", "internal_message", "reference")
        values: dict[str, Any] = {name: _text(form, name) for name in fields}
        values["notify"] = _notify(form)
        return _parse(CloseBody, values, lang)

    async def run(body: CloseBody, form: FormData) -> dict[str, Any]:
        return await service.close(case_service, caseworker.actor, case_id, body)

    return await _post_dialog(request, case_id, caseworker, case_service, "close", build, run)


@router.post("/arenden/{case_id:int}/byt-anvandare")
async def post_switch_user(
    request: Request, case_id: int, caseworker: WebCaseworker, case_service: CaseServiceDep
) -> Response:
    """Byt användare."""

    def build(form: FormData, lang: str) -> SwitchUserBody | str:
        fields = ("account", "name", "other_account", "other_name")
        return _parse(SwitchUserBody, {name: _text(form, name) for name in fields}, lang)

    async def run(body: SwitchUserBody, form: FormData) -> dict[str, Any]:
        return await service.switch_user(case_service, caseworker.actor, case_id, body)

    return await _post_dialog(request, case_id, caseworker, case_service, "switch_user", build, run)


@router.post("/arenden/{case_id:int}/kvittera")
async def post_acknowledge(
    request: Request, case_id: int, caseworker: WebCaseworker, case_service: CaseServiceDep
) -> Response:
    """Kvittera the latest complement (a button on the case view, no dialog)."""
    if missing := _not_found(case_id):
        return _error_page(request, caseworker, missing)
    async with posted_form(request) as form:
        token, notify = str(form.get("csrf_token") or ""), _notify(form)
    if not csrf_matches(token, caseworker.csrf_token):
        return _error_page(request, caseworker, AppError(403, INVALID_FORM))
    try:
        answer = await service.acknowledge(
            case_service, caseworker.actor, case_id, AcknowledgeBody(notify=notify)
        )
    except StarletteHTTPException as exc:
        return _error_page(request, caseworker, exc)
    return _redirect_with_flash(request, case_id, "acknowledge", list(answer.get("notified", [])))
