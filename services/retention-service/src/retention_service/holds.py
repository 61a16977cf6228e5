"""Legal holds (rättsligt kvarhållande): a held case is never purged while the hold lasts."""

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from retention_service.models import LegalHold
from retention_service.runs import HOLD_LOCK


def hold_out(hold: Any) -> dict[str, Any]:
    return {
        "case_id": hold.case_id,
        "reason": hold.reason,
        "placed_by": hold.placed_by,
        "placed_at": hold.placed_at,
        "until": hold.until,
    }


async def place(
    session: AsyncSession, case_id: int, reason: str, placed_by: str, until: datetime | None
) -> dict[str, Any]:
    """Place (or replace) the hold; waits for a purge batch in flight, which then is done."""
    await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": HOLD_LOCK})
    values = {"case_id": case_id, "reason": reason, "placed_by": placed_by, "until": until}
    stmt = insert(LegalHold).values(**values)
    row = (
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=[LegalHold.case_id],
                set_={**values, "placed_at": text("now()")},
            ).returning(LegalHold)
        )
    ).scalar_one()
    return hold_out(row)


async def find(session: AsyncSession, case_id: int) -> dict[str, Any] | None:
    hold = await session.get(LegalHold, case_id)
    return hold_out(hold) if hold else None


async def release(session: AsyncSession, case_id: int) -> bool:
    result = await session.execute(delete(LegalHold).where(LegalHold.case_id == case_id))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def list_holds(session: AsyncSession) -> list[dict[str, Any]]:
    rows = await session.execute(select(LegalHold).order_by(LegalHold.placed_at.desc()))
    return [hold_out(h) for h in rows.scalars()]
