"""Internal tasks as the gateway runs them: it knows the staff and the handler groups, so it
checks who a task may be for; case-service keeps the task on the case (never for the
submitter's eyes) and decides about the case itself."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from arende_contracts.access import Actor
from gateway.case_actions.service import assignable_staff
from gateway.case_client import CaseServiceClient
from gateway.errors import AppError
from gateway.groups.service import assignable_groups, group_in_organization
from gateway.tasks.schemas import TaskBody, TaskPatch

ONE_TARGET = "Ange en handläggare eller en handläggargrupp, inte båda."
UNKNOWN_ASSIGNEE = "Handläggaren {assignee} finns inte eller har inte behörighet till ärendet."
UNKNOWN_GROUP = "Handläggargruppen {group} finns inte."


async def task_group_known(session: AsyncSession, organization: str, code: str) -> bool:
    """Whether a task on a case of the organization may go to this handler group: the one
    place the gateway asks about groups for tasks (groups are administered in gateway.groups;
    who is a member reaches case-service as `Actor.groups`). The group is held until the
    caller's transaction ends, so it is not removed while the task is being stored."""
    return await group_in_organization(session, code, organization, hold=True) is not None


async def task_targets(
    session: AsyncSession, case_service: CaseServiceClient, actor: Actor, case_id: int
) -> dict[str, list[dict[str, str]]]:
    """Who a task on the case may be for: colleagues and the organization's groups."""
    scope = await case_service.case_scope(actor, case_id)
    return {
        "staff": await assignable_staff(session, scope["organization"], scope["case_type"]),
        "groups": await assignable_groups(session, scope["organization"]),
    }


async def create(
    session: AsyncSession,
    case_service: CaseServiceClient,
    actor: Actor,
    case_id: int,
    body: TaskBody,
) -> dict[str, Any]:
    assignee, group = body.assignee or None, body.group or None
    if assignee and group:
        raise AppError(422, ONE_TARGET)
    request: dict[str, Any] = {"title": body.title, "description": body.description}
    if assignee or group:
        scope = await case_service.case_scope(actor, case_id)
        if assignee:
            staff = await assignable_staff(session, scope["organization"], scope["case_type"])
            username = assignee.lower()
            if username not in {s["username"] for s in staff}:
                raise AppError(422, UNKNOWN_ASSIGNEE, assignee=assignee)
            request["assignee"] = username
        elif group and await task_group_known(session, scope["organization"], group):
            request["group"] = group
        else:
            raise AppError(422, UNKNOWN_GROUP, group=group)
    return await case_service.call(  # type: ignore[no-any-return]
        "POST", f"/internal/cases/{case_id}/tasks", actor, json_body=request
    )


async def mark(
    case_service: CaseServiceClient, actor: Actor, case_id: int, task_id: int, body: TaskPatch
) -> dict[str, Any]:
    return await case_service.call(  # type: ignore[no-any-return]
        "PATCH", f"/internal/cases/{case_id}/tasks/{task_id}", actor, json_body=body.model_dump()
    )


async def mine(case_service: CaseServiceClient, actor: Actor) -> list[dict[str, Any]]:
    return await case_service.call(  # type: ignore[no-any-return]
        "GET", "/internal/tasks", actor, params={"view": "mine"}
    )
