"""Statistics read from report-service's own counters and facts (F-RE-4..6).

The overview reads `case_totals` (a few rows per case type, kept by a trigger), never a GROUP BY
over cases. Per period, counts come from `case_counts` (per submission day), so purged cases
keep counting as Gallrad. Handling times (seed 003) come from the facts of cases still held.
"""

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, false, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from arende_contracts.access import Actor
from report_service.models import CaseCount, CaseFact, CaseTotal

Period = Literal["day", "month", "year"]

# The overview's columns (seed 000 section 6) and which statuses each one counts.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("submitted", "Inskickad"),
    ("assigned", "Fördelad"),
    ("in_progress", "Behandlas"),
    ("decided", "Beslutad"),
    ("closed", "Avslutad"),
    ("archived", "Arkiverad"),
    ("purged", "Gallrad"),
)
BUCKET: dict[str, str] = {
    "submitted": "submitted",
    "awaiting_handling": "submitted",
    "assigned": "assigned",
    "in_progress": "in_progress",
    "awaiting_submitter": "in_progress",
    "complemented": "in_progress",
    "decided": "decided",
    "closed": "closed",
    "closed_by_user": "closed",
    "archived": "archived",
    "purged": "purged",
}
UNANSWERED_AFTER = timedelta(days=10)
LOCAL = "Europe/Stockholm"


def in_scope(actor: Actor, organization: Any, case_type: Any) -> ColumnElement[bool] | None:
    """The rows an actor may see (by organization and case type codes); None: all."""
    if actor.superuser:
        return None
    conditions: list[ColumnElement[bool]] = []
    for grant in actor.grants:
        condition = organization == grant.organization
        if grant.case_types is not None:
            condition = and_(condition, case_type.in_(grant.case_types))
        conditions.append(condition)
    return or_(false(), *conditions)


def may_see(actor: Actor, organization: str, case_type: str) -> bool:
    return actor.superuser or any(
        g.organization == organization and (g.case_types is None or case_type in g.case_types)
        for g in actor.grants
    )


def _empty_counts() -> dict[str, int]:
    return {code: 0 for code, _ in COLUMNS}


def _add(counts: dict[str, int], status: str, n: int) -> None:
    bucket = BUCKET.get(status)
    if bucket is not None:
        counts[bucket] += n


def _with_total(counts: dict[str, int]) -> dict[str, Any]:
    return {**counts, "total": sum(counts.values())}


async def overview(
    session: AsyncSession,
    actor: Actor,
    organization: str | None = None,
    business_area: str | None = None,
) -> dict[str, Any]:
    """Per case type × status with totals, and the filters' options (in the actor's scope)."""
    scope = in_scope(actor, CaseTotal.organization, CaseTotal.case_type)
    query = select(
        CaseTotal.case_type,
        CaseTotal.organization,
        CaseTotal.business_area,
        CaseTotal.status,
        CaseTotal.n,
    ).where(CaseTotal.n != 0)
    if scope is not None:
        query = query.where(scope)
    rows = (await session.execute(query)).all()
    per_type: dict[str, dict[str, Any]] = {}
    organizations: set[str] = set()
    areas: set[str] = set()
    totals = _empty_counts()
    for case_type, org, area, status, n in rows:
        organizations.add(org)
        if area:
            areas.add(area)
        if organization and org != organization:
            continue
        if business_area and area != business_area:
            continue
        entry = per_type.setdefault(
            case_type, {"case_type": case_type, "organization": org, "counts": _empty_counts()}
        )
        _add(entry["counts"], status, n)
        _add(totals, status, n)
    return {
        "columns": [code for code, _ in COLUMNS],
        "rows": [
            {
                "case_type": e["case_type"],
                "organization": e["organization"],
                **_with_total(e["counts"]),
            }
            for e in sorted(per_type.values(), key=lambda e: e["case_type"])
        ],
        "totals": _with_total(totals),
        "organizations": sorted(organizations),
        "business_areas": sorted(areas),
    }


def _period_key(day: Any, period: Period) -> str:
    if isinstance(day, datetime):
        day = day.date()
    if period == "year":
        return f"{day.year:04d}"
    if period == "month":
        return f"{day.year:04d}-{day.month:02d}"
    return day.isoformat()


async def per_period(
    session: AsyncSession,
    case_type: str,
    period: Period,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
) -> list[dict[str, Any]]:
    """Counts per status for each day, month or year of submission (newest first)."""
    query = select(CaseCount.day, CaseCount.status, func.sum(CaseCount.n)).where(
        CaseCount.case_type == case_type, CaseCount.n != 0
    )
    if date_from is not None:
        query = query.where(CaseCount.day >= _local_day(date_from))
    if date_to is not None:
        query = query.where(CaseCount.day < _local_day(date_to))
    query = query.group_by(CaseCount.day, CaseCount.status)
    periods: dict[str, dict[str, int]] = {}
    for day, status, n in (await session.execute(query)).all():
        _add(periods.setdefault(_period_key(day, period), _empty_counts()), status, int(n))
    return [{"period": key, **_with_total(periods[key])} for key in sorted(periods, reverse=True)]


def _local_day(moment: datetime) -> Any:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(LOCAL)).date()


HANDLING_MEASURES: tuple[tuple[str, Any, Any], ...] = (
    # name, from, to — averaged over the cases whose `to` falls in the period (seed 003)
    ("received_to_assigned", CaseFact.submitted_at, CaseFact.assigned_at),
    ("assigned_to_started", CaseFact.assigned_at, CaseFact.started_at),
    ("started_to_closed", CaseFact.started_at, CaseFact.closed_at),
    ("received_to_closed", CaseFact.submitted_at, CaseFact.closed_at),
)


def _trunc(period: Period, column: Any) -> Any:
    return func.date_trunc(period, func.timezone(LOCAL, column))


def _range(column: Any, date_from: datetime | None, date_to: datetime | None) -> list[Any]:
    conditions = [column.is_not(None)]
    if date_from is not None:
        conditions.append(column >= date_from)
    if date_to is not None:
        conditions.append(column < date_to)
    return conditions


async def handling_times(
    session: AsyncSession,
    case_type: str,
    period: Period,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """Seed 003's Handläggningstider per period: Inkomna, Avslutade, Obesvarade and the average
    hours Inkom>Förd, Förd>Påbörj, Påbörj>Avsl and Handl tid."""
    now = now or datetime.now(UTC)
    rows: dict[str, dict[str, Any]] = {}

    def row(key: Any) -> dict[str, Any]:
        label = _period_key(key, period)
        return rows.setdefault(
            label,
            {
                "period": label,
                "received": 0,
                "closed": 0,
                "unanswered": 0,
                **{name: None for name, _, _ in HANDLING_MEASURES},
            },
        )

    of_type = CaseFact.case_type == case_type
    for name, column in (("received", CaseFact.submitted_at), ("closed", CaseFact.closed_at)):
        bucket = _trunc(period, column)
        result = await session.execute(
            select(bucket, func.count())
            .where(of_type, *_range(column, date_from, date_to))
            .group_by(bucket)
        )
        for key, n in result.all():
            row(key)[name] = int(n)
    # Obesvarade: a status change in the period, and not closed within 10 days of arrival
    # (still open after 10 days, or closed later than that).
    late = or_(
        and_(CaseFact.closed_at.is_(None), CaseFact.submitted_at < now - UNANSWERED_AFTER),
        CaseFact.closed_at - CaseFact.submitted_at > UNANSWERED_AFTER,
    )
    bucket = _trunc(period, CaseFact.status_changed_at)
    result = await session.execute(
        select(bucket, func.count())
        .where(of_type, late, *_range(CaseFact.status_changed_at, date_from, date_to))
        .group_by(bucket)
    )
    for key, n in result.all():
        row(key)["unanswered"] = int(n)
    for name, start, end in HANDLING_MEASURES:
        bucket = _trunc(period, end)
        hours = func.avg(func.extract("epoch", end - start) / text("3600.0"))
        result = await session.execute(
            select(bucket, hours)
            .where(of_type, start.is_not(None), *_range(end, date_from, date_to))
            .group_by(bucket)
        )
        for key, value in result.all():
            row(key)[name] = round(float(value), 1) if value is not None else None
    return [rows[key] for key in sorted(rows, reverse=True)]


def period_sum(rows: Iterable[dict[str, Any]]) -> int:
    return sum(int(r["total"]) for r in rows)
