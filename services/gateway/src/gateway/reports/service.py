"""Taking a report order (F-RE-1, F-RE-2, F-RE-5): check it, count its cases, stage the event.

The gateway asks case-service how many cases the export holds (which also proves that the
orderer may see the case type and gives its name); an export with form data above 5,000 cases
is refused here with the guide's message and the real count, before any job starts. The order
goes to report-service as ReportRequested through the gateway's outbox, in the same transaction,
which also remembers the order so that Rapporter lists it at once (`gateway.reports.orders`).
"""

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, model_validator
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException as StarletteHTTPException

from arende_contracts.events import ReportRequested
from arende_contracts.reports import FORM_DATA_LIMIT, report_name
from arende_platform.logging import correlation_id
from arende_platform.outbox import event_row, stage
from gateway.auth.service import Caseworker
from gateway.case_client import CaseServiceClient
from gateway.errors import AppError
from gateway.models import outbox
from gateway.reports.orders import remember

TIMEZONE = ZoneInfo("Europe/Stockholm")
LIMIT_MESSAGE = (
    "Din sökning genererade {count} träffar vilket överskrider det maximalt tillåtna {limit}. "
    "Vänligen justera datumintervallet för att reducera antalet träffar."
)
DATES_REVERSED = "Från datum måste vara före till datum"
CASE_TYPE_REQUIRED = "Välj en ärendetyp"
CASE_TYPE_NOT_FOUND = "Ärendetypen finns inte"


class ReportOrder(BaseModel):
    """`POST /api/v1/reports` (SPEC §4)."""

    kind: Literal["cases", "statistics"] = "cases"
    case_type: str = Field(min_length=1, max_length=100)
    include_form_data: bool = False
    date_from: date | None = None
    date_to: date | None = None
    name: str = Field(default="", max_length=200)
    archived: bool = False
    period: Literal["day", "month", "year"] | None = None

    @model_validator(mode="after")
    def _dates_in_order(self) -> "ReportOrder":
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError(DATES_REVERSED)
        return self


def day_start(day: date | None) -> datetime | None:
    """Midnight of a day in Swedish time (the dialog's dates are Swedish days)."""
    if day is None:
        return None
    return datetime.combine(day, time(0), TIMEZONE).astimezone(UTC)


def day_end(day: date | None) -> datetime | None:
    """The end of a day (exclusive): "to date" includes the whole day."""
    return day_start(day + timedelta(days=1)) if day is not None else None


async def place_order(
    session: AsyncSession,
    case_service: CaseServiceClient,
    caseworker: Caseworker,
    order: ReportOrder,
    lang: str,
) -> dict[str, Any]:
    """Check and stage the order; the report as the Rapporter list shows it (Beställd)."""
    date_from, date_to = day_start(order.date_from), day_end(order.date_to)
    params: dict[str, Any] = {
        "case_type": order.case_type,
        "archived": "true" if order.archived else "false",
        "date_from": date_from.isoformat() if date_from else None,
        "date_to": date_to.isoformat() if date_to else None,
    }
    try:
        counted = await case_service.call(
            "GET", "/internal/cases/export/count", caseworker.actor, params=params
        )
    except StarletteHTTPException as exc:
        if exc.status_code == 404:
            raise AppError(404, CASE_TYPE_NOT_FOUND) from exc
        raise
    count = int(counted["count"])
    if order.kind == "cases" and order.include_form_data and count > FORM_DATA_LIMIT:
        raise AppError(422, LIMIT_MESSAGE, count=count, limit=FORM_DATA_LIMIT)
    case_type_name = str(counted.get("case_type_name") or order.case_type)
    report_id = uuid.uuid4()
    event = ReportRequested(
        correlation_id=correlation_id.get() or str(report_id),
        producer="gateway",
        data={
            "report_id": report_id,
            "kind": order.kind,
            "ordered_by": caseworker.username,
            "case_type": order.case_type,
            "name": order.name.strip(),
            "include_form_data": order.include_form_data and order.kind == "cases",
            "archived": order.archived and order.kind == "cases",
            "date_from": date_from,
            "date_to": date_to,
            "period": (order.period or "month") if order.kind == "statistics" else None,
            "grants": list(caseworker.actor.grants),
            "superuser": caseworker.actor.superuser,
            "orderer_name": caseworker.name,
            "case_type_name": case_type_name,
            "language": lang,
            "expected_count": count if order.kind == "cases" else None,
        },
    )
    await stage(session, outbox, [event_row(event)])
    data = event.data
    report = {
        "id": str(report_id),
        "kind": data.kind,
        "name": report_name(data.kind, case_type_name, data.name),
        "case_type": data.case_type,
        "include_form_data": data.include_form_data,
        "archived": data.archived,
        "status": "ordered",
        "reason": None,
        "case_count": None,
        "expected_count": data.expected_count,
        "progress": 0,
        "ordered_at": event.occurred_at,
        "finished_at": None,
        "file_size": None,
    }
    await remember(session, report, event.event_id, caseworker.username)
    return report
