"""gateway settings: the platform's plus staff login, sessions and API tokens."""

from pydantic import Field, model_validator

from arende_platform.settings import PlatformSettings


class GatewaySettings(PlatformSettings):
    """Environment of the gateway (SPEC §5)."""

    # The first administrator, created at start only while no staff account exists.
    bootstrap_admin_user: str | None = None
    bootstrap_admin_password: str | None = Field(default=None, repr=False)

    # Web sessions end after this long without a request, and in any case this long after login.
    session_idle_minutes: int = Field(default=30, ge=1)
    session_absolute_hours: int = Field(default=10, ge=1)
    # Mark cookies Secure (sent over HTTPS only) and use the `__Host-` cookie prefix. Off by
    # default so that `make up` works on http://127.0.0.1; every deployment behind TLS sets
    # SECURE_COOKIES=true.
    secure_cookies: bool = False
    # Lifetime of a bearer token from POST /api/v1/token.
    token_hours: int = Field(default=8, ge=1)

    # Calls to case-service give up after this many seconds (answered as 503).
    case_service_timeout: float = Field(default=10.0, gt=0)
    # Rows per page in the web UI's case lists.
    page_size: int = Field(default=25, ge=1, le=200)
    # Largest file a caseworker may attach (the same MAX_ATTACHMENT_BYTES as case-service, which
    # checks it too); the gateway refuses bigger uploads before passing them on.
    max_attachment_bytes: int = Field(default=20 * 1024 * 1024, ge=1)

    # OIDC single sign-on (F-AD-1), on when OIDC_ISSUER is set: the login page offers
    # "Logga in med <OIDC_BUTTON_LABEL>" beside the local login. The provider is found by
    # discovery (<issuer>/.well-known/openid-configuration); the username claim of the ID token
    # names an existing active staff account. See docs/decisions/0007-oidc-single-sign-on.md.
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = Field(default=None, repr=False)
    oidc_scopes: str = "openid profile email"
    oidc_username_claim: str = "preferred_username"
    oidc_button_label: str = "Single sign-on"
    # Create a staff account, with no grants, for an unknown username (an administrator then
    # grants access). Off: unknown users are refused.
    oidc_auto_create: bool = False
    # The callback URL registered at the provider; by default derived from the request, which
    # is wrong behind a proxy that rewrites the host (set it to https://<host>/logga-in/oidc/callback).
    oidc_redirect_uri: str | None = None

    @model_validator(mode="after")
    def _oidc_complete(self) -> "GatewaySettings":
        if self.oidc_issuer and not self.oidc_client_id:
            raise ValueError("OIDC_ISSUER is set but OIDC_CLIENT_ID is not")
        return self

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id)
