"""Resident records in a run: expired shares and the resident audit (F-AD-5 under F-RT-3).

Shares of restricted case types and the audit of approvals and shares hold personnummer;
RESIDENT_RECORD_RETENTION_DAYS (default 730, as cases) says how long after a share's last
valid day, and after an audit entry was written, they are kept. Once per run, after the case
batches, retention-service computes the cut-offs from the run's `as_of` and orders
case-service to purge what is due (docs/decisions/0008-retention.md); a dry run only counts.

The rule applied (the days) is stored on the run when the step starts, so a run resumed after a
crash applies the same cut-offs; the counts are added to the run after each of case-service's
batches, so a resumed run keeps what it had counted (a crash between case-service's commit and
that update loses the count of one batch, never a deletion).
"""

import logging
from datetime import date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from retention_service import metrics
from retention_service.client import CaseServiceClient, retried
from retention_service.models import Run

log = logging.getLogger(__name__)


def cutoffs(as_of: datetime, days: int, timezone: str) -> tuple[date, datetime]:
    """(shares whose last valid day is before this date go, audit entries before this go).

    A share is valid through its `until` day in local time; with 0 days every expired share
    goes at the next run, as case types' 0 days mean "at the next run"."""
    today = as_of.astimezone(ZoneInfo(timezone)).date()
    return today - timedelta(days=days), as_of - timedelta(days=days)


class ResidentRecords:
    """The resident-record step of a run (real or dry)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        case_service: CaseServiceClient,
        days: int,
        timezone: str,
        batch_size: int,
    ) -> None:
        self.sessions = sessions
        self.case_service = case_service
        self.days = days
        self.timezone = timezone
        self.batch_size = batch_size

    async def _rule(self, run_id: UUID) -> tuple[date, datetime]:
        """The run's cut-offs; the days are stored on the run the first time."""
        async with self.sessions() as session, session.begin():
            run = (
                await session.execute(select(Run).where(Run.id == run_id).with_for_update())
            ).scalar_one()
            if run.resident_record_days is None:
                run.resident_record_days = self.days
            return cutoffs(run.as_of, run.resident_record_days, self.timezone)

    async def _command(
        self, shares_before: date, audit_before: datetime, dry_run: bool
    ) -> dict[str, int | bool]:
        return await retried(
            lambda: self.case_service.resident_records(
                shares_before, audit_before, dry_run, self.batch_size
            ),
            "resident records command",
        )

    async def _add(self, run_id: UUID, shares: int, entries: int) -> None:
        async with self.sessions() as session, session.begin():
            await session.execute(
                update(Run)
                .where(Run.id == run_id)
                .values(
                    resident_shares_purged=Run.resident_shares_purged + shares,
                    resident_audit_purged=Run.resident_audit_purged + entries,
                )
            )

    async def purge(self, run_id: UUID) -> None:
        """Order the purge batch by batch until case-service has nothing more due."""
        shares_before, audit_before = await self._rule(run_id)
        while True:
            answer = await self._command(shares_before, audit_before, dry_run=False)
            shares, entries = int(answer["shares"]), int(answer["audit_entries"])
            await self._add(run_id, shares, entries)
            metrics.RESIDENT_RECORDS_PURGED.labels("share").inc(shares)
            metrics.RESIDENT_RECORDS_PURGED.labels("audit_entry").inc(entries)
            if not answer["more"]:
                return

    async def count(self, run_id: UUID) -> None:
        """A dry run: what the step would purge now, logged as the run's counts."""
        shares_before, audit_before = await self._rule(run_id)
        answer = await self._command(shares_before, audit_before, dry_run=True)
        await self._add(run_id, int(answer["shares"]), int(answer["audit_entries"]))
