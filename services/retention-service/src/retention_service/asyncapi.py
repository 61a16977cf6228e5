"""retention-service's messages for the AsyncAPI document."""

from typing import Any

from arende_contracts.events import CasePurgeConfirmed
from arende_platform.asyncapi import Receives
from arende_platform.asyncapi import document as _document
from arende_platform.topology import RETENTION_PURGE_CONFIRMATIONS

SERVICE = "retention-service"


def document() -> dict[str, Any]:
    return _document(
        SERVICE,
        "Nightly and on-demand archiving and purging (gallring); case-service acts on its "
        "commands over HTTP (docs/decisions/0008-retention.md).",
        [
            Receives(
                RETENTION_PURGE_CONFIRMATIONS,
                CasePurgeConfirmed,
                "A service has deleted what it held about a purged case; recorded per case and "
                "service and shown in the run log. Idempotent by message id.",
            ),
        ],
    )
