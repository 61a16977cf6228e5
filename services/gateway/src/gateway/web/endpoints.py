"""The caseworker web UI: login and the three case lists (F-LI-1; the lists are in case_list.py)."""

import logging
import secrets
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse

from arende_platform.db import transaction
from gateway.auth.deps import (
    WebCaseworker,
    csrf_matches,
    optional_web_caseworker,
    session_cookie_name,
)
from gateway.auth.service import (
    check_password,
    digest,
    end_session,
    start_session,
)
from gateway.deps import CaseServiceDep, PasswordsDep, SettingsDep, sessions_of
from gateway.errors import request_language
from gateway.i18n import translate
from gateway.settings import GatewaySettings
from gateway.web.case_list import VIEWS as VIEWS  # the views' names, also used elsewhere
from gateway.web.case_list import case_list_page
from gateway.web.rendering import render

log = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)

START_PAGE = "/arenden/mina"
LOGIN_CSRF_COOKIE = "arende_login_csrf"
INVALID_FORM = "Formuläret har gått ut eller skickades från en annan sida. Försök igen."


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


def redirect(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303)


def set_cookie(
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


def delete_cookie(response: Response, settings: GatewaySettings, name: str) -> None:
    response.delete_cookie(
        name, path="/", secure=settings.secure_cookies, httponly=True, samesite="lax"
    )


@router.get("/")
async def start(request: Request) -> Response:
    """The start page is Mina ärenden; without a session, the login form."""
    caseworker = await optional_web_caseworker(request)
    return redirect(START_PAGE if caseworker else "/logga-in")


def login_form(
    request: Request,
    settings: GatewaySettings,
    *,
    next_path: str,
    username: str = "",
    error: str | None = None,
    error_values: dict[str, Any] | None = None,
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
            "error_values": error_values or {},
            "notice": notice,
            "oidc_label": settings.oidc_button_label if settings.oidc_enabled else None,
        },
        status_code=status_code,
    )
    set_cookie(response, settings, LOGIN_CSRF_COOKIE, token, max_age=3600)
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
        return redirect(safe_next(next_path))
    notice = None
    if expired:
        notice = "Din session har gått ut. Logga in igen."
    elif utloggad:
        notice = "Du har loggats ut."
    return login_form(request, settings, next_path=safe_next(next_path), notice=notice)


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
        return login_form(
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
        return login_form(
            request,
            settings,
            next_path=target,
            username=username,
            error="Felaktigt användarnamn eller lösenord",
            status_code=401,
        )
    return await signed_in(request, settings, user_id, target)


async def signed_in(
    request: Request, settings: GatewaySettings, user_id: int, target: str
) -> Response:
    """Start the web session of a user who has just proven who they are (password or single
    sign-on) and send the browser on to `target`."""
    cookie = session_cookie_name(settings)
    async with transaction(sessions_of(request)) as session:
        previous = request.cookies.get(cookie)
        if previous:  # never keep a session id from before the login (fixation)
            await end_session(session, digest(previous))
        session_id, _ = await start_session(
            session,
            user_id,
            idle=timedelta(minutes=settings.session_idle_minutes),
            absolute=timedelta(hours=settings.session_absolute_hours),
        )
    response = redirect(target)
    set_cookie(response, settings, cookie, session_id)
    delete_cookie(response, settings, LOGIN_CSRF_COOKIE)
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
    response = redirect("/logga-in?utloggad=1")
    delete_cookie(response, settings, session_cookie_name(settings))
    return response


@router.get("/arenden/mina")
async def my_cases(
    request: Request, caseworker: WebCaseworker, case_service: CaseServiceDep, settings: SettingsDep
) -> Response:
    """Mina ärenden: cases assigned to me or my groups (the start page)."""
    return await case_list_page(request, "mina", caseworker, case_service, settings)


@router.get("/arenden/alla")
async def all_cases(
    request: Request, caseworker: WebCaseworker, case_service: CaseServiceDep, settings: SettingsDep
) -> Response:
    """Alla ärenden: every case I may see that is not archived."""
    return await case_list_page(request, "alla", caseworker, case_service, settings)


@router.get("/arenden/arkiverade")
async def archived_cases(
    request: Request, caseworker: WebCaseworker, case_service: CaseServiceDep, settings: SettingsDep
) -> Response:
    """Arkiverade ärenden."""
    return await case_list_page(request, "arkiverade", caseworker, case_service, settings)
