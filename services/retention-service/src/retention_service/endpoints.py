"""Internal API of retention-service (internal token): runs, the run log, legal holds.

The gateway calls it for administrators (it checks their rights; this service trusts it).
"""

import asyncio
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from retention_service import holds
from retention_service.client import CaseServiceError
from retention_service.runs import Retention, RunInProgress

router = APIRouter(prefix="/internal", tags=["retention"])

RUN_IN_PROGRESS = "En gallringskörning pågår redan. Försök igen när den är klar."
CASE_SERVICE_DOWN = "Ärendetjänsten svarar inte just nu. Försök igen om en stund."


class RunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dry_run: bool = False
    requested_by: str | None = Field(default=None, max_length=200)


class HoldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000)
    placed_by: str = Field(min_length=1, max_length=200)
    until: datetime | None = None


def _retention(request: Request) -> Retention:
    return request.app.state.retention  # type: ignore[no-any-return]


async def _session(request: Request) -> Any:
    async with request.app.state.runtime.sessions() as session, session.begin():
        yield session


RetentionDep = Annotated[Retention, Depends(_retention)]
SessionDep = Annotated[AsyncSession, Depends(_session)]


@router.post("/runs")
async def start_run(body: RunIn, retention: RetentionDep) -> dict[str, Any]:
    """Run now (or dry-run) and answer what was (or would be) archived and purged."""
    task = asyncio.create_task(
        retention.run(dry_run=body.dry_run, trigger="manual", requested_by=body.requested_by)
    )
    try:
        # A caller that goes away does not stop the run half-way.
        return await asyncio.shield(task)
    except RunInProgress as exc:
        raise HTTPException(status_code=409, detail=RUN_IN_PROGRESS) from exc
    except CaseServiceError as exc:
        raise HTTPException(status_code=503, detail=CASE_SERVICE_DOWN) from exc


@router.get("/runs")
async def list_runs(
    retention: RetentionDep, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> list[dict[str, Any]]:
    """The run log, newest first."""
    return await retention.list_runs(limit)


@router.get("/runs/{run_id}")
async def get_run(run_id: UUID, retention: RetentionDep) -> dict[str, Any]:
    try:
        return await retention.describe(run_id)
    except KeyError as exc:
        raise HTTPException(status_code=404, detail="Körningen finns inte.") from exc


@router.get("/legal-holds")
async def list_holds(session: SessionDep) -> list[dict[str, Any]]:
    return await holds.list_holds(session)


@router.get("/legal-holds/{case_id}")
async def get_hold(case_id: int, session: SessionDep) -> dict[str, Any]:
    hold = await holds.find(session, case_id)
    if hold is None:
        raise HTTPException(status_code=404, detail="Ärendet har inget rättsligt kvarhållande.")
    return hold


@router.put("/legal-holds/{case_id}")
async def place_hold(case_id: int, body: HoldIn, session: SessionDep) -> dict[str, Any]:
    return await holds.place(session, case_id, body.reason, body.placed_by, body.until)


@router.delete("/legal-holds/{case_id}", status_code=204)
async def release_hold(case_id: int, session: SessionDep) -> Response:
    if not await holds.release(session, case_id):
        raise HTTPException(status_code=404, detail="Ärendet har inget rättsligt kvarhållande.")
    return Response(status_code=204)
