"""case-service settings: the platform's plus intake limits."""

from arende_platform.settings import PlatformSettings


class CaseServiceSettings(PlatformSettings):
    """Environment of case-service."""

    max_attachments: int = 10
    max_attachment_bytes: int = 20 * 1024 * 1024
    intake_batch_size: int = 200
    intake_batch_wait: float = 0.01
    intake_concurrency: int = 2
