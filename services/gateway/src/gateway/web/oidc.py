"""Single sign-on pages (F-AD-1): "Logga in med <label>" starts the flow at the provider, and
the provider sends the browser back to the callback, which starts the same web session as the
login form. Failures land on the login page with a Swedish message, never a 500."""

import logging
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from arende_platform.db import transaction
from gateway.auth.oidc import (
    CANCELLED,
    LoginAttempt,
    OidcClient,
    OidcError,
    check_callback,
    new_attempt,
    staff_for_claims,
)
from gateway.deps import SettingsDep, sessions_of
from gateway.settings import GatewaySettings
from gateway.web.endpoints import (
    delete_cookie,
    login_form,
    redirect,
    safe_next,
    set_cookie,
    signed_in,
)

log = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)

ATTEMPT_COOKIE = "arende_oidc"
CALLBACK = "/logga-in/oidc/callback"


def oidc_client(request: Request, settings: GatewaySettings) -> OidcClient | None:
    """The application's relying party (made once: it caches discovery and keys)."""
    if not settings.oidc_enabled:
        return None
    client: OidcClient | None = getattr(request.app.state, "oidc", None)
    if client is None:
        client = request.app.state.oidc = OidcClient(settings)
    return client


def _redirect_uri(request: Request, settings: GatewaySettings) -> str:
    if settings.oidc_redirect_uri:
        return settings.oidc_redirect_uri
    return str(request.url.replace(path=CALLBACK, query=""))


def _failed(request: Request, settings: GatewaySettings, error: OidcError) -> Response:
    response = login_form(
        request,
        settings,
        next_path=safe_next(None),
        error=error.message,
        error_values=error.values,
        status_code=error.status_code,
    )
    delete_cookie(response, settings, ATTEMPT_COOKIE)
    return response


@router.get("/logga-in/oidc")
async def start_sign_on(
    request: Request,
    settings: SettingsDep,
    next_path: Annotated[str | None, Query(alias="next", max_length=2000)] = None,
) -> Response:
    """Send the browser to the provider with a new state, nonce and PKCE challenge."""
    client = oidc_client(request, settings)
    if client is None:
        return redirect("/logga-in")
    attempt = new_attempt(safe_next(next_path))
    try:
        url = await client.authorization_url(attempt, _redirect_uri(request, settings))
    except OidcError as error:
        return _failed(request, settings, error)
    response = redirect(url)
    # Lax: the provider's redirect back is a top-level GET, which carries the cookie.
    set_cookie(response, settings, ATTEMPT_COOKIE, attempt.encode(), max_age=900)
    return response


@router.get(CALLBACK)
async def finish_sign_on(
    request: Request,
    settings: SettingsDep,
    code: Annotated[str | None, Query(max_length=4096)] = None,
    state: Annotated[str | None, Query(max_length=512)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The provider's answer: check state, exchange the code, verify the ID token, sign in."""
    client = oidc_client(request, settings)
    if client is None:
        return redirect("/logga-in")
    try:
        attempt = check_callback(LoginAttempt.decode(request.cookies.get(ATTEMPT_COOKIE)), state)
        if error or not code:
            log.info("single sign-on cancelled at the provider", extra={"error": error})
            raise OidcError(CANCELLED)
        claims = await client.finish(attempt, code, _redirect_uri(request, settings))
        async with transaction(sessions_of(request)) as session:
            user_id = await staff_for_claims(session, claims, settings)
    except OidcError as failure:
        return _failed(request, settings, failure)
    response = await signed_in(request, settings, user_id, safe_next(attempt.next_path))
    delete_cookie(response, settings, ATTEMPT_COOKIE)
    return response
