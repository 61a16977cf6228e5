"""Handler groups (F-AD-3): the gateway owns staff, so it owns groups and their members.

A case assigned to a group carries the group's code (case-service's `handler_group`); each
member's actor lists their group codes (`Actor.groups`, read from the database on every
request), so case-service puts the case in every member's Mina ärenden until one takes it
(assigns it to a person). Membership changes take effect on the member's next request.

Group codes are unique in the installation. Members must be active staff who may be assigned
the organization's cases (receiver, handler or admin there).

A group with open cases or open tasks cannot be removed (409): they would be in no one's Mina
ärenden. Assigning a case or a task to a group holds the group's row (FOR KEY SHARE) until the
assignment is stored, and removing it locks the row before it counts, so a group is never
removed with an assignment the count did not see.
"""

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from arende_contracts.access import Actor
from gateway.audit.service import record
from gateway.case_client import CaseServiceClient
from gateway.errors import AppError
from gateway.groups.schemas import GroupIn, GroupMember, GroupOut, GroupPatch
from gateway.i18n import Phrase
from gateway.models import StaffGrant, StaffGroup, StaffUser
from gateway.personal.service import publish_members
from gateway.users.service import ADMIN_REQUIRED, administered_organizations, may_administer

log = logging.getLogger(__name__)

MEMBER_ROLES = ("receiver", "handler", "admin")
GROUP_NOT_FOUND = "Handläggargruppen finns inte"
GROUP_EXISTS = "Handläggargruppen {code} finns redan"
UNKNOWN_ORGANIZATION = "Okänd förvaltning: {organization}"
GROUP_HAS_OPEN_WORK = "Gruppen har {work}. Fördela dem till någon annan innan gruppen tas bort."
GROUP_HAS_ONE_CASE = (
    "Gruppen har 1 öppet ärende. Fördela det till någon annan innan gruppen tas bort."
)
GROUP_HAS_ONE_TASK = (
    "Gruppen har 1 öppen uppgift. Fördela den till någon annan innan gruppen tas bort."
)
ONE_OPEN_CASE = "1 öppet ärende"
OPEN_CASES = "{count} öppna ärenden"
ONE_OPEN_TASK = "1 öppen uppgift"
OPEN_TASKS = "{count} öppna uppgifter"
CASES_AND_TASKS = "{cases} och {tasks}"
NOT_A_MEMBER_CANDIDATE = (
    "{username} kan inte vara med i gruppen: användaren finns inte, är inaktiv eller saknar "
    "behörighet att handlägga ärenden i förvaltningen {organization}."
)


def group_out(group: StaffGroup) -> GroupOut:
    members = sorted(group.members, key=lambda m: m.username)
    return GroupOut(
        code=group.code,
        name=group.name,
        organization=group.organization,
        members=[m.username for m in members],
        member_names=[GroupMember(username=m.username, name=m.name) for m in members],
    )


def _with_members() -> Any:
    return select(StaffGroup).options(selectinload(StaffGroup.members))


async def _members(
    session: AsyncSession, organization: str, usernames: list[str]
) -> list[StaffUser]:
    """The accounts of `usernames`, each an active receiver/handler/admin of the organization."""
    wanted = list(dict.fromkeys(u.lower() for u in usernames))
    if not wanted:
        return []
    rows = (
        await session.execute(
            select(StaffUser)
            .where(
                StaffUser.username.in_(wanted),
                StaffUser.active,
                StaffUser.grants.any(
                    (StaffGrant.organization == organization) & StaffGrant.role.in_(MEMBER_ROLES)
                ),
            )
            .order_by(StaffUser.username)
        )
    ).scalars()
    found = {u.username: u for u in rows}
    for username in wanted:
        if username not in found:
            raise AppError(
                422, NOT_A_MEMBER_CANDIDATE, username=username, organization=organization
            )
    return [found[u] for u in wanted]


async def candidates(session: AsyncSession, organization: str) -> list[dict[str, str]]:
    """Who may be a member of the organization's groups (for the admin page)."""
    rows = await session.execute(
        select(StaffUser.username, StaffUser.name)
        .where(
            StaffUser.active,
            StaffUser.grants.any(
                (StaffGrant.organization == organization) & StaffGrant.role.in_(MEMBER_ROLES)
            ),
        )
        .order_by(StaffUser.name, StaffUser.username)
    )
    return [{"username": u, "name": n} for u, n in rows.all()]


def _require_admin_somewhere(actor: Actor) -> None:
    if not actor.superuser and not administered_organizations(actor):
        raise AppError(403, ADMIN_REQUIRED)


async def list_groups(session: AsyncSession, actor: Actor) -> list[GroupOut]:
    """Groups of the organizations the caller administers (all for a superuser)."""
    _require_admin_somewhere(actor)
    query = _with_members().order_by(StaffGroup.organization, StaffGroup.name, StaffGroup.code)
    if not actor.superuser:
        query = query.where(StaffGroup.organization.in_(administered_organizations(actor)))
    return [group_out(g) for g in (await session.execute(query)).scalars()]


async def _find(
    session: AsyncSession, actor: Actor, code: str, *, lock: bool = False
) -> StaffGroup:
    """A group the caller administers: 404 outside the organizations they have grants in,
    403 in one where they are not administrator."""
    query = _with_members().where(StaffGroup.code == code)
    if lock:
        query = query.with_for_update()
    group = (await session.execute(query)).scalar_one_or_none()
    if group is None:
        raise AppError(404, GROUP_NOT_FOUND)
    if not actor.superuser and group.organization not in {g.organization for g in actor.grants}:
        raise AppError(404, GROUP_NOT_FOUND)
    if not may_administer(actor, {group.organization}):
        raise AppError(403, ADMIN_REQUIRED)
    return group


async def get_group(session: AsyncSession, actor: Actor, code: str) -> GroupOut:
    return group_out(await _find(session, actor, code))


async def create_group(
    session: AsyncSession, case_service: CaseServiceClient, actor: Actor, body: GroupIn
) -> GroupOut:
    """A new group; 403 unless the caller administers its organization, 409 for a taken code,
    422 for an unknown organization or a member who may not handle its cases."""
    if not may_administer(actor, {body.organization}):
        raise AppError(403, ADMIN_REQUIRED)
    organizations = {
        o["code"] for o in await case_service.call("GET", "/internal/organizations", actor)
    }
    if body.organization not in organizations:
        raise AppError(422, UNKNOWN_ORGANIZATION, organization=body.organization)
    members = await _members(session, body.organization, body.members)
    group = StaffGroup(code=body.code, name=body.name, organization=body.organization)
    group.members = members
    session.add(group)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise AppError(409, GROUP_EXISTS, code=body.code) from exc
    out = group_out(group)
    await publish_members(session, out.members)
    record(
        session,
        actor,
        "group.create",
        group.code,
        group.organization,
        {"name": group.name, "members": out.members},
    )
    log.info("handler group created", extra={"group": group.code, "by": actor.username})
    return out


async def update_group(
    session: AsyncSession, actor: Actor, code: str, body: GroupPatch
) -> GroupOut:
    """Rename and/or replace the members; members see the group's cases at once."""
    group = await _find(session, actor, code, lock=True)
    before = group_out(group)
    if "name" in body.model_fields_set and body.name is None:
        raise AppError(422, "Fältet {field} får inte vara tomt", field="name")
    if body.name is not None:
        group.name = body.name
    if body.members is not None:
        group.members = await _members(session, group.organization, body.members)
    await session.flush()
    after = group_out(group)
    details: dict[str, Any] = {}
    if before.name != after.name:
        details["name"] = [before.name, after.name]
    if before.members != after.members:
        details["members"] = [before.members, after.members]
        await publish_members(session, {*before.members, *after.members})
    if details:
        record(session, actor, "group.update", code, group.organization, details)
    return after


def open_work_refusal(cases: int, tasks: int) -> AppError | None:
    """The 409 for removing a group that still has open cases or tasks (None if it has none)."""
    if not cases and not tasks:
        return None
    if cases + tasks == 1:
        return AppError(409, GROUP_HAS_ONE_CASE if cases else GROUP_HAS_ONE_TASK)
    case_part = Phrase(ONE_OPEN_CASE) if cases == 1 else Phrase(OPEN_CASES, count=cases)
    task_part = Phrase(ONE_OPEN_TASK) if tasks == 1 else Phrase(OPEN_TASKS, count=tasks)
    if cases and tasks:
        work = Phrase(CASES_AND_TASKS, cases=case_part, tasks=task_part)
    else:
        work = case_part if cases else task_part
    return AppError(409, GROUP_HAS_OPEN_WORK, work=work)


async def delete_group(
    session: AsyncSession, case_service: CaseServiceClient, actor: Actor, code: str
) -> None:
    """Remove a group that has no open cases (not Avslutad, not Arkiverad) and no open tasks;
    409 with their counts otherwise. Its closed and archived cases keep the group's code."""
    group = await _find(session, actor, code, lock=True)
    work = await case_service.call(
        "GET",
        f"/internal/groups/{code}/open-work",
        actor,
        params={"organization": group.organization},
    )
    refusal = open_work_refusal(int(work["cases"]), int(work["tasks"]))
    if refusal is not None:
        raise refusal
    record(
        session,
        actor,
        "group.delete",
        code,
        group.organization,
        {"name": group.name, "members": [m.username for m in group.members]},
    )
    members = [m.username for m in group.members]
    await session.delete(group)
    await session.flush()
    await publish_members(session, members)


async def assignable_groups(session: AsyncSession, organization: str) -> list[dict[str, str]]:
    """The groups a case of the organization may be assigned to (the Fördela dialog)."""
    rows = await session.execute(
        select(StaffGroup.code, StaffGroup.name)
        .where(StaffGroup.organization == organization)
        .order_by(StaffGroup.name, StaffGroup.code)
    )
    return [{"code": c, "name": n} for c, n in rows.all()]


async def group_in_organization(
    session: AsyncSession, code: str, organization: str, *, hold: bool = False
) -> StaffGroup | None:
    """The group of this code if it belongs to the organization (a case goes only to a group
    of its own organization). `hold`: keep the group from being removed until the caller's
    transaction ends (an assignment to it is being stored)."""
    query = select(StaffGroup).where(
        StaffGroup.code == code, StaffGroup.organization == organization
    )
    if hold:
        query = query.with_for_update(read=True, key_share=True)
    return (await session.execute(query)).scalar_one_or_none()
