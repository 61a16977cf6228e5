"""OIDC single sign-on for staff (F-AD-1): the relying party's half of the authorization code
flow with PKCE, state and nonce.

The browser carries the login attempt (state, nonce, PKCE verifier, where to return) in a
short-lived HttpOnly cookie, not the database: the callback compares the `state` the provider
returns with the cookie's, as the login form's double-submit token does. The ID token's RS256
signature is checked against the provider's JWKS (refetched once when a new key id appears),
then iss, aud, exp, iat and nonce. Every failure is an `OidcError` carrying a Swedish text for
the login page; nothing here raises into a 500.
"""

import asyncio
import base64
import hashlib
import json
import logging
import secrets
import time
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from joserfc import jwt
from joserfc.errors import ExpiredTokenError, JoseError
from joserfc.jwk import KeySet
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.auth.service import find_user, normalize_username
from gateway.models import StaffUser
from gateway.settings import GatewaySettings

log = logging.getLogger(__name__)

# A login that takes longer than this at the provider is started again.
ATTEMPT_SECONDS = 600
# Discovery and JWKS are cached this long (a new key id triggers a refetch before then).
METADATA_SECONDS = 3600
# The password hash of an account made by single sign-on: no password matches it (argon2
# refuses it as an invalid hash) until an administrator sets one.
NO_PASSWORD = "!oidc"  # noqa: S105 - a marker, not a password
# Clock skew accepted between the provider and the gateway.
LEEWAY_SECONDS = 60
ALGORITHMS = ["RS256"]

BAD_STATE = "Inloggningen kunde inte kopplas till en påbörjad inloggning. Försök igen."
EXPIRED = "Inloggningen har gått ut. Försök igen."
CANCELLED = "Inloggningen avbröts hos inloggningstjänsten."
UNAVAILABLE = "Inloggningstjänsten svarar inte. Försök igen senare eller logga in med lösenord."
UNVERIFIED = "Svaret från inloggningstjänsten kunde inte verifieras. Försök igen."
UNKNOWN_USER = (
    "Det finns inget aktivt konto för {username} i Handläggarstöd. Kontakta din administratör."
)
NO_USERNAME = "Inloggningstjänsten skickade inget användarnamn. Kontakta din administratör."


class OidcError(Exception):
    """A failed single sign-on; `message` is the Swedish text shown on the login page."""

    def __init__(self, message: str, status_code: int = 400, **values: Any) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.values = values


@dataclass(frozen=True)
class ProviderMetadata:
    """What discovery says about the provider (only the fields the flow uses)."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    token_auth_methods: tuple[str, ...]


@dataclass(frozen=True)
class LoginAttempt:
    """One started login, kept in the browser's cookie until the provider sends it back."""

    state: str
    nonce: str
    verifier: str
    next_path: str
    started: int

    def encode(self) -> str:
        return base64.urlsafe_b64encode(json.dumps(asdict(self)).encode()).decode()

    @classmethod
    def decode(cls, value: str | None) -> "LoginAttempt | None":
        if not value:
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(value.encode()))
            return cls(
                state=str(data["state"]),
                nonce=str(data["nonce"]),
                verifier=str(data["verifier"]),
                next_path=str(data["next_path"]),
                started=int(data["started"]),
            )
        except (ValueError, KeyError, TypeError):
            return None


def pkce_challenge(verifier: str) -> str:
    """S256 code challenge of a PKCE verifier (RFC 7636)."""
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def new_attempt(next_path: str) -> LoginAttempt:
    return LoginAttempt(
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        verifier=secrets.token_urlsafe(48),
        next_path=next_path,
        started=int(time.time()),
    )


def check_callback(attempt: LoginAttempt | None, state: str | None) -> LoginAttempt:
    """The attempt the provider's redirect belongs to; refuses forged, replayed or old ones."""
    if attempt is None or not state:
        raise OidcError(BAD_STATE)
    if not secrets.compare_digest(attempt.state.encode(), state.encode()):
        raise OidcError(BAD_STATE)
    if time.time() - attempt.started > ATTEMPT_SECONDS:
        raise OidcError(EXPIRED)
    return attempt


class OidcClient:
    """The gateway as an OIDC relying party of one provider; caches discovery and keys."""

    def __init__(self, settings: GatewaySettings, timeout: float = 10.0) -> None:
        assert settings.oidc_issuer and settings.oidc_client_id
        self.issuer = settings.oidc_issuer.rstrip("/")
        self.client_id = settings.oidc_client_id
        self.client_secret = settings.oidc_client_secret
        scopes = settings.oidc_scopes.split()
        self.scopes = scopes if "openid" in scopes else ["openid", *scopes]
        self.timeout = timeout
        self._metadata: tuple[float, ProviderMetadata] | None = None
        self._keys: tuple[float, KeySet] | None = None
        self._lock = asyncio.Lock()

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as http:
                response = await http.get(url, headers={"accept": "application/json"})
            response.raise_for_status()
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("OIDC provider request failed", extra={"url": url, "error": repr(exc)})
            raise OidcError(UNAVAILABLE, 502) from exc
        if not isinstance(body, dict):
            raise OidcError(UNAVAILABLE, 502)
        return body

    async def metadata(self) -> ProviderMetadata:
        """The provider's endpoints by discovery; its issuer must be the configured one."""
        async with self._lock:
            if self._metadata and time.monotonic() - self._metadata[0] < METADATA_SECONDS:
                return self._metadata[1]
            body = await self._get_json(f"{self.issuer}/.well-known/openid-configuration")
            try:
                metadata = ProviderMetadata(
                    issuer=str(body["issuer"]),
                    authorization_endpoint=str(body["authorization_endpoint"]),
                    token_endpoint=str(body["token_endpoint"]),
                    jwks_uri=str(body["jwks_uri"]),
                    token_auth_methods=tuple(
                        body.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
                    ),
                )
            except KeyError as exc:
                log.warning("OIDC discovery document lacks %s", exc)
                raise OidcError(UNAVAILABLE, 502) from exc
            if metadata.issuer.rstrip("/") != self.issuer:
                # OIDC Discovery §4.3: a document naming another issuer must not be used.
                log.warning(
                    "OIDC discovery names issuer %s, not the configured one", body["issuer"]
                )
                raise OidcError(UNAVAILABLE, 502)
            self._metadata = (time.monotonic(), metadata)
            return metadata

    async def _keyset(self, jwks_uri: str, kid: str | None) -> KeySet:
        """The provider's signing keys; fetched again when `kid` is new (key rotation)."""
        async with self._lock:
            cached = self._keys
            fresh = cached and time.monotonic() - cached[0] < METADATA_SECONDS
            if cached and fresh and (kid is None or any(k.kid == kid for k in cached[1].keys)):
                return cached[1]
            if cached and fresh and time.monotonic() - cached[0] < 10:
                return cached[1]  # just fetched: an unknown kid stays unknown, do not hammer
            body = await self._get_json(jwks_uri)
            try:
                keys = KeySet.import_key_set(body)  # type: ignore[arg-type]
            except (JoseError, ValueError, TypeError, KeyError) as exc:
                log.warning("OIDC JWKS could not be read", extra={"error": repr(exc)})
                raise OidcError(UNAVAILABLE, 502) from exc
            self._keys = (time.monotonic(), keys)
            return keys

    async def authorization_url(self, attempt: LoginAttempt, redirect_uri: str) -> str:
        """Where to send the browser to sign in at the provider."""
        metadata = await self.metadata()
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": redirect_uri,
                "scope": " ".join(self.scopes),
                "state": attempt.state,
                "nonce": attempt.nonce,
                "code_challenge": pkce_challenge(attempt.verifier),
                "code_challenge_method": "S256",
            }
        )
        separator = "&" if "?" in metadata.authorization_endpoint else "?"
        return f"{metadata.authorization_endpoint}{separator}{query}"

    async def _exchange(
        self, metadata: ProviderMetadata, code: str, redirect_uri: str, verifier: str
    ) -> str:
        """The ID token for an authorization code (the token endpoint, client authenticated)."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        }
        auth: httpx.BasicAuth | None = None
        if not self.client_secret:
            form["client_id"] = self.client_id  # a public client: PKCE is its proof
        elif "client_secret_basic" in metadata.token_auth_methods:
            auth = httpx.BasicAuth(self.client_id, self.client_secret)
        else:
            form |= {"client_id": self.client_id, "client_secret": self.client_secret}
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as http:
                response = await http.post(
                    metadata.token_endpoint,
                    data=form,
                    auth=auth,
                    headers={"accept": "application/json"},
                )
        except httpx.HTTPError as exc:
            log.warning("OIDC token endpoint unreachable", extra={"error": repr(exc)})
            raise OidcError(UNAVAILABLE, 502) from exc
        if response.status_code != 200:
            # invalid_grant: the code was used, expired or does not match the verifier.
            log.info(
                "OIDC token endpoint refused the code",
                extra={"status": response.status_code, "body": response.text[:200]},
            )
            raise OidcError(EXPIRED if response.status_code == 400 else UNAVAILABLE, 400)
        try:
            id_token = response.json()["id_token"]
        except (ValueError, KeyError, TypeError) as exc:
            raise OidcError(UNVERIFIED, 401) from exc
        if not isinstance(id_token, str):
            raise OidcError(UNVERIFIED, 401)
        return id_token

    async def finish(self, attempt: LoginAttempt, code: str, redirect_uri: str) -> dict[str, Any]:
        """The verified claims of the ID token the provider issues for `code`."""
        metadata = await self.metadata()
        id_token = await self._exchange(metadata, code, redirect_uri, attempt.verifier)
        return await self.verify(id_token, metadata, attempt.nonce)

    async def verify(self, id_token: str, metadata: ProviderMetadata, nonce: str) -> dict[str, Any]:
        """Signature (RS256, provider's JWKS) and claims of an ID token (OIDC Core §3.1.3.7)."""
        try:
            header = json.loads(base64.urlsafe_b64decode(id_token.split(".")[0] + "=="))
            kid = header.get("kid") if isinstance(header, dict) else None
        except (ValueError, IndexError) as exc:
            raise OidcError(UNVERIFIED, 401) from exc
        keys = await self._keyset(metadata.jwks_uri, kid if isinstance(kid, str) else None)
        registry = jwt.JWTClaimsRegistry(
            leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": metadata.issuer},
            aud={"essential": True, "value": self.client_id},
            exp={"essential": True},
            iat={"essential": True},
            sub={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        try:
            token = jwt.decode(id_token, keys, algorithms=ALGORITHMS)
            registry.validate(token.claims)
        except ExpiredTokenError as exc:
            raise OidcError(EXPIRED, 401) from exc
        except (JoseError, ValueError, TypeError) as exc:
            log.warning("OIDC ID token refused", extra={"error": repr(exc)})
            raise OidcError(UNVERIFIED, 401) from exc
        claims = dict(token.claims)
        audience = claims["aud"]
        if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != self.client_id:
            raise OidcError(UNVERIFIED, 401)
        return claims


async def staff_for_claims(
    session: AsyncSession, claims: dict[str, Any], settings: GatewaySettings
) -> int:
    """The id of the active staff account the verified claims name by OIDC_USERNAME_CLAIM.

    An unknown username is refused unless OIDC_AUTO_CREATE is on; then an account without
    grants is made (it sees no cases until an administrator grants access).
    """
    raw = claims.get(settings.oidc_username_claim)
    if not isinstance(raw, str) or not normalize_username(raw):
        raise OidcError(NO_USERNAME, 403)
    username = normalize_username(raw)[:200]
    user = await find_user(session, username)
    if user is None and settings.oidc_auto_create:
        name = claims.get("name")
        email = claims.get("email")
        # ON CONFLICT: two first sign-ins of the same person at once make one account.
        await session.execute(
            insert(StaffUser)
            .values(
                username=username,
                name=name.strip()[:200] if isinstance(name, str) and name.strip() else username,
                email=email[:200] if isinstance(email, str) and email else None,
                password_hash=NO_PASSWORD,
            )
            .on_conflict_do_nothing(index_elements=["username"])
        )
        user = await find_user(session, username)
        log.info("staff account created by single sign-on", extra={"username": username})
    if user is None or not user.active:
        log.info("single sign-on for unknown or inactive user", extra={"username": username})
        raise OidcError(UNKNOWN_USER, 403, username=username)
    return user.id
