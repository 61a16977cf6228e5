"""Internal tasks on a case (F-AD-6, seed 004): a colleague or a handler group is asked to help
without becoming the case's handler. A task is staff-only: its timeline events are internal, so
nothing of it ever reaches `eservice.public`."""

from typing import Any

from sqlalchemy import ColumnElement, Text, and_, any_, bindparam, exists, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from arende_contracts.access import Actor
from case_service.access import visible_case_type_ids
from case_service.actions.schemas import TaskDoneIn, TaskIn
from case_service.actions.service import CaseChange
from case_service.cases.detail import load_case, task_out
from case_service.errors import CaseError
from case_service.models import Case, CaseTask, CaseType
from case_service.permissions import check_action

TASK_CREATED = "Uppgift skapad"
TASK_DONE = "Uppgift klar"
TASK_REOPENED = "Uppgift öppnad igen"


def _for_whom(task: CaseTask) -> str:
    if task.assignee:
        return f" för {task.assignee}"
    if task.group_code:
        return f" för gruppen {task.group_code}"
    return ""


async def _change(session: AsyncSession, actor: Actor, case_id: int, *, own: bool) -> CaseChange:
    """The locked case for a task change. Whoever a task is for may mark it done whatever their
    role, as long as they see the case; anything else needs the right to add tasks."""
    loaded = await load_case(session, actor, case_id, lock=True)
    action = "task"
    if own and loaded.case.status != "archived":
        return CaseChange(loaded, actor, action, notify=False)
    check_action(actor, action, loaded.case, loaded.organization.code, loaded.case_type.code)
    return CaseChange(loaded, actor, action, notify=False)


async def create_task(
    session: AsyncSession, actor: Actor, case_id: int, body: TaskIn
) -> dict[str, Any]:
    """A new open task on the case, with an internal timeline event."""
    if body.assignee is not None and body.group is not None:
        raise CaseError(422, "task_one_target", "give an assignee or a group, not both")
    change = await _change(session, actor, case_id, own=False)
    task = CaseTask(
        case_id=change.case.id,
        title=body.title,
        description=body.description,
        assignee=body.assignee,
        group_code=body.group,
        created_by=actor.username,
        created_at=change.loaded.now,
    )
    session.add(task)
    message = f"{body.title}{_for_whom(task)}"
    change.add("task", internal=True, title=TASK_CREATED, message=message)
    await change.save(session, f"task{_for_whom(task)}")
    await session.flush()
    return task_out(task)


async def mark_task(
    session: AsyncSession, actor: Actor, case_id: int, task_id: int, body: TaskDoneIn
) -> dict[str, Any]:
    """Done (or open again): the assignee, a member of its group, or whoever may add tasks."""
    task = await session.scalar(
        select(CaseTask)
        .where(CaseTask.id == task_id, CaseTask.case_id == case_id)
        .with_for_update()
    )
    own = task is not None and (task.assignee == actor.username or task.group_code in actor.groups)
    loaded_change = await _change(session, actor, case_id, own=own)
    if task is None:
        raise CaseError(404, "task_not_found", "task not found")
    if body.done == (task.done_at is not None):
        return task_out(task)
    now = loaded_change.loaded.now
    task.done_at, task.done_by = (now, actor.username) if body.done else (None, None)
    title = TASK_DONE if body.done else TASK_REOPENED
    loaded_change.add("task", internal=True, title=title, message=task.title)
    await loaded_change.save(session, f"task {task.id} {'done' if body.done else 'reopened'}")
    return task_out(task)


async def my_tasks(session: AsyncSession, actor: Actor, limit: int = 200) -> list[dict[str, Any]]:
    """Open tasks for the actor or their handler groups, on cases they may see, oldest first."""
    mine = CaseTask.assignee == actor.username
    if actor.groups:
        groups = bindparam("groups", list(actor.groups), type_=ARRAY(Text()))
        mine = or_(mine, CaseTask.group_code == any_(groups))
    query = (
        select(CaseTask, Case.title, Case.status, Case.priority, CaseType.code)
        .join(Case, Case.id == CaseTask.case_id)
        .join(CaseType, CaseType.id == Case.case_type_id)
        .where(CaseTask.done_at.is_(None), mine)
        .order_by(CaseTask.created_at, CaseTask.id)
        .limit(limit)
    )
    allowed = await visible_case_type_ids(session, actor)
    if allowed is not None:
        query = query.where(Case.case_type_id.in_(allowed))
    return [
        {
            **task_out(task),
            "case_title": title,
            "case_status": status,
            "case_priority": priority,
            "case_type": code,
        }
        for task, title, status, priority, code in await session.execute(query)
    ]


def _open_for(actor: Actor, groups_name: str) -> ColumnElement[bool]:
    """Open tasks for the actor or one of their groups."""
    mine = CaseTask.assignee == actor.username
    if actor.groups:
        groups = bindparam(groups_name, list(actor.groups), type_=ARRAY(Text()))
        mine = or_(mine, CaseTask.group_code == any_(groups))
    return and_(CaseTask.done_at.is_(None), mine)


async def my_task_case_ids(session: AsyncSession, actor: Actor, limit: int = 1000) -> list[int]:
    """Cases where the actor (or one of their groups) has an open task: part of Mina ärenden."""
    rows = await session.scalars(
        select(CaseTask.case_id).where(_open_for(actor, "task_groups")).distinct().limit(limit)
    )
    return list(rows)


def has_my_open_task(actor: Actor, case_id: ColumnElement[Any]) -> ColumnElement[bool]:
    """Whether the case `case_id` holds an open task for the actor (or one of their groups):
    the case list's task marker, read by the page's own query (PostgreSQL evaluates it after
    the sort and limit, hashing the actor's open tasks once)."""
    return exists().where(CaseTask.case_id == case_id, _open_for(actor, "marker_groups"))
