"""Settings from the environment (SPEC §5). One class; each service reads the fields it needs."""

from functools import cached_property

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL, make_url


class PlatformSettings(BaseSettings):
    """Environment of every service. Two installations differ only in these values."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    rabbitmq_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    database_url: str = "postgresql://postgres@127.0.0.1:5432/arende"
    log_level: str = "INFO"
    log_format: str = Field(default="json", description="json or text")

    bind_host: str = "127.0.0.1"
    gateway_port: int = 8000
    case_service_port: int = 8101
    notification_service_port: int = 8102
    report_service_port: int = 8103
    retention_service_port: int = 8104
    case_service_url: str | None = None
    notification_service_url: str | None = None
    report_service_url: str | None = None
    retention_service_url: str | None = None
    # Shared secret of the internal HTTP APIs; services refuse internal calls without it.
    internal_api_token: str = Field(default="", repr=False)

    db_pool_size: int = 10
    db_max_overflow: int = 10

    # Messaging (queue arguments, delivery limits and retry delays: arende_platform.topology).
    outbox_batch_size: int = 500
    outbox_poll_seconds: float = 1.0
    # Publish from a process of the service's own (bench/README.md); false runs it in the loop.
    outbox_relay_process: bool = True

    def service_url(self, service: str) -> str:
        """Base URL of another service's internal HTTP API."""
        explicit = getattr(self, f"{service}_url", None)
        if explicit:
            return explicit.rstrip("/")
        port = getattr(self, f"{service}_port")
        return f"http://127.0.0.1:{port}"

    @cached_property
    def server_url(self) -> URL:
        """DATABASE_URL as an asyncpg URL."""
        url = make_url(self.database_url)
        return url.set(drivername="postgresql+asyncpg")

    def database_name(self, service: str) -> str:
        """The database a service owns: `<DATABASE_URL's database>_<service>`."""
        base = self.server_url.database or "arende"
        return f"{base}_{service}"

    def service_database_url(self, service: str) -> URL:
        """asyncpg URL of the database owned by `service`."""
        return self.server_url.set(database=self.database_name(service))
