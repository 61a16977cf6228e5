"""Administration pages (Lokal administratör): organizations, case types with every setting,
staff with their roles and grants, handler groups, and the audit log of all these changes.

The pages call the same services as the admin API (`/api/v1/admin/...`), so rights, refusals
and audit entries are the same; changes take effect on the next request. Every form posts the
session's CSRF token; a refused form is shown again with an error summary that takes the
focus and links to each field in error, the fields marked `aria-invalid`.
"""

import logging
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException

from arende_contracts.access import Actor
from arende_contracts.administration import (
    NOTIFY_STATUSES,
    CaseTypeIn,
    CaseTypeSettings,
    OrganizationIn,
    OrganizationPatch,
)
from arende_platform.db import transaction
from gateway.administration import service as admin_service
from gateway.audit.service import entries as audit_entries
from gateway.auth.deps import WebCaseworker, csrf_matches
from gateway.auth.service import Caseworker
from gateway.case_client import CaseServiceClient
from gateway.deps import CaseServiceDep, PasswordsDep, sessions_of
from gateway.errors import AppError, error_message, request_language
from gateway.groups import service as group_service
from gateway.groups.schemas import GroupIn, GroupPatch
from gateway.i18n import translate
from gateway.users import service as user_service
from gateway.users.schemas import UserIn, UserPatch
from gateway.web.rendering import render

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)

router = APIRouter(include_in_schema=False)

BASE = "/administration"
INVALID_FORM = "Formuläret har gått ut eller skickades från en annan sida. Försök igen."
CHECK_FIELD = "Kontrollera fältet {field}."
ADMIN_REQUIRED = "Administratörsbehörighet krävs"

# The administration's sections: (slug, label).
SECTIONS = (
    ("forvaltningar", "Förvaltningar"),
    ("arendetyper", "Ärendetyper"),
    ("personal", "Personal"),
    ("grupper", "Handläggargrupper"),
    ("invanare", "Invånare"),
    ("gallring", "Gallring"),
    ("logg", "Ändringslogg"),
)
ROLE_LABELS = {
    "receiver": "Ärendemottagare",
    "handler": "Handläggare",
    "admin": "Lokal administratör",
    "reviewer": "Granskare",
}
# Case type settings shown as checkboxes, in the order of the form (F-IN-4).
CASE_TYPE_FLAGS = (
    ("active", "Aktiv", "Inaktiva ärendetyper tar inte emot nya ärenden."),
    ("allow_anonymous", "Anonyma användare tillåts", ""),
    ("internal", "Intern ärendetyp (anställda med staden-konto)", ""),
    ("notify_email", "Notifiering via e-post", "Användaren får e-post när ärendet uppdateras."),
    ("notify_sms", "Notifiering via SMS", "Användaren får SMS när ärendet uppdateras."),
    ("two_way", "Tvåvägskommunikation", "Användaren kan komplettera och svara i ärendet."),
    (
        "restricted",
        "Begränsat urval",
        "Endast godkända invånare och invånare med delning får skicka in ärenden.",
    ),
)
NEW_CASE_TYPE = {"active": True, "two_way": True, "archive_days": 180, "purge_days": 730}
FIELD_LABELS = {
    "code": "Kod",
    "name": "Namn",
    "organization": "Förvaltning",
    "archive_days": "Arkivering efter antal dagar",
    "purge_days": "Gallring efter antal dagar",
    "retention_decision": "Gallringsbeslut",
    "username": "Användarnamn",
    "password": "Lösenord",
    "email": "E-post",
    "phone": "Mobilnummer",
    "members": "Medlemmar",
    "grants": "Behörigheter",
    "active": "Aktiv",
    "superuser": "Systemadministratör",
    "notify_statuses": "Notifiera vid status",
}
# The change log names a case type's settings as its form does.
CHANGE_LABELS = {**FIELD_LABELS, **{name: label for name, label, _ in CASE_TYPE_FLAGS}}
NOTICES = {
    "forvaltning": "Förvaltningen har sparats.",
    "arendetyp": "Ärendetypen har sparats.",
    "anvandare": "Användaren har sparats.",
    "grupp": "Handläggargruppen har sparats.",
    "grupp-borttagen": "Handläggargruppen har tagits bort.",
}
ACTION_LABELS = {
    "organization.create": "Förvaltning skapad",
    "organization.update": "Förvaltning ändrad",
    "case_type.create": "Ärendetyp skapad",
    "case_type.update": "Ärendetyp ändrad",
    "user.create": "Användare skapad",
    "user.update": "Användare ändrad",
    "group.create": "Handläggargrupp skapad",
    "group.update": "Handläggargrupp ändrad",
    "group.delete": "Handläggargrupp borttagen",
}


class FormError(Exception):
    """A form's errors: (field id or None, message) in the caller's language."""

    def __init__(self, errors: list[tuple[str | None, str]]) -> None:
        super().__init__("invalid form")
        self.errors = errors


def _is_admin(actor: Actor) -> bool:
    return actor.superuser or any(g.role == "admin" for g in actor.grants)


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _optional(form: FormData, name: str) -> str | None:
    return _text(form, name) or None


def _checked(form: FormData, name: str) -> bool:
    return form.get(name) == "on"


def _parse(model: type[M], values: dict[str, Any], lang: str) -> M:
    """The model of a form's values, or FormError naming each field in error."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        errors: list[tuple[str | None, str]] = []
        for error in exc.errors(include_url=False):
            field = str(error["loc"][0]) if error["loc"] else ""
            label = FIELD_LABELS.get(field)
            if label is None:
                errors.append((None, translate("Ogiltig begäran", lang)))
            elif (field, label) not in [(f, m) for f, m in errors]:
                errors.append((field, translate(CHECK_FIELD, lang, field=translate(label, lang))))
        raise FormError(errors) from exc


def _days(form: FormData, name: str) -> int | str:
    """A whole number of days; anything else is passed on for the model to refuse."""
    text = _text(form, name)
    return int(text) if text.isdigit() else text


def _redirect(path: str, notice: str | None = None) -> Response:
    return RedirectResponse(f"{path}?klart={notice}" if notice else path, status_code=303)


def _page(
    request: Request,
    caseworker: Caseworker,
    template: str,
    section: str,
    context: dict[str, Any],
    *,
    errors: list[tuple[str | None, str]] | None = None,
    status_code: int = 200,
) -> Response:
    notice = NOTICES.get(request.query_params.get("klart", ""))
    return render(
        request,
        template,
        {
            "sections": SECTIONS,
            "section": section,
            "base": BASE,
            "role_labels": ROLE_LABELS,
            "errors": errors or [],
            "error_fields": {f for f, _ in errors or [] if f},
            "notice": notice,
            "nav_current": "administration",
            "values": {},
            **context,
        },
        caseworker=caseworker,
        status_code=status_code,
    )


def _error_page(request: Request, caseworker: Caseworker, exc: HTTPException) -> Response:
    return render(
        request,
        "error.html",
        {"message": error_message(exc, request_language(request))},
        caseworker=caseworker,
        status_code=exc.status_code,
    )


async def _guarded(
    request: Request,
    caseworker: Caseworker,
    show: Callable[[], Awaitable[Response]],
) -> Response:
    """A page for administrators only; refusals (403, 404, case-service down) as pages."""
    try:
        if not _is_admin(caseworker.actor):
            raise AppError(403, ADMIN_REQUIRED)
        return await show()
    except HTTPException as exc:
        return _error_page(request, caseworker, exc)


async def _posted(
    request: Request,
    caseworker: Caseworker,
    act: Callable[[FormData, str], Awaitable[Response]],
    again: Callable[[FormData, list[tuple[str | None, str]], int], Awaitable[Response]],
) -> Response:
    """Check the CSRF token and run `act`; a refusal about the form shows it `again` with the
    errors, anything else (403/404 of the object, an unavailable service) as an error page."""
    lang = request_language(request)
    try:
        if not _is_admin(caseworker.actor):
            raise AppError(403, ADMIN_REQUIRED)
        form = await request.form(max_files=0, max_fields=2000, max_part_size=64 * 1024)
    except HTTPException as exc:
        return _error_page(request, caseworker, exc)
    if not csrf_matches(_text(form, "csrf_token"), caseworker.csrf_token):
        return _error_page(request, caseworker, AppError(403, INVALID_FORM))
    try:
        return await act(form, lang)
    except FormError as exc:
        return await again(form, exc.errors, 422)
    except HTTPException as exc:
        if exc.status_code in (409, 422):
            return await again(form, [(None, error_message(exc, lang))], exc.status_code)
        return _error_page(request, caseworker, exc)


def _form_values(form: FormData) -> dict[str, Any]:
    """What the user entered, to show the form again (never the password)."""
    values: dict[str, Any] = {}
    for key in form:
        if key in ("csrf_token", "password"):
            continue
        items = [v for v in form.getlist(key) if isinstance(v, str)]
        values[key] = items if len(items) > 1 else (items[0] if items else "")
    return values


# --- Start ----------------------------------------------------------------------------------


@router.get(BASE)
async def administration(request: Request, caseworker: WebCaseworker) -> Response:
    """The administration starts with its first section."""

    async def show() -> Response:
        return _redirect(f"{BASE}/forvaltningar")

    return await _guarded(request, caseworker, show)


# --- Förvaltningar --------------------------------------------------------------------------


async def _organizations_page(
    request: Request,
    caseworker: Caseworker,
    case_service: CaseServiceClient,
    *,
    values: dict[str, Any] | None = None,
    errors: list[tuple[str | None, str]] | None = None,
    status_code: int = 200,
) -> Response:
    actor = caseworker.actor
    organizations = await admin_service.list_organizations(case_service, actor)
    for org in organizations:
        org["editable"] = user_service.may_administer(actor, {org["code"]})
    return _page(
        request,
        caseworker,
        "admin_organizations.html",
        "forvaltningar",
        {"organizations": organizations, "values": values or {}},
        errors=errors,
        status_code=status_code,
    )


@router.get(f"{BASE}/forvaltningar")
async def organizations_page(
    request: Request, caseworker: WebCaseworker, case_service: CaseServiceDep
) -> Response:
    """Förvaltningar: the list, and for superusers the form of a new one."""
    return await _guarded(
        request, caseworker, lambda: _organizations_page(request, caseworker, case_service)
    )


@router.post(f"{BASE}/forvaltningar")
async def create_organization(
    request: Request, caseworker: WebCaseworker, case_service: CaseServiceDep
) -> Response:
    """Skapa förvaltning."""

    async def act(form: FormData, lang: str) -> Response:
        body = _parse(
            OrganizationIn, {"code": _text(form, "code"), "name": _text(form, "name")}, lang
        )
        await admin_service.create_organization(
            sessions_of(request), case_service, caseworker.actor, body
        )
        return _redirect(f"{BASE}/forvaltningar", "forvaltning")

    async def again(form: FormData, errors: list[Any], status: int) -> Response:
        return await _organizations_page(
            request,
            caseworker,
            case_service,
            values=_form_values(form),
            errors=errors,
            status_code=status,
        )

    return await _posted(request, caseworker, act, again)


async def _organization_page(
    request: Request,
    caseworker: Caseworker,
    case_service: CaseServiceClient,
    code: str,
    *,
    values: dict[str, Any] | None = None,
    errors: list[tuple[str | None, str]] | None = None,
    status_code: int = 200,
) -> Response:
    org = await admin_service.find_organization(case_service, caseworker.actor, code)
    if not user_service.may_administer(caseworker.actor, {code}):
        raise AppError(403, ADMIN_REQUIRED)
    return _page(
        request,
        caseworker,
        "admin_organization.html",
        "forvaltningar",
        {"organization": org, "values": values or {"name": org["name"]}},
        errors=errors,
        status_code=status_code,
    )


@router.get(f"{BASE}/forvaltningar/{{code}}")
async def organization_page(
    request: Request, code: str, caseworker: WebCaseworker, case_service: CaseServiceDep
) -> Response:
    """Ändra förvaltning (its name)."""
    return await _guarded(
        request,
        caseworker,
        lambda: _organization_page(request, caseworker, case_service, code),
    )


@router.post(f"{BASE}/forvaltningar/{{code}}")
async def update_organization(
    request: Request, code: str, caseworker: WebCaseworker, case_service: CaseServiceDep
) -> Response:
    async def act(form: FormData, lang: str) -> Response:
        body = _parse(OrganizationPatch, {"name": _text(form, "name")}, lang)
        await admin_service.update_organization(
            sessions_of(request), case_service, caseworker.actor, code, body
        )
        return _redirect(f"{BASE}/forvaltningar", "forvaltning")

    async def again(form: FormData, errors: list[Any], status: int) -> Response:
        return await _organization_page(
            request,
            caseworker,
            case_service,
            code,
            values=_form_values(form),
            errors=errors,
            status_code=status,
        )

    return await _posted(request, caseworker, act, again)


# --- Ärendetyper ----------------------------------------------------------------------------


@router.get(f"{BASE}/arendetyper")
async def case_types_page(
    request: Request, caseworker: WebCaseworker, case_service: CaseServiceDep
) -> Response:
    """Ärendetyper: every case type the administrator may see, with its main settings."""

    async def show() -> Response:
        actor = caseworker.actor
        case_types = await admin_service.list_case_types(case_service, actor)
        organizations = {
            o["code"]: o["name"]
            for o in await admin_service.list_organizations(case_service, actor)
        }
        for case_type in case_types:
            case_type["editable"] = user_service.may_administer(actor, {case_type["organization"]})
        return _page(
            request,
            caseworker,
            "admin_case_types.html",
            "arendetyper",
            {
                "case_types": case_types,
                "organization_names": organizations,
                "may_create": bool(
                    await admin_service.administered_organizations(case_service, actor)
                ),
            },
        )

    return await _guarded(request, caseworker, show)


def _case_type_values(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {name: _checked(form, name) for name, _, _ in CASE_TYPE_FLAGS}
    values.update(
        name=_text(form, "name"),
        archive_days=_days(form, "archive_days"),
        purge_days=_days(form, "purge_days"),
        retention_decision=_optional(form, "retention_decision"),
        notify_statuses=[v for v in form.getlist("notify_statuses") if isinstance(v, str) and v]
        or None,
    )
    return values


async def _case_type_form(
    request: Request,
    caseworker: Caseworker,
    case_service: CaseServiceClient,
    code: str | None,
    *,
    values: dict[str, Any] | None = None,
    errors: list[tuple[str | None, str]] | None = None,
    status_code: int = 200,
) -> Response:
    actor = caseworker.actor
    case_type = None
    if code is not None:
        case_type = await admin_service.find_case_type(case_service, actor, code)
        if not user_service.may_administer(actor, {case_type["organization"]}):
            raise AppError(403, ADMIN_REQUIRED)
    organizations = await admin_service.administered_organizations(case_service, actor)
    if not organizations:
        raise AppError(403, ADMIN_REQUIRED)
    if values is None:
        values = dict(case_type) if case_type else dict(NEW_CASE_TYPE)
    else:  # shown again after a refusal: the boxes as they were ticked
        values = {**values, **{n: values.get(n) == "on" for n, _, _ in CASE_TYPE_FLAGS}}
    statuses = values.get("notify_statuses") or []
    values["notify_statuses"] = [statuses] if isinstance(statuses, str) else statuses
    return _page(
        request,
        caseworker,
        "admin_case_type.html",
        "arendetyper",
        {
            "case_type": case_type,
            "organizations": organizations,
            "flags": CASE_TYPE_FLAGS,
            "notify_statuses": NOTIFY_STATUSES,
            "values": values,
        },
        errors=errors,
        status_code=status_code,
    )


@router.get(f"{BASE}/arendetyper/ny")
async def new_case_type_page(
    request: Request, caseworker: WebCaseworker, case_service: CaseServiceDep
) -> Response:
    """Ny ärendetyp: code, name, organization and every setting."""
    return await _guarded(
        request, caseworker, lambda: _case_type_form(request, caseworker, case_service, None)
    )


@router.post(f"{BASE}/arendetyper/ny")
async def create_case_type(
    request: Request, caseworker: WebCaseworker, case_service: CaseServiceDep
) -> Response:
    async def act(form: FormData, lang: str) -> Response:
        values = _case_type_values(form)
        values.update(code=_text(form, "code"), organization=_text(form, "organization"))
        body = _parse(CaseTypeIn, values, lang)
        await admin_service.create_case_type(
            sessions_of(request), case_service, caseworker.actor, body
        )
        return _redirect(f"{BASE}/arendetyper", "arendetyp")

    async def again(form: FormData, errors: list[Any], status: int) -> Response:
        return await _case_type_form(
            request,
            caseworker,
            case_service,
            None,
            values=_form_values(form),
            errors=errors,
            status_code=status,
        )

    return await _posted(request, caseworker, act, again)


@router.get(f"{BASE}/arendetyper/{{code}}")
async def case_type_page(
    request: Request, code: str, caseworker: WebCaseworker, case_service: CaseServiceDep
) -> Response:
    """Ändra ärendetyp: every setting."""
    return await _guarded(
        request, caseworker, lambda: _case_type_form(request, caseworker, case_service, code)
    )


@router.post(f"{BASE}/arendetyper/{{code}}")
async def update_case_type(
    request: Request, code: str, caseworker: WebCaseworker, case_service: CaseServiceDep
) -> Response:
    async def act(form: FormData, lang: str) -> Response:
        body = _parse(CaseTypeSettings, _case_type_values(form), lang)
        await admin_service.update_case_type(
            sessions_of(request), case_service, caseworker.actor, code, body
        )
        return _redirect(f"{BASE}/arendetyper", "arendetyp")

    async def again(form: FormData, errors: list[Any], status: int) -> Response:
        return await _case_type_form(
            request,
            caseworker,
            case_service,
            code,
            values=_form_values(form),
            errors=errors,
            status_code=status,
        )

    return await _posted(request, caseworker, act, again)


# --- Personal -------------------------------------------------------------------------------


@router.get(f"{BASE}/personal")
async def staff_page(request: Request, caseworker: WebCaseworker) -> Response:
    """Personal: the accounts the administrator administers, with their roles."""

    async def show() -> Response:
        async with transaction(sessions_of(request)) as session:
            users = await user_service.list_users(session, caseworker.actor)
        return _page(request, caseworker, "admin_staff.html", "personal", {"users": users})

    return await _guarded(request, caseworker, show)


def _grants(form: FormData, organizations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The grants of the form: a checkbox per organization and role, optionally limited to
    some of the organization's case types (none chosen: all of them)."""
    grants = []
    for org in organizations:
        for role in ROLE_LABELS:
            key = f"{org['code']}:{role}"
            if not _checked(form, f"grant:{key}"):
                continue
            types = [v for v in form.getlist(f"types:{key}") if isinstance(v, str) and v]
            grants.append({"organization": org["code"], "role": role, "case_types": types or None})
    return grants


async def _grant_choices(case_service: CaseServiceClient, actor: Actor) -> list[dict[str, Any]]:
    """The organizations whose grants the administrator may give, each with its case types."""
    organizations = await admin_service.administered_organizations(case_service, actor)
    case_types = await admin_service.list_case_types(case_service, actor)
    return [
        {**org, "case_types": [ct for ct in case_types if ct["organization"] == org["code"]]}
        for org in organizations
    ]


def _grant_values(grants: list[Any]) -> dict[str, Any]:
    """A user's grants as the form's field values."""
    values: dict[str, Any] = {}
    for grant in grants:
        data = grant if isinstance(grant, dict) else grant.model_dump()
        key = f"{data['organization']}:{data['role']}"
        values[f"grant:{key}"] = "on"
        values[f"types:{key}"] = data["case_types"] or []
    return values


async def _user_form(
    request: Request,
    caseworker: Caseworker,
    case_service: CaseServiceClient,
    username: str | None,
    *,
    values: dict[str, Any] | None = None,
    errors: list[tuple[str | None, str]] | None = None,
    status_code: int = 200,
) -> Response:
    actor = caseworker.actor
    user = None
    if username is not None:
        async with transaction(sessions_of(request)) as session:
            found = await user_service.find_user(session, username)
            if found is None or not user_service.visible_to(actor, found):
                raise AppError(404, "Användaren finns inte")
            user = user_service.user_out(found)
    choices = await _grant_choices(case_service, actor)
    if not choices and not actor.superuser:
        raise AppError(403, ADMIN_REQUIRED)
    if values is None:
        values = {"active": "on"}
        if user is not None:
            values = {
                "name": user.name,
                "email": user.email or "",
                "phone": user.phone or "",
                "active": "on" if user.active else "",
                "superuser": "on" if user.superuser else "",
                **_grant_values(user.grants),
            }
    return _page(
        request,
        caseworker,
        "admin_user.html",
        "personal",
        {"user": user, "choices": choices, "values": values},
        errors=errors,
        status_code=status_code,
    )


@router.get(f"{BASE}/personal/ny")
async def new_user_page(
    request: Request, caseworker: WebCaseworker, case_service: CaseServiceDep
) -> Response:
    """Ny användare: account, contact details, password, roles per organization."""
    return await _guarded(
        request, caseworker, lambda: _user_form(request, caseworker, case_service, None)
    )


@router.post(f"{BASE}/personal/ny")
async def create_user(
    request: Request,
    caseworker: WebCaseworker,
    case_service: CaseServiceDep,
    passwords: PasswordsDep,
) -> Response:
    async def act(form: FormData, lang: str) -> Response:
        choices = await _grant_choices(case_service, caseworker.actor)
        body = _parse(
            UserIn,
            {
                "username": _text(form, "username"),
                "name": _text(form, "name"),
                "password": form.get("password") or "",
                "email": _optional(form, "email"),
                "phone": _optional(form, "phone"),
                "superuser": _checked(form, "superuser"),
                "grants": _grants(form, choices),
            },
            lang,
        )
        async with transaction(sessions_of(request)) as session:
            await user_service.create_user(session, passwords, case_service, caseworker.actor, body)
        return _redirect(f"{BASE}/personal", "anvandare")

    async def again(form: FormData, errors: list[Any], status: int) -> Response:
        return await _user_form(
            request,
            caseworker,
            case_service,
            None,
            values=_form_values(form),
            errors=errors,
            status_code=status,
        )

    return await _posted(request, caseworker, act, again)


@router.get(f"{BASE}/personal/{{username}}")
async def user_page(
    request: Request, username: str, caseworker: WebCaseworker, case_service: CaseServiceDep
) -> Response:
    """Ändra användare: name, contact details, active, new password, roles."""
    return await _guarded(
        request, caseworker, lambda: _user_form(request, caseworker, case_service, username)
    )


@router.post(f"{BASE}/personal/{{username}}")
async def update_user(
    request: Request,
    username: str,
    caseworker: WebCaseworker,
    case_service: CaseServiceDep,
    passwords: PasswordsDep,
) -> Response:
    async def act(form: FormData, lang: str) -> Response:
        actor = caseworker.actor
        choices = await _grant_choices(case_service, actor)
        administered = {c["code"] for c in choices}
        async with transaction(sessions_of(request)) as session:
            found = await user_service.find_user(session, username)
            if found is None or not user_service.visible_to(actor, found):
                raise AppError(404, "Användaren finns inte")
            # Grants in organizations the form does not show are kept as they are.
            kept = [
                g.model_dump()
                for g in user_service.user_out(found).grants
                if g.organization not in administered
            ]
        values: dict[str, Any] = {
            "name": _text(form, "name"),
            "email": _optional(form, "email"),
            "phone": _optional(form, "phone"),
            "active": _checked(form, "active"),
            "grants": [*kept, *_grants(form, choices)],
        }
        if actor.superuser:
            values["superuser"] = _checked(form, "superuser")
        if form.get("password"):
            values["password"] = form.get("password")
        body = _parse(UserPatch, values, lang)
        async with transaction(sessions_of(request)) as session:
            await user_service.update_user(session, passwords, case_service, actor, username, body)
        return _redirect(f"{BASE}/personal", "anvandare")

    async def again(form: FormData, errors: list[Any], status: int) -> Response:
        return await _user_form(
            request,
            caseworker,
            case_service,
            username,
            values=_form_values(form),
            errors=errors,
            status_code=status,
        )

    return await _posted(request, caseworker, act, again)


# --- Handläggargrupper ----------------------------------------------------------------------


@router.get(f"{BASE}/grupper")
async def groups_page(request: Request, caseworker: WebCaseworker) -> Response:
    """Handläggargrupper: the groups of the administrator's organizations and their members."""

    async def show() -> Response:
        async with transaction(sessions_of(request)) as session:
            groups = await group_service.list_groups(session, caseworker.actor)
        return _page(request, caseworker, "admin_groups.html", "grupper", {"groups": groups})

    return await _guarded(request, caseworker, show)


async def _group_form(
    request: Request,
    caseworker: Caseworker,
    case_service: CaseServiceClient,
    code: str | None,
    *,
    values: dict[str, Any] | None = None,
    errors: list[tuple[str | None, str]] | None = None,
    status_code: int = 200,
) -> Response:
    actor = caseworker.actor
    organizations = await admin_service.administered_organizations(case_service, actor)
    group = None
    async with transaction(sessions_of(request)) as session:
        if code is not None:
            group = await group_service.get_group(session, actor, code)
        candidates = {
            org["code"]: await group_service.candidates(session, org["code"])
            for org in organizations
            if group is None or org["code"] == group.organization
        }
    if not organizations:
        raise AppError(403, ADMIN_REQUIRED)
    if values is None:
        values = {"name": group.name, "members": group.members} if group else {}
    members = values.get("members", [])
    values["members"] = [members] if isinstance(members, str) else members
    return _page(
        request,
        caseworker,
        "admin_group.html",
        "grupper",
        {
            "group": group,
            "organizations": organizations,
            "candidates": candidates,
            "values": values,
        },
        errors=errors,
        status_code=status_code,
    )


def _members(form: FormData, organization: str) -> list[str]:
    """The members ticked among the candidates of the group's organization."""
    return [v for v in form.getlist(f"members:{organization}") if isinstance(v, str) and v]


@router.get(f"{BASE}/grupper/ny")
async def new_group_page(
    request: Request, caseworker: WebCaseworker, case_service: CaseServiceDep
) -> Response:
    """Skapa grupp av handläggare."""
    return await _guarded(
        request, caseworker, lambda: _group_form(request, caseworker, case_service, None)
    )


@router.post(f"{BASE}/grupper/ny")
async def create_group(
    request: Request, caseworker: WebCaseworker, case_service: CaseServiceDep
) -> Response:
    async def act(form: FormData, lang: str) -> Response:
        organization = _text(form, "organization")
        body = _parse(
            GroupIn,
            {
                "code": _text(form, "code"),
                "name": _text(form, "name"),
                "organization": organization,
                "members": _members(form, organization),
            },
            lang,
        )
        async with transaction(sessions_of(request)) as session:
            await group_service.create_group(session, case_service, caseworker.actor, body)
        return _redirect(f"{BASE}/grupper", "grupp")

    async def again(form: FormData, errors: list[Any], status: int) -> Response:
        values = _form_values(form)
        values["members"] = _members(form, _text(form, "organization"))
        return await _group_form(
            request,
            caseworker,
            case_service,
            None,
            values=values,
            errors=errors,
            status_code=status,
        )

    return await _posted(request, caseworker, act, again)


@router.get(f"{BASE}/grupper/{{code}}")
async def group_page(
    request: Request, code: str, caseworker: WebCaseworker, case_service: CaseServiceDep
) -> Response:
    """Ändra grupp: its name and members; or remove it."""
    return await _guarded(
        request, caseworker, lambda: _group_form(request, caseworker, case_service, code)
    )


@router.post(f"{BASE}/grupper/{{code}}")
async def update_group(
    request: Request, code: str, caseworker: WebCaseworker, case_service: CaseServiceDep
) -> Response:
    async def act(form: FormData, lang: str) -> Response:
        async with transaction(sessions_of(request)) as session:
            group = await group_service.get_group(session, caseworker.actor, code)
            body = _parse(
                GroupPatch,
                {"name": _text(form, "name"), "members": _members(form, group.organization)},
                lang,
            )
            await group_service.update_group(session, caseworker.actor, code, body)
        return _redirect(f"{BASE}/grupper", "grupp")

    async def again(form: FormData, errors: list[Any], status: int) -> Response:
        values = _form_values(form)
        values["members"] = [v for k in form for v in form.getlist(k) if k.startswith("members:")]
        return await _group_form(
            request,
            caseworker,
            case_service,
            code,
            values=values,
            errors=errors,
            status_code=status,
        )

    return await _posted(request, caseworker, act, again)


@router.post(f"{BASE}/grupper/{{code}}/ta-bort")
async def delete_group(
    request: Request, code: str, caseworker: WebCaseworker, case_service: CaseServiceDep
) -> Response:
    """Ta bort grupp."""

    async def act(form: FormData, lang: str) -> Response:
        async with transaction(sessions_of(request)) as session:
            await group_service.delete_group(session, case_service, caseworker.actor, code)
        return _redirect(f"{BASE}/grupper", "grupp-borttagen")

    async def again(form: FormData, errors: list[Any], status: int) -> Response:
        return await _group_form(
            request, caseworker, case_service, code, errors=errors, status_code=status
        )

    return await _posted(request, caseworker, act, again)


# --- Ändringslogg ---------------------------------------------------------------------------


def _change_text(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "–"
    if isinstance(value, bool):
        return "Ja" if value else "Nej"
    if isinstance(value, list):
        return ", ".join(
            f"{v['organization']} {v['role']}"
            + (f" ({', '.join(v['case_types'])})" if v.get("case_types") else "")
            if isinstance(v, dict)
            else str(v)
            for v in value
        )
    return str(value)


def _changes(details: dict[str, Any], lang: str) -> list[str]:
    """An entry's details as "field: old → new" lines (created objects: "field: value")."""
    lines = []
    for field, value in details.items():
        label = translate(CHANGE_LABELS.get(field, field), lang)
        if isinstance(value, list) and len(value) == 2 and field not in ("members", "grants"):
            lines.append(f"{label}: {_change_text(value[0])} → {_change_text(value[1])}")
        elif field in ("members", "grants") and (
            isinstance(value, list) and len(value) == 2 and all(isinstance(v, list) for v in value)
        ):
            lines.append(f"{label}: {_change_text(value[0])} → {_change_text(value[1])}")
        else:
            lines.append(f"{label}: {_change_text(value)}")
    return lines


@router.get(f"{BASE}/logg")
async def audit_page(
    request: Request,
    caseworker: WebCaseworker,
    cursor: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """Ändringslogg: who changed what in the administration, newest first."""

    async def show() -> Response:
        lang = request_language(request)
        async with transaction(sessions_of(request)) as session:
            page = await audit_entries(session, caseworker.actor, limit=50, cursor=cursor)
        rows = [
            {
                "entry": e,
                "action": translate(ACTION_LABELS.get(e.action, e.action), lang),
                "changes": _changes(e.details, lang),
            }
            for e in page.items
        ]
        return _page(
            request,
            caseworker,
            "admin_audit.html",
            "logg",
            {
                "rows": rows,
                "next_cursor": page.next_cursor,
                "unconfirmed": any(not e.confirmed for e in page.items),
            },
        )

    return await _guarded(request, caseworker, show)
