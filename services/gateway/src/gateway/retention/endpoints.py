"""Retention for administrators (F-RT-1..3): run now or dry-run, the run log, legal holds.

A run touches every organization, so it is for superusers and local administrators
(Lokal administratör) only; a legal hold is placed by a superuser or an administrator of the
case's organization.
"""

from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from arende_contracts.access import Actor
from gateway.auth.deps import CurrentCaseworker
from gateway.case_errors import CASE_NOT_FOUND
from gateway.deps import CaseServiceDep
from gateway.errors import AppError
from gateway.retention import client

router = APIRouter(prefix="/api/v1", tags=["retention"])

ADMIN_REQUIRED = "Administratörsbehörighet krävs"
# A real run over many cases takes a while; the answer waits for it.
RUN_TIMEOUT = 900.0


class RetentionRunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dry_run: bool = False


class LegalHoldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000)
    until: datetime | None = None


def is_admin(actor: Actor, organization: str | None = None) -> bool:
    """A superuser, or an administrator (of `organization`, when given)."""
    return actor.superuser or any(
        g.role == "admin" and (organization is None or g.organization == organization)
        for g in actor.grants
    )


def require_admin(actor: Actor) -> None:
    if not is_admin(actor):
        raise AppError(403, ADMIN_REQUIRED)


@router.post("/admin/retention/run")
async def run_retention(
    body: RetentionRunIn, caseworker: CurrentCaseworker, request: Request
) -> Any:
    """Archive and purge now (`dry_run`: only list what would be); answers what was done."""
    require_admin(caseworker.actor)
    return await client.call(
        request,
        "POST",
        "/internal/runs",
        json_body={"dry_run": body.dry_run, "requested_by": caseworker.actor.username},
        timeout=RUN_TIMEOUT,
    )


@router.get("/admin/retention/runs")
async def list_retention_runs(caseworker: CurrentCaseworker, request: Request) -> Any:
    """The run log, newest first: decision, rule, counts, start and end, dry run or not."""
    require_admin(caseworker.actor)
    return await client.call(request, "GET", "/internal/runs")


async def _administered_case(
    case_service: CaseServiceDep, actor: Actor, case_id: int
) -> dict[str, Any]:
    try:
        scope = await case_service.case_scope(actor, case_id)
    except HTTPException as exc:
        if exc.status_code == 404:
            raise AppError(404, CASE_NOT_FOUND) from exc
        raise
    if not is_admin(actor, scope.get("organization")):
        raise AppError(403, ADMIN_REQUIRED)
    return scope


@router.get("/cases/{case_id}/legal-hold")
async def get_legal_hold(
    case_id: int, caseworker: CurrentCaseworker, case_service: CaseServiceDep, request: Request
) -> Any:
    """The case's legal hold; 404 when it has none."""
    await _administered_case(case_service, caseworker.actor, case_id)
    return await client.call(request, "GET", f"/internal/legal-holds/{case_id}")


@router.post("/cases/{case_id}/legal-hold")
async def place_legal_hold(
    case_id: int,
    body: LegalHoldIn,
    caseworker: CurrentCaseworker,
    case_service: CaseServiceDep,
    request: Request,
) -> Any:
    """Rättsligt kvarhållande: the case is not purged while held (`until` absent: until
    further notice). Placing it again replaces the reason and end."""
    await _administered_case(case_service, caseworker.actor, case_id)
    return await client.call(
        request,
        "PUT",
        f"/internal/legal-holds/{case_id}",
        json_body={
            "reason": body.reason,
            "placed_by": caseworker.actor.username,
            "until": body.until.isoformat() if body.until else None,
        },
    )


@router.delete("/cases/{case_id}/legal-hold", status_code=204)
async def release_legal_hold(
    case_id: int, caseworker: CurrentCaseworker, case_service: CaseServiceDep, request: Request
) -> Response:
    """Lift the hold: the case is purged at the next run if it is due."""
    await _administered_case(case_service, caseworker.actor, case_id)
    await client.call(request, "DELETE", f"/internal/legal-holds/{case_id}")
    return Response(status_code=204)
