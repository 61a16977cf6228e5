"""The caseworker web UI: login, the three case lists and the case page (F-LI-1, F-LI-2)."""

import logging
import secrets
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from starlette.exceptions import HTTPException as StarletteHTTPException

from arende_platform.db import transaction
from gateway.auth.deps import (
    WebCaseworker,
    csrf_matches,
    optional_web_caseworker,
    session_cookie_name,
)
from gateway.auth.service import (
    Caseworker,
    check_password,
    digest,
    end_session,
    start_session,
)
from gateway.case_client import CASE_NOT_FOUND
from gateway.deps import CaseServiceDep, PasswordsDep, SettingsDep, sessions_of
from gateway.errors import AppError, error_message, request_language
from gateway.i18n import translate
from gateway.models import StaffUser
from gateway.settings import GatewaySettings
from gateway.web.rendering import render

log = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)

START_PAGE = "/arenden/mina"
MAX_CASE_ID = 2**63 - 1
LOGIN_CSRF_COOKIE = "arende_login_csrf"
INVALID_FORM = "Formuläret har gått ut eller skickades från en annan sida. Försök igen."

# slug → (view code of the API, heading, introduction)
VIEWS: dict[str, tuple[str, str, str]] = {
    "mina": ("mine", "Mina ärenden", "Ärenden som är fördelade till dig."),
    "alla": ("all", "Alla ärenden", "Ärenden du har tillgång till."),
    "arkiverade": ("archived", "Arkiverade ärenden", "Arkiverade ärenden du har tillgång till."),
}


def safe_next(target: str | None) -> str:
    """A local path to return to after login; anything else (other sites) goes to the start."""
    if (
        not target
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(c) < 0x20 for c in target)
        or target.startswith("/logga-")
    ):
        return START_PAGE
    return target


def _redirect(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303)


def _set_cookie(
    response: Response, settings: GatewaySettings, name: str, value: str, **options: Any
) -> None:
    response.set_cookie(
        name,
        value,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
        **options,
    )


def _delete_cookie(response: Response, settings: GatewaySettings, name: str) -> None:
    response.delete_cookie(
        name, path="/", secure=settings.secure_cookies, httponly=True, samesite="lax"
    )


@router.get("/")
async def start(request: Request) -> Response:
    """The start page is Mina ärenden; without a session, the login form."""
    caseworker = await optional_web_caseworker(request)
    return _redirect(START_PAGE if caseworker else "/logga-in")


def _login_form(
    request: Request,
    settings: GatewaySettings,
    *,
    next_path: str,
    username: str = "",
    error: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    # Double-submit token: a page on another site cannot read the cookie to fill in the form,
    # so it cannot sign a victim's browser in to an account of the attacker's choosing.
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = render(
        request,
        "login.html",
        {
            "login_csrf": token,
            "next": next_path,
            "username": username,
            "error": error,
            "notice": notice,
        },
        status_code=status_code,
    )
    _set_cookie(response, settings, LOGIN_CSRF_COOKIE, token, max_age=3600)
    return response


@router.get("/logga-in")
async def login_page(
    request: Request,
    settings: SettingsDep,
    next_path: Annotated[str | None, Query(alias="next", max_length=2000)] = None,
    expired: bool = False,
    utloggad: bool = False,
) -> Response:
    """The login form (Användarnamn, Lösenord, Logga in)."""
    if await optional_web_caseworker(request):
        return _redirect(safe_next(next_path))
    notice = None
    if expired:
        notice = "Din session har gått ut. Logga in igen."
    elif utloggad:
        notice = "Du har loggats ut."
    return _login_form(request, settings, next_path=safe_next(next_path), notice=notice)


@router.post("/logga-in")
async def login(
    request: Request,
    settings: SettingsDep,
    passwords: PasswordsDep,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next_path: Annotated[str, Form(alias="next", max_length=2000)] = "",
) -> Response:
    """Check the credentials and start a web session."""
    target = safe_next(next_path)
    if not csrf_matches(csrf_token, request.cookies.get(LOGIN_CSRF_COOKIE)):
        return _login_form(
            request,
            settings,
            next_path=target,
            username=username,
            error=INVALID_FORM,
            status_code=403,
        )
    sessions = sessions_of(request)
    user_id = await check_password(sessions, passwords, username, password)
    if user_id is None:
        log.info("login failed", extra={"username": username[:64]})
        return _login_form(
            request,
            settings,
            next_path=target,
            username=username,
            error="Felaktigt användarnamn eller lösenord",
            status_code=401,
        )
    cookie = session_cookie_name(settings)
    async with transaction(sessions) as session:
        previous = request.cookies.get(cookie)
        if previous:  # never keep a session id from before the login (fixation)
            await end_session(session, digest(previous))
        session_id, _ = await start_session(
            session,
            user_id,
            idle=timedelta(minutes=settings.session_idle_minutes),
            absolute=timedelta(hours=settings.session_absolute_hours),
        )
    response = _redirect(target)
    _set_cookie(response, settings, cookie, session_id)
    _delete_cookie(response, settings, LOGIN_CSRF_COOKIE)
    return response


@router.post("/logga-ut")
async def logout(
    request: Request,
    caseworker: WebCaseworker,
    settings: SettingsDep,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """End the web session (the form carries the session's CSRF token)."""
    if not csrf_matches(csrf_token, caseworker.csrf_token):
        lang = request_language(request)
        return render(
            request,
            "error.html",
            {"message": translate(INVALID_FORM, lang)},
            caseworker=caseworker,
            status_code=403,
        )
    assert caseworker.session_hash is not None
    async with transaction(sessions_of(request)) as session:
        await end_session(session, caseworker.session_hash)
    response = _redirect("/logga-in?utloggad=1")
    _delete_cookie(response, settings, session_cookie_name(settings))
    return response


async def _handler_names(request: Request, usernames: set[str]) -> dict[str, str]:
    if not usernames:
        return {}
    async with transaction(sessions_of(request)) as session:
        rows = await session.execute(
            select(StaffUser.username, StaffUser.name).where(StaffUser.username.in_(usernames))
        )
        return {username: name for username, name in rows.all()}


def _error(request: Request, caseworker: Caseworker, exc: StarletteHTTPException) -> Response:
    """An error inside a signed-in page, shown with the page's navigation."""
    message = error_message(exc, request_language(request))
    return render(
        request,
        "error.html",
        {"message": message},
        caseworker=caseworker,
        status_code=exc.status_code,
    )


async def _case_list(
    request: Request,
    slug: str,
    caseworker: Caseworker,
    case_service: CaseServiceDep,
    settings: GatewaySettings,
    cursor: str | None,
) -> Response:
    view, label, intro = VIEWS[slug]
    try:
        page = await case_service.list_cases(caseworker.actor, view, settings.page_size, cursor)
    except StarletteHTTPException as exc:
        return _error(request, caseworker, exc)
    cases = page["items"]
    names = await _handler_names(request, {c["handler"] for c in cases if c.get("handler")})
    path = f"/arenden/{slug}"
    return render(
        request,
        "case_list.html",
        {
            "view_label": label,
            "view_intro": intro,
            "nav_current": slug,
            "cases": cases,
            "total": page["total"],
            "handler_names": names,
            "next_href": (
                f"{path}?{urlencode({'cursor': page['next_cursor']})}"
                if page.get("next_cursor")
                else None
            ),
            "first_href": path if cursor else None,
        },
        caseworker=caseworker,
    )


Cursor = Annotated[str | None, Query(max_length=200)]


@router.get("/arenden/mina")
async def my_cases(
    request: Request,
    caseworker: WebCaseworker,
    case_service: CaseServiceDep,
    settings: SettingsDep,
    cursor: Cursor = None,
) -> Response:
    """Mina ärenden: cases assigned to me (the start page)."""
    return await _case_list(request, "mina", caseworker, case_service, settings, cursor)


@router.get("/arenden/alla")
async def all_cases(
    request: Request,
    caseworker: WebCaseworker,
    case_service: CaseServiceDep,
    settings: SettingsDep,
    cursor: Cursor = None,
) -> Response:
    """Alla ärenden: every case I may see that is not archived."""
    return await _case_list(request, "alla", caseworker, case_service, settings, cursor)


@router.get("/arenden/arkiverade")
async def archived_cases(
    request: Request,
    caseworker: WebCaseworker,
    case_service: CaseServiceDep,
    settings: SettingsDep,
    cursor: Cursor = None,
) -> Response:
    """Arkiverade ärenden."""
    return await _case_list(request, "arkiverade", caseworker, case_service, settings, cursor)


@router.get("/arenden/{case_id:int}")
async def case_page(
    request: Request, case_id: int, caseworker: WebCaseworker, case_service: CaseServiceDep
) -> Response:
    """The case view: header fields and the submitted form (Inskickade uppgifter)."""
    if case_id > MAX_CASE_ID:
        return _error(request, caseworker, AppError(404, CASE_NOT_FOUND))
    try:
        case = await case_service.get_case(caseworker.actor, case_id)
    except StarletteHTTPException as exc:
        return _error(request, caseworker, exc)
    handler = case.get("handler")
    names = await _handler_names(request, {handler} if handler else set())
    back_slug = "arkiverade" if case.get("status") == "archived" else "alla"
    return render(
        request,
        "case_detail.html",
        {
            "case": case,
            "handler_name": names.get(handler, handler) if handler else None,
            "back_slug": back_slug,
            "back_label": VIEWS[back_slug][1],
            "nav_current": None,
        },
        caseworker=caseworker,
    )
