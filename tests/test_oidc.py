"""OIDC single sign-on (F-AD-1) against a real OIDC provider started here.

The provider is a small Starlette app served by uvicorn in a thread: discovery, JWKS (RS256),
/authorize (checks the request and redirects back with a code) and /token (checks the client's
secret, the code's PKCE verifier and redirect URI, and answers with a signed ID token). A second
gateway process, configured only by OIDC_* environment variables, joins the `installation`.
Each refusal test makes the provider issue one bad ID token and checks the login page's
Swedish message and that no session was started.
"""

import base64
import hashlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
import pytest_asyncio
import uvicorn
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from arende_platform.testing import TestEnvironment, eventually

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.slow]

CLIENT_ID, CLIENT_SECRET = "handlaggarstod", "klient-hemlighet-123"
SSO_USER = "sigrid"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Provider:
    """An OIDC provider with one signing key; `next_user` and `tamper` shape the next token."""

    port: int = field(default_factory=_free_port)
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, {"kid": "k1"}))
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    next_user: str = SSO_USER
    tamper: dict[str, Any] = field(default_factory=dict)

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def id_token(self, grant: dict[str, Any]) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": f"sub-{grant['user']}",
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": grant["nonce"],
            "preferred_username": grant["user"],
            "name": "Sigrid Single",
        }
        tamper = dict(self.tamper)
        signing_key = self.key
        if tamper.pop("foreign_key", False):  # same kid, another private key
            signing_key = RSAKey.generate_key(2048, {"kid": "k1"})
        claims |= tamper
        return jwt.encode({"alg": "RS256", "kid": "k1"}, claims, signing_key)

    def app(self) -> Starlette:
        async def discovery(request: Request) -> Response:
            return JSONResponse(
                {
                    "issuer": self.issuer,
                    "authorization_endpoint": f"{self.issuer}/authorize",
                    "token_endpoint": f"{self.issuer}/token",
                    "jwks_uri": f"{self.issuer}/jwks",
                    "response_types_supported": ["code"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "token_endpoint_auth_methods_supported": ["client_secret_basic"],
                    "code_challenge_methods_supported": ["S256"],
                }
            )

        async def jwks(request: Request) -> Response:
            return JSONResponse(KeySet([self.key]).as_dict(private=False))

        async def authorize(request: Request) -> Response:
            q = request.query_params
            if (
                q.get("client_id") != CLIENT_ID
                or q.get("response_type") != "code"
                or "openid" not in q.get("scope", "").split()
                or q.get("code_challenge_method") != "S256"
                or not q.get("state")
                or not q.get("nonce")
            ):
                return JSONResponse({"error": "invalid_request"}, 400)
            code = secrets.token_urlsafe(16)
            self.codes[code] = {
                "nonce": q["nonce"],
                "challenge": q["code_challenge"],
                "redirect_uri": q["redirect_uri"],
                "user": self.next_user,
            }
            query = urlencode({"code": code, "state": q["state"]})
            return RedirectResponse(f"{q['redirect_uri']}?{query}", 302)

        async def token(request: Request) -> Response:
            form = await request.form()
            expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            if request.headers.get("authorization") != f"Basic {expected}":
                return JSONResponse({"error": "invalid_client"}, 401)
            grant = self.codes.pop(str(form.get("code")), None)
            verifier = str(form.get("code_verifier", ""))
            challenge = (
                base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
                .rstrip(b"=")
                .decode()
            )
            if (
                grant is None
                or form.get("grant_type") != "authorization_code"
                or challenge != grant["challenge"]
                or form.get("redirect_uri") != grant["redirect_uri"]
            ):
                return JSONResponse({"error": "invalid_grant"}, 400)
            return JSONResponse(
                {"access_token": "at", "token_type": "Bearer", "id_token": self.id_token(grant)}
            )

        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", discovery),
                Route("/jwks", jwks),
                Route("/authorize", authorize),
                Route("/token", token, methods=["POST"]),
            ]
        )


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    provider = Provider()
    config = uvicorn.Config(
        provider.app(),
        host="127.0.0.1",
        port=provider.port,
        log_level="warning",
        lifespan="off",
        ws="none",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "OIDC provider did not start"
        time.sleep(0.02)
    yield provider
    server.should_exit = True
    thread.join(timeout=10)


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def sso_gateway(
    installation: dict[str, Any],
    skeleton_env: TestEnvironment,
    provider: Provider,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[str]:
    """A second gateway process of the installation with single sign-on configured."""
    port = _free_port()
    env = {
        **os.environ,
        **skeleton_env.environ(
            GATEWAY_PORT=str(port),
            CASE_SERVICE_PORT=str(installation["ports"]["case-service"]),
            OIDC_ISSUER=provider.issuer,
            OIDC_CLIENT_ID=CLIENT_ID,
            OIDC_CLIENT_SECRET=CLIENT_SECRET,
            OIDC_BUTTON_LABEL="Kommunens inloggning",
        ),
    }
    log_path = tmp_path_factory.mktemp("sso") / "gateway.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: ASYNC220 - started once, up front
            [str(Path(sys.executable).parent / "gateway")],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(timeout=5) as client:

            async def ready() -> bool:
                if process.poll() is not None:
                    raise AssertionError(f"gateway exited:\n{log_path.read_text()[-3000:]}")
                try:
                    return (await client.get(f"{base}/readyz")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(ready, timeout=60, interval=0.2)
            admin, password = installation["admin"]
            token = await client.post(
                f"{base}/api/v1/token", data={"username": admin, "password": password}
            )
            response = await client.post(
                f"{base}/api/v1/admin/users",
                headers={"authorization": f"Bearer {token.json()['access_token']}"},
                json={
                    "username": SSO_USER,
                    "name": "Sigrid Single",
                    "password": "Sigrid-losenord-2026",
                    "grants": [],
                },
            )
            assert response.status_code in (201, 409), response.text
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


async def _sign_on(
    client: httpx.AsyncClient,
    provider: Provider,
    tamper: dict[str, Any] | None = None,
    user: str = SSO_USER,
) -> httpx.Response:
    """Follow the flow as a browser does: gateway, provider, callback; the callback's answer."""
    provider.tamper, provider.next_user = tamper or {}, user
    base = str(client.base_url).rstrip("/")
    start = await client.get("/logga-in/oidc", params={"next": "/arenden/mina"})
    assert start.status_code == 303, start.text
    at_provider = await client.get(start.headers["location"])
    assert at_provider.status_code == 302, at_provider.text
    callback = at_provider.headers["location"]
    assert callback.startswith(f"{base}/logga-in/oidc/callback?")
    return await client.get(callback)


async def test_login_page_offers_single_sign_on_and_it_signs_in(
    sso_gateway: str, provider: Provider
) -> None:
    async with httpx.AsyncClient(base_url=sso_gateway) as client:
        page = await client.get("/logga-in")
    assert "Logga in med Kommunens inloggning" in page.text
    assert ">Logga in</button>" in page.text  # the local login stays

    async with httpx.AsyncClient(base_url=sso_gateway, timeout=10) as client:
        answer = await _sign_on(client, provider)
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"] == "/arenden/mina"
        assert "arende_oidc" not in client.cookies  # the attempt is used up
        start = await client.get("/arenden/mina")
        assert start.status_code == 200
        assert "Mina ärenden" in start.text
        me = (await client.get("/api/v1/me")).json()
        assert me["username"] == SSO_USER


async def test_local_login_keeps_working_beside_single_sign_on(sso_gateway: str) -> None:
    async with httpx.AsyncClient(base_url=sso_gateway) as client:
        token = await client.post(
            "/api/v1/token", data={"username": SSO_USER, "password": "Sigrid-losenord-2026"}
        )
    assert token.status_code == 200


@pytest.mark.parametrize(
    ("tamper", "message", "status"),
    [
        ({"foreign_key": True}, "kunde inte verifieras", 401),
        ({"aud": "en-annan-klient"}, "kunde inte verifieras", 401),
        ({"nonce": "fel-nonce"}, "kunde inte verifieras", 401),
        ({"iss": "https://falsk.example"}, "kunde inte verifieras", 401),
        ({"exp": int(time.time()) - 3600}, "Inloggningen har gått ut", 401),
    ],
    ids=["tampered-signature", "wrong-audience", "wrong-nonce", "wrong-issuer", "expired"],
)
async def test_bad_id_tokens_are_refused_on_the_login_page(
    sso_gateway: str, provider: Provider, tamper: dict[str, Any], message: str, status: int
) -> None:
    async with httpx.AsyncClient(base_url=sso_gateway, timeout=10) as client:
        answer = await _sign_on(client, provider, tamper)
        assert answer.status_code == status, answer.text
        assert message in answer.text
        assert 'role="alert"' in answer.text
        assert (await client.get("/arenden/mina")).status_code == 303  # still signed out


async def test_unknown_user_is_refused_by_name(sso_gateway: str, provider: Provider) -> None:
    async with httpx.AsyncClient(base_url=sso_gateway, timeout=10) as client:
        answer = await _sign_on(client, provider, user="okand.person")
        assert answer.status_code == 403
        assert "Det finns inget aktivt konto för okand.person i Handläggarstöd" in answer.text
        assert (await client.get("/arenden/mina")).status_code == 303


async def test_forged_state_and_missing_attempt_are_refused(sso_gateway: str) -> None:
    client = httpx.AsyncClient(base_url=sso_gateway, timeout=10)
    async with client:
        start = await client.get("/logga-in/oidc")
        at_provider = await client.get(start.headers["location"])
        callback = urlsplit(at_provider.headers["location"])
        code = parse_qs(callback.query)["code"][0]
        forged = await client.get(
            "/logga-in/oidc/callback", params={"code": code, "state": "angriparens-state"}
        )
        assert forged.status_code == 400
        assert "kunde inte kopplas till en påbörjad inloggning" in forged.text
    async with httpx.AsyncClient(base_url=sso_gateway) as stranger:  # no attempt cookie
        answer = await stranger.get("/logga-in/oidc/callback", params={"code": "x", "state": "y"})
        assert answer.status_code == 400
        assert "kunde inte kopplas" in answer.text
        denied = await stranger.get("/logga-in/oidc/callback", params={"error": "access_denied"})
        assert denied.status_code == 400


async def test_browser_signs_in_with_the_button(sso_gateway: str, provider: Provider) -> None:
    from playwright.async_api import async_playwright, expect

    provider.tamper, provider.next_user = {}, SSO_USER
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(locale="sv-SE")
            await page.goto(f"{sso_gateway}/")
            await page.get_by_role("link", name="Logga in med Kommunens inloggning").click()
            await expect(page.get_by_role("heading", name="Mina ärenden")).to_be_visible()
        finally:
            await browser.close()
