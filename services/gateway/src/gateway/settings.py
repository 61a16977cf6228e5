"""gateway settings: the platform's plus staff login, sessions and API tokens."""

from pydantic import Field

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
