"""Retention of resident records (F-AD-5 under F-RT-3): expired shares and the resident audit.

Shares and audit entries hold a personnummer. retention-service decides the cut-offs (its
RESIDENT_RECORD_RETENTION_DAYS) and orders a purge once per run; case-service acts here:

- a share whose last valid day (`until`) is before `shares_until_before` is deleted (a share
  until further notice never expires; a removed share is deleted at once by Ta bort);
- an audit entry written before `audit_before` is deleted, whatever the share or approval it is
  about (the approval or share itself stays while it is valid: it shows who and when);
- approvals have no expiry: they stay while valid, and removing one deletes it at once, so no
  rule is needed for them; their audit entries go by the audit rule.

A real command first audits the expiries not yet audited (`record_expiries`), so every expiry
is in the audit before its share goes. It deletes at most `limit` rows of each table in one
short transaction and says whether more are due, so retention-service repeats it until none
are; a repeated command finds nothing more to delete. A dry run only counts.
"""

from datetime import date, datetime

from sqlalchemy import Select, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from case_service.models import ResidentAudit, ResidentShare
from case_service.residents.service import record_expiries
from case_service.retention.schemas import ResidentRecordsIn, ResidentRecordsOut


def _shares_due(before: date) -> Select[tuple[int]]:
    return select(ResidentShare.id).where(ResidentShare.until < before)


def _audit_due(before: datetime) -> Select[tuple[int]]:
    return select(ResidentAudit.id).where(ResidentAudit.at < before)


async def _count(session: AsyncSession, due: Select[tuple[int]]) -> int:
    return int(await session.scalar(select(func.count()).select_from(due.subquery())) or 0)


async def purge_resident_records(
    session: AsyncSession, body: ResidentRecordsIn
) -> ResidentRecordsOut:
    """Delete (or, dry, count) the expired shares and old audit entries due at the cut-offs."""
    if body.dry_run:
        return ResidentRecordsOut(
            shares=await _count(session, _shares_due(body.shares_until_before)),
            audit_entries=await _count(session, _audit_due(body.audit_before)),
            more=False,
        )
    expiries = await record_expiries(session)
    shares = list(
        await session.scalars(
            delete(ResidentShare)
            .where(
                ResidentShare.id.in_(
                    _shares_due(body.shares_until_before)
                    .order_by(ResidentShare.id)
                    .limit(body.limit)
                ),
                # Re-checked on the row itself: a share given a new last day meanwhile stays.
                ResidentShare.until < body.shares_until_before,
            )
            .returning(ResidentShare.id)
        )
    )
    entries = list(
        await session.scalars(
            delete(ResidentAudit)
            .where(
                ResidentAudit.id.in_(
                    _audit_due(body.audit_before).order_by(ResidentAudit.id).limit(body.limit)
                )
            )
            .returning(ResidentAudit.id)
        )
    )
    return ResidentRecordsOut(
        shares=len(shares),
        audit_entries=len(entries),
        expiries_recorded=expiries,
        more=len(shares) == body.limit or len(entries) == body.limit,
    )
