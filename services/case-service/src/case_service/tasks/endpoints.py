"""Internal API of tasks: add one to a case, mark it done, list my open ones."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query

from case_service.access import ActorDep
from case_service.actions.schemas import TaskDoneIn, TaskIn
from case_service.deps import SessionDep
from case_service.tasks import service

router = APIRouter(prefix="/internal", tags=["tasks"])

Id = Annotated[int, Path(ge=1, le=2**63 - 1)]


@router.post("/cases/{case_id}/tasks", status_code=201)
async def create_task(
    case_id: Id, body: TaskIn, session: SessionDep, actor: ActorDep
) -> dict[str, Any]:
    """A task for `assignee` (username) or `group` (a handler group's code), or nobody yet."""
    return await service.create_task(session, actor, case_id, body)


@router.patch("/cases/{case_id}/tasks/{task_id}")
async def mark_task(
    case_id: Id, task_id: Id, body: TaskDoneIn, session: SessionDep, actor: ActorDep
) -> dict[str, Any]:
    """Mark the task done (`done` true) or open again."""
    return await service.mark_task(session, actor, case_id, task_id, body)


@router.get("/tasks")
async def list_tasks(
    session: SessionDep,
    actor: ActorDep,
    view: Annotated[Literal["mine"], Query()] = "mine",
) -> list[dict[str, Any]]:
    """My open tasks (for me or one of my handler groups), with their cases' titles."""
    return await service.my_tasks(session, actor)
