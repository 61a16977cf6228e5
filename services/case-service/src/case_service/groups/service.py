"""Handler groups as case-service sees them: codes on cases (`handler_group`) and on tasks
(`group_code`). The gateway owns the groups (docs/decisions/0009); before it removes one, it
asks here what the group still has open, since a removed group's open cases and tasks would be
in no one's Mina ärenden."""

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from arende_contracts.access import Actor
from arende_contracts.statuses import CLOSED_STATUSES, CaseStatus
from case_service.errors import CaseError
from case_service.models import Case, CaseTask, CaseType, Organization

# Avslutad (by staff or by the submitter) and Arkiverad: nothing is left to do, so these never
# keep a group from being removed; they show the removed group's code.
FINISHED = sorted({*CLOSED_STATUSES, CaseStatus.ARCHIVED})


async def open_work(
    session: AsyncSession, actor: Actor, organization: str, code: str
) -> dict[str, Any]:
    """How many open cases (not Avslutad, not Arkiverad) of the organization are assigned to
    the group, and how many open tasks on its cases (not archived ones) are for the group.
    For administrators of the organization."""
    if not actor.superuser and not any(
        g.organization == organization and g.role == "admin" for g in actor.grants
    ):
        raise CaseError(403, "admin_required", "administrator rights required")
    of_organization = (
        select(CaseType.id)
        .join(Organization, Organization.id == CaseType.organization_id)
        .where(Organization.code == organization)
    )
    cases = await session.scalar(
        select(func.count())
        .select_from(Case)
        .where(
            Case.handler_group == code,
            Case.status.not_in(FINISHED),
            Case.case_type_id.in_(of_organization),
        )
    )
    tasks = await session.scalar(
        select(func.count())
        .select_from(CaseTask)
        .join(Case, Case.id == CaseTask.case_id)
        .where(
            CaseTask.group_code == code,
            CaseTask.done_at.is_(None),
            Case.status != CaseStatus.ARCHIVED,
            Case.case_type_id.in_(of_organization),
        )
    )
    return {"group": code, "organization": organization, "cases": cases or 0, "tasks": tasks or 0}
