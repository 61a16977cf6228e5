"""The integration API's case operations, answered by case-service for the caller."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query

from gateway.auth.deps import CurrentCaseworker
from gateway.deps import CaseServiceDep

router = APIRouter(prefix="/api/v1/cases", tags=["cases"])

View = Literal["mine", "all", "archived"]
CaseId = Annotated[int, Path(ge=1, le=2**63 - 1)]


@router.get("")
async def list_cases(
    caseworker: CurrentCaseworker,
    case_service: CaseServiceDep,
    view: View = "all",
    limit: Annotated[int, Query(ge=1, le=200)] = 25,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, Any]:
    """Cases of a view (mine, all, archived) the caller may see, most recently changed first.

    `total` counts the whole view; pass `next_cursor` back as `cursor` for the next page.
    """
    return await case_service.list_cases(caseworker.actor, view, limit, cursor)


@router.get("/{case_id}")
async def get_case(
    case_id: CaseId, caseworker: CurrentCaseworker, case_service: CaseServiceDep
) -> dict[str, Any]:
    """One case with its form, events and attachment list; 404 outside the caller's scope."""
    return await case_service.get_case(caseworker.actor, case_id)
