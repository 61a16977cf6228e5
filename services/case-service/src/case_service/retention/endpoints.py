"""Internal retention API: retention-service asks what is due and commands archive and purge.

Only the internal token guards it (no actor): it is a system operation, and the gateway's
administrators reach it only through retention-service.
"""

from fastapi import APIRouter, HTTPException

from case_service.deps import SessionDep
from case_service.retention import service
from case_service.retention.residents import purge_resident_records
from case_service.retention.schemas import (
    ArchiveOut,
    CommandIn,
    DueIn,
    DueOut,
    PurgeOut,
    ResidentRecordsIn,
    ResidentRecordsOut,
    RetentionRule,
)

router = APIRouter(prefix="/internal/retention", tags=["retention"])


@router.get("/rules")
async def rules(session: SessionDep) -> list[RetentionRule]:
    """Every case type's archive days, purge days and retention decision."""
    return await service.rules(session)


@router.post("/due")
async def due(body: DueIn, session: SessionDep) -> DueOut:
    """Ids of one case type due for archiving and for purging at the given cut-offs."""
    found = await service.due(session, body.case_type, body.archive_before, body.purge_before)
    if found is None:
        raise HTTPException(status_code=404, detail=f"unknown case type {body.case_type!r}")
    return found


@router.post("/archive")
async def archive(body: CommandIn, session: SessionDep) -> ArchiveOut:
    """Archive a batch (only cases still due); idempotent."""
    if body.archive_before is not None:
        raise HTTPException(status_code=422, detail="archive_before is for purge commands only")
    return await service.archive(session, body.case_ids, body.before)


@router.post("/purge")
async def purge(body: CommandIn, session: SessionDep) -> PurgeOut:
    """Purge a batch (only archived cases still due, or due for both); idempotent."""
    return await service.purge(session, body.case_ids, body.before, body.archive_before)


@router.post("/residents")
async def resident_records(body: ResidentRecordsIn, session: SessionDep) -> ResidentRecordsOut:
    """Purge expired shares and old resident audit entries (a batch of each; `more` when
    another call is due), or with `dry_run` count them; idempotent."""
    return await purge_resident_records(session, body)
