"""Single sign-on's account rules (F-AD-1): which staff account verified claims name, and the
login attempt's checks. The whole flow against a real provider is in tests/test_oidc.py."""

import time
from dataclasses import replace
from typing import Any

import pytest
from fastapi import FastAPI

from arende_platform.db import transaction
from gateway.auth.oidc import (
    BAD_STATE,
    EXPIRED,
    NO_USERNAME,
    UNKNOWN_USER,
    LoginAttempt,
    OidcError,
    check_callback,
    new_attempt,
    pkce_challenge,
    staff_for_claims,
)
from gateway.auth.service import check_password
from gateway.settings import GatewaySettings

on_session_loop = pytest.mark.asyncio(loop_scope="session")


def _settings(**extra: Any) -> GatewaySettings:
    return GatewaySettings(
        oidc_issuer="https://idp.example", oidc_client_id="handlaggarstod", **extra
    )


async def _account(app: FastAPI, claims: dict[str, Any], settings: GatewaySettings) -> int:
    async with transaction(app.state.runtime.sessions) as session:
        return await staff_for_claims(session, claims, settings)


@on_session_loop
async def test_claims_name_an_existing_active_account(gw: Any, gateway_app: FastAPI) -> None:
    staff = await gw.staff([], login=False)
    user_id = await _account(
        gateway_app, {"preferred_username": staff.username.upper()}, _settings()
    )
    email_claim = _settings(oidc_username_claim="upn")
    assert await _account(gateway_app, {"upn": f" {staff.username} "}, email_claim) == user_id

    await gw.admin("PATCH", f"/api/v1/admin/users/{staff.username}", json={"active": False})
    with pytest.raises(OidcError) as refused:
        await _account(gateway_app, {"preferred_username": staff.username}, _settings())
    assert refused.value.message == UNKNOWN_USER
    assert refused.value.values == {"username": staff.username}


@on_session_loop
async def test_unknown_users_are_refused_unless_auto_create(gw: Any, gateway_app: FastAPI) -> None:
    claims = {"preferred_username": "ny.person", "name": "Nils Ny", "email": "nils@example.se"}
    with pytest.raises(OidcError) as refused:
        await _account(gateway_app, claims, _settings())
    assert (refused.value.message, refused.value.status_code) == (UNKNOWN_USER, 403)
    with pytest.raises(OidcError) as nameless:
        await _account(gateway_app, {"sub": "x"}, _settings())
    assert nameless.value.message == NO_USERNAME

    created = await _account(gateway_app, claims, _settings(oidc_auto_create=True))
    assert await _account(gateway_app, claims, _settings(oidc_auto_create=True)) == created
    user = (await gw.admin("GET", "/api/v1/admin/users/ny.person")).json()
    assert (user["name"], user["grants"]) == ("Nils Ny", [])
    # No password opens the account that single sign-on made.
    passwords = gateway_app.state.passwords
    sessions = gateway_app.state.runtime.sessions
    assert await check_password(sessions, passwords, "ny.person", "!oidc") is None


def test_the_callback_must_carry_the_attempts_state_in_time() -> None:
    attempt = new_attempt("/arenden/alla")
    decoded = LoginAttempt.decode(attempt.encode())
    assert decoded == attempt
    assert check_callback(decoded, attempt.state) == attempt
    for cookie, state in [(None, attempt.state), ("inte-base64!", attempt.state), (None, None)]:
        with pytest.raises(OidcError) as refused:
            check_callback(LoginAttempt.decode(cookie), state)
        assert refused.value.message == BAD_STATE
    with pytest.raises(OidcError) as forged:
        check_callback(attempt, "en-annan-state")
    assert forged.value.message == BAD_STATE
    old = replace(attempt, started=int(time.time()) - 3600)
    with pytest.raises(OidcError) as expired:
        check_callback(old, attempt.state)
    assert expired.value.message == EXPIRED


def test_pkce_challenge_is_rfc7636_s256() -> None:
    # RFC 7636, appendix B.
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert pkce_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_single_sign_on_needs_a_client_id() -> None:
    with pytest.raises(ValueError, match="OIDC_CLIENT_ID"):
        GatewaySettings(oidc_issuer="https://idp.example")
    assert not GatewaySettings().oidc_enabled
