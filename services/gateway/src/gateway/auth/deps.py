"""Who is calling: `CurrentCaseworker` for the API (bearer token or web session) and
`WebCaseworker` for pages (web session; otherwise a redirect to the login form)."""

import hmac
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from arende_platform.db import transaction
from gateway.auth.service import Caseworker, caseworker_for_token, resume_session
from gateway.deps import sessions_of
from gateway.errors import AppError, LoginRequired
from gateway.settings import GatewaySettings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "x-csrf-token"

bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/token", auto_error=False)


def session_cookie_name(settings: GatewaySettings) -> str:
    """`__Host-` binds the cookie to this host and path / (browsers require Secure for it)."""
    return "__Host-arende_session" if settings.secure_cookies else "arende_session"


def csrf_matches(given: str | None, expected: str | None) -> bool:
    """Constant-time comparison of a presented CSRF token with the expected one."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def _unauthorized(message: str = "Inloggning krävs") -> AppError:
    return AppError(401, message, headers={"WWW-Authenticate": "Bearer"})


async def _from_cookie(request: Request) -> Caseworker | bool | None:
    """The caseworker of the session cookie; False when the session timed out."""
    settings: GatewaySettings = request.app.state.settings
    session_id = request.cookies.get(session_cookie_name(settings))
    if not session_id:
        return None
    async with transaction(sessions_of(request)) as session:
        resumed = await resume_session(
            session,
            session_id,
            idle=timedelta(minutes=settings.session_idle_minutes),
            absolute=timedelta(hours=settings.session_absolute_hours),
        )
    if resumed == "expired":
        return False
    return resumed


async def current_caseworker(
    request: Request, token: Annotated[str | None, Depends(bearer)]
) -> Caseworker:
    """The caller of an API operation, by bearer token or by the web UI's session cookie.

    A cookie is sent by the browser on its own, so a state-changing call authenticated by it
    must also carry the session's CSRF token in the X-CSRF-Token header.
    """
    if token:
        async with transaction(sessions_of(request)) as session:
            caseworker = await caseworker_for_token(session, token)
        if caseworker is None:
            raise _unauthorized("Ogiltig eller utgången inloggning")
        return caseworker
    caseworker = await _from_cookie(request)
    if not isinstance(caseworker, Caseworker):
        raise _unauthorized()
    if request.method not in SAFE_METHODS and not csrf_matches(
        request.headers.get(CSRF_HEADER), caseworker.csrf_token
    ):
        raise AppError(403, "CSRF-token saknas eller är fel")
    return caseworker


async def web_caseworker(request: Request) -> Caseworker:
    """The caseworker of a web page; without a valid session the browser is sent to log in."""
    caseworker = await _from_cookie(request)
    if not isinstance(caseworker, Caseworker):
        raise LoginRequired(expired=caseworker is False)
    return caseworker


async def optional_web_caseworker(request: Request) -> Caseworker | None:
    """The caseworker of the session cookie, or None (pages that work signed in or out)."""
    caseworker = await _from_cookie(request)
    return caseworker if isinstance(caseworker, Caseworker) else None


CurrentCaseworker = Annotated[Caseworker, Depends(current_caseworker)]
WebCaseworker = Annotated[Caseworker, Depends(web_caseworker)]
