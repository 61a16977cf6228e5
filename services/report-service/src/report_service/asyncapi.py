"""report-service's messages for the AsyncAPI document."""

from typing import Any

from arende_contracts.events import CaseSubmitted
from arende_platform.asyncapi import Receives
from arende_platform.asyncapi import document as _document
from arende_platform.topology import REPORT_CASE_EVENTS

SERVICE = "report-service"


def document() -> dict[str, Any]:
    return _document(
        SERVICE,
        "Statistics and Excel reports, fed by case events (never by case-service's tables).",
        [
            Receives(
                REPORT_CASE_EVENTS, CaseSubmitted, "Case events (case.*.v1) kept as case facts."
            )
        ],
    )
