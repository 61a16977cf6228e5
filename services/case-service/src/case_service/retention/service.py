"""Archive and purge cases in batches, each batch in one transaction with its outbox rows.

retention-service decides which cases are due (docs/decisions/0008-retention.md); case-service
owns the rows, so it re-checks every case under a row lock before it changes anything: a case
updated, or already handled by an earlier (crashed) run, since the decision is skipped or
reported as already done. That makes every command idempotent and a run resumable.

Archiving sets status Arkiverad without touching `updated_at` (purge days count from the last
update, as the guide's 8.4 says) and adds a timeline entry. Purging deletes the case row; form
versions, timeline, attachments (and their bytes), tasks cascade; the access log's rows of the
case are deleted under `arende.purge`, and unpublished outbox rows that carry the submitter's
personnummer, e-mail or phone go too. Both publish the internal event (CaseArchived,
CasePurged) and `case.withdrawn` for the citizen portal. A case due for both in one run is
purged directly (the purge command's `archive_before`), without being archived first.
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, insert, literal, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from arende_contracts.events import CaseArchived, CasePurged
from arende_contracts.external import (
    ROUTING_PUBLIC_CASE_WITHDRAWN,
    PublicCaseWithdrawn,
)
from arende_contracts.statuses import CaseStatus
from arende_platform.outbox import event_row, stage
from case_service.models import (
    RETENTION_OWN_MESSAGES,
    AccessLogEntry,
    Case,
    CaseEvent,
    CaseType,
    Organization,
    outbox,
)
from case_service.public import public_row
from case_service.retention.schemas import ArchiveOut, DueOut, PurgeOut, RetentionRule

SERVICE = "case-service"
ARCHIVED = CaseStatus.ARCHIVED.value
ARCHIVED_TITLE = "Ärendet arkiverat"


async def rules(session: AsyncSession) -> list[RetentionRule]:
    """Every case type's retention settings."""
    rows = await session.execute(
        select(
            CaseType.code,
            Organization.code.label("organization"),
            CaseType.archive_days,
            CaseType.purge_days,
            CaseType.retention_decision,
        )
        .join(Organization, Organization.id == CaseType.organization_id)
        .order_by(CaseType.code)
    )
    return [
        RetentionRule(
            case_type=r.code,
            organization=r.organization,
            archive_days=r.archive_days,
            purge_days=r.purge_days,
            retention_decision=r.retention_decision,
        )
        for r in rows
    ]


async def due(
    session: AsyncSession, case_type: str, archive_before: datetime, purge_before: datetime
) -> DueOut | None:
    """The ids of one case type due now; None for an unknown case type."""
    type_id = (
        await session.execute(select(CaseType.id).where(CaseType.code == case_type))
    ).scalar_one_or_none()
    if type_id is None:
        return None
    archive = (
        await session.execute(
            select(Case.id)
            .where(
                Case.case_type_id == type_id,
                Case.status != ARCHIVED,
                Case.updated_at < archive_before,
            )
            .order_by(Case.id)
        )
    ).scalars()
    archive_ids = list(archive)
    purge = (
        await session.execute(
            select(Case.id)
            .where(
                Case.case_type_id == type_id,
                Case.updated_at < purge_before,
                (Case.status == ARCHIVED) | (Case.updated_at < archive_before),
            )
            .order_by(Case.id)
        )
    ).scalars()
    return DueOut(archive=archive_ids, purge=list(purge))


def _withdrawn_row(
    case_id: int, submission_id: Any, reason: str, at: datetime, cid: str | None
) -> dict[str, Any]:
    """`case.withdrawn` for the citizen portal (docs/integration.md)."""
    return public_row(
        ROUTING_PUBLIC_CASE_WITHDRAWN,
        PublicCaseWithdrawn(
            submission_id=submission_id, case_id=case_id, reason=reason, occurred_at=at
        ),
        cid,
    )


def _ids(values: Sequence[int]) -> Any:
    return literal(list(values), ARRAY(Case.id.type))


async def _facts(session: AsyncSession, ids: Sequence[int]) -> dict[int, Any]:
    """Per case: what the events about it say (case type, organization, submission)."""
    rows = await session.execute(
        select(
            Case.id,
            Case.submission_id,
            Case.status,
            Case.submitted_at,
            Case.correlation_id,
            Case.submitter_personal_number,
            CaseType.code.label("case_type"),
            Organization.code.label("organization"),
        )
        .join(CaseType, CaseType.id == Case.case_type_id)
        .join(Organization, Organization.id == CaseType.organization_id)
        .where(Case.id == func.any(_ids(ids)))
    )
    return {r.id: r for r in rows}


async def archive(session: AsyncSession, ids: Sequence[int], before: datetime) -> ArchiveOut:
    """Archive those of `ids` still due; report the rest as already archived or skipped."""
    wanted = sorted(set(ids))
    now = datetime.now(UTC)
    archived = list(
        (
            await session.execute(
                update(Case)
                .where(
                    Case.id == func.any(_ids(wanted)),
                    Case.status != ARCHIVED,
                    Case.updated_at < before,
                )
                .values(status=ARCHIVED)
                .returning(Case.id)
                .execution_options(synchronize_session=False)
            )
        ).scalars()
    )
    done = set(archived)
    already = set(
        (
            await session.execute(
                select(Case.id).where(
                    Case.id == func.any(_ids([i for i in wanted if i not in done])),
                    Case.status == ARCHIVED,
                )
            )
        ).scalars()
    )
    if archived:
        facts = await _facts(session, archived)
        await session.execute(
            insert(CaseEvent),
            [
                {
                    "case_id": i,
                    "internal": True,
                    "kind": "archived",
                    "status": ARCHIVED,
                    "title": ARCHIVED_TITLE,
                    "message": "",
                    "author": None,
                    "created_at": now,
                }
                for i in archived
            ],
        )
        rows: list[dict[str, Any]] = []
        for i in archived:
            f = facts[i]
            event = CaseArchived(
                correlation_id=f.correlation_id or "",
                producer=SERVICE,
                data={
                    "case_id": i,
                    "case_type": f.case_type,
                    "organization": f.organization,
                    "archived_at": now,
                },
            )
            rows.append(event_row(event))
            rows.append(_withdrawn_row(i, f.submission_id, "archived", now, f.correlation_id))
        await stage(session, outbox, rows)
    skipped = [i for i in wanted if i not in done and i not in already]
    return ArchiveOut(archived=sorted(done), already=sorted(already), skipped=skipped)


async def purge(
    session: AsyncSession,
    ids: Sequence[int],
    before: datetime,
    archive_before: datetime | None = None,
) -> PurgeOut:
    """Delete those of `ids` that are archived and still due; the rest are gone or skipped.

    With `archive_before`, a case not archived yet whose last update is before both cut-offs
    is purged directly: archiving it first would only write what the purge deletes (a status,
    index entries, a timeline row, CaseArchived and a withdrawal the portal gets again).
    """
    wanted = sorted(set(ids))
    now = datetime.now(UTC)
    rows = (
        await session.execute(
            select(Case.id, Case.status, Case.updated_at)
            .where(Case.id == func.any(_ids(wanted)))
            .order_by(Case.id)
            .with_for_update()
        )
    ).all()
    present = {r.id for r in rows}
    due_ids = [
        r.id
        for r in rows
        if r.updated_at < before
        and (r.status == ARCHIVED or (archive_before is not None and r.updated_at < archive_before))
    ]
    due_set = set(due_ids)
    already = [i for i in wanted if i not in present]
    skipped = [r.id for r in rows if r.id not in due_set]
    if not due_ids:
        return PurgeOut(purged=[], already=already, skipped=skipped)
    facts = await _facts(session, due_ids)
    # The access log is append-only; its trigger lets a purge delete (migration 0002).
    await session.execute(text("SET LOCAL arende.purge = 'on'"))
    await session.execute(
        delete(AccessLogEntry)
        .where(AccessLogEntry.case_id == func.any(_ids(due_ids)))
        .execution_options(synchronize_session=False)
    )
    await session.execute(text("SET LOCAL arende.purge = 'off'"))
    traces = sorted(
        {f.submitter_personal_number for f in facts.values() if f.submitter_personal_number}
    )
    if traces:
        # An unpublished message that still carries the personnummer would outlive the purge:
        # it goes with it. Retention's own messages never carry one, and are most of the outbox
        # during a run, so they are not searched.
        # Only through the partial index of the others (models.RETENTION_OWN_MESSAGES): the
        # planner may not guess that the index is small while the outbox churns.
        await session.execute(text("SET LOCAL enable_seqscan = off"))
        await session.execute(
            text(
                "DELETE FROM outbox o WHERE o.event_type NOT IN ("
                + ", ".join(f"'{t}'" for t in RETENTION_OWN_MESSAGES)
                + ") AND EXISTS (SELECT 1 FROM unnest(CAST(:traces AS text[])) t"
                " WHERE position(convert_to(t, 'UTF8') in o.body) > 0)"
            ),
            {"traces": traces},
        )
        await session.execute(text("SET LOCAL enable_seqscan = on"))
    await session.execute(
        delete(Case)
        .where(Case.id == func.any(_ids(due_ids)))
        .execution_options(synchronize_session=False)
    )
    out: list[dict[str, Any]] = []
    for i in due_ids:
        f = facts[i]
        event = CasePurged(
            correlation_id=f.correlation_id or "",
            producer=SERVICE,
            data={
                "case_id": i,
                "case_type": f.case_type,
                "organization": f.organization,
                "status": f.status,
                "submitted_at": f.submitted_at,
                "purged_at": now,
            },
        )
        out.append(event_row(event))
        out.append(_withdrawn_row(i, f.submission_id, "purged", now, f.correlation_id))
    await stage(session, outbox, out)
    return PurgeOut(purged=due_ids, already=already, skipped=skipped)
