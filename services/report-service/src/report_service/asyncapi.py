"""report-service's messages for the AsyncAPI document."""

from typing import Any

from arende_contracts.events import (
    EXCHANGE_INTERNAL,
    CasePurgeConfirmed,
    CaseSubmitted,
    ReportRequested,
)
from arende_platform.asyncapi import Receives, Sends
from arende_platform.asyncapi import document as _document
from arende_platform.topology import REPORT_CASE_EVENTS, REPORT_REQUESTS

SERVICE = "report-service"


def document() -> dict[str, Any]:
    return _document(
        SERVICE,
        "Statistics and Excel reports, fed by case events (never by case-service's tables).",
        [
            Receives(
                REPORT_CASE_EVENTS,
                CaseSubmitted,
                "Case events (case.*.v1) kept as case facts and counters per case type, status "
                "and day. CaseArchived counts as Arkiverad; CasePurged folds the case into the "
                "counters as Gallrad and deletes its fact row.",
            ),
            Receives(
                REPORT_REQUESTS,
                ReportRequested,
                "An Excel report ordered in the gateway (Exportera till Excel): recorded as "
                "Beställd, built by the worker, Klar or Misslyckad. Idempotent by report_id.",
            ),
            Sends(
                EXCHANGE_INTERNAL,
                CasePurgeConfirmed.routing_key,
                CasePurgeConfirmed,
                "report-service has deleted what it held about a purged case (service = "
                '"report-service"); its counts remain.',
            ),
        ],
    )
