"""case-service settings: the platform's plus intake limits and case list totals."""

from typing import Literal

from arende_platform.settings import PlatformSettings


class CaseServiceSettings(PlatformSettings):
    """Environment of case-service."""

    max_attachments: int = 10
    max_attachment_bytes: int = 20 * 1024 * 1024
    # Where attachment bytes go (attachments/storage.py); "postgresql" is the one store today.
    attachment_store: Literal["postgresql"] = "postgresql"
    intake_batch_size: int = 200
    intake_batch_wait: float = 0.01
    intake_concurrency: int = 1
    # The case list waits this long for an exact `total`, then answers PostgreSQL's estimate;
    # a count that cost more than 20 ms is reused this many seconds (cases/listing.py).
    list_count_wait_seconds: float = 0.025
    list_count_cache_seconds: float = 30.0
