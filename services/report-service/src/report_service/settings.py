"""report-service settings: the platform's plus report retention and the job worker's timing."""

from pydantic import Field

from arende_platform.settings import PlatformSettings


class ReportServiceSettings(PlatformSettings):
    """Environment of report-service."""

    # Finished reports hold personal data: deleted this many days after they were finished
    # (F-RT-3). REPORT_RETENTION_DAYS.
    report_retention_days: int = Field(default=30, ge=0)
    # How often the worker looks for ordered reports and expired ones (the order itself wakes it).
    report_poll_seconds: float = Field(default=2.0, gt=0)
    # A report whose worker has not written a heartbeat for this long is taken up again; after
    # `report_max_attempts` starts it ends as Misslyckad instead of staying Beställd.
    report_stuck_seconds: float = Field(default=120.0, gt=0)
    report_max_attempts: int = Field(default=3, ge=1)
    # Cases fetched from case-service per page, and the timeout of one page.
    report_page_size: int = Field(default=1000, ge=1, le=2000)
    case_service_timeout: float = Field(default=60.0, gt=0)
    # Exports with form data hold at most this many cases (F-RE-2); the gateway checks it when
    # the order is taken, the worker again in case more cases arrived meanwhile.
    report_form_data_limit: int = Field(default=5000, ge=1)
