"""retention-service settings: the platform's plus the schedule and batch size."""

from pydantic import Field

from arende_platform.settings import PlatformSettings


class RetentionSettings(PlatformSettings):
    """Environment of retention-service (RETENTION_* variables)."""

    # Local times of day, comma-separated ("02:00" or "02:00,14:30"), in RETENTION_TIMEZONE.
    # An empty value turns the schedule off (runs on demand only).
    retention_schedule: str = "02:00"
    retention_timezone: str = "Europe/Stockholm"
    # Cases per archive or purge command to case-service: one short transaction each, so
    # caseworkers are never blocked for long.
    retention_batch_size: int = Field(default=1000, ge=1, le=5000)
    # Commands in flight at once (each its own batch and transaction in case-service).
    retention_concurrency: int = Field(default=2, ge=1, le=8)
    # Days a resident record is kept: a share after its last valid day, an entry of the
    # resident audit (approvals, shares, expiries) after it was written (F-AD-5; 730 as cases).
    resident_record_retention_days: int = Field(default=730, ge=0, le=36500)
    # The services that must confirm a purge besides case-service (which answers directly).
    retention_confirming_services: str = "report-service,notification-service"
    # One archive or purge command may take this long.
    retention_case_service_timeout: float = Field(default=120.0, gt=0)

    @property
    def confirming_services(self) -> list[str]:
        return [s.strip() for s in self.retention_confirming_services.split(",") if s.strip()]
