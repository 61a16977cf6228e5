"""notification-service settings: the platform's plus SMTP and the SMS gateway (SPEC §5)."""

from pydantic import Field

from arende_platform.settings import PlatformSettings


class NotificationSettings(PlatformSettings):
    """Environment of notification-service. Secrets are kept out of repr (and so out of logs)."""

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = Field(default="", repr=False)
    # SMTP_TLS: implicit TLS from the first byte (usually port 465). SMTP_STARTTLS: true demands
    # STARTTLS, false never sends it, unset uses it when the server offers it.
    smtp_tls: bool = False
    smtp_starttls: bool | None = None
    smtp_from: str = "Handläggarstöd <noreply@localhost>"
    smtp_timeout_seconds: float = 10.0
    # Open SMTP connections kept for sending (each sends one message at a time).
    smtp_connections: int = 8

    # The default provider speaks the 46elks HTTP API (form-encoded from/to/message, basic auth).
    sms_gateway_url: str = "https://api.46elks.com/a1/sms"
    sms_user: str = ""
    sms_password: str = Field(default="", repr=False)
    # 46elks: an alphanumeric sender of at most 11 characters, or a number in E.164.
    sms_from: str = "Kommunen"
    sms_timeout_seconds: float = 10.0

    # Messages taken per batch; their sends run concurrently over the SMTP connections.
    notification_batch_size: int = 50
    # How long a batch waits for more messages before it starts (requests burst per update).
    notification_batch_wait: float = 0.02
    # Batches of requests in flight at once: one sends while another waits for its commits.
    notification_concurrency: int = 2
