"""Internal tasks on cases (F-AD-6): `POST /api/v1/cases/{id}/tasks`, marking one done, and
`GET /api/v1/tasks?view=mine`."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query

from gateway.auth.deps import CurrentCaseworker
from gateway.deps import CaseServiceDep, SessionDep
from gateway.tasks import service
from gateway.tasks.schemas import TaskBody, TaskPatch

router = APIRouter(prefix="/api/v1", tags=["tasks"])

Id = Annotated[int, Path(ge=1, le=2**63 - 1)]


@router.post("/cases/{case_id}/tasks", status_code=201)
async def create_task(
    case_id: Id,
    body: TaskBody,
    caseworker: CurrentCaseworker,
    case_service: CaseServiceDep,
    session: SessionDep,
) -> dict[str, Any]:
    """A task for a colleague or a handler group, without changing the case's handler. It is
    internal: the submitter never sees it."""
    return await service.create(session, case_service, caseworker.actor, case_id, body)


@router.patch("/cases/{case_id}/tasks/{task_id}")
async def mark_task(
    case_id: Id,
    task_id: Id,
    body: TaskPatch,
    caseworker: CurrentCaseworker,
    case_service: CaseServiceDep,
) -> dict[str, Any]:
    """Mark the task done (`done` true) or open again."""
    return await service.mark(case_service, caseworker.actor, case_id, task_id, body)


@router.get("/tasks")
async def list_tasks(
    caseworker: CurrentCaseworker,
    case_service: CaseServiceDep,
    view: Annotated[
        Literal["mine"], Query(description="mine: open tasks for me or my groups")
    ] = "mine",
) -> list[dict[str, Any]]:
    """My open tasks (for me or one of my handler groups), each with its case."""
    return await service.mine(case_service, caseworker.actor)
