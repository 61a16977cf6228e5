"""The integration API's case operations, answered by case-service for the caller."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel

from arende_contracts.case_list import (
    DEFAULT_LIMIT,
    MAX_CODE_LENGTH,
    MAX_CURSOR_LENGTH,
    MAX_LIMIT,
    MAX_QUERY_LENGTH,
    Order,
    Priority,
    Sort,
    StatusFilter,
    View,
)
from gateway.auth.deps import CurrentCaseworker
from gateway.deps import CaseServiceDep

router = APIRouter(prefix="/api/v1/cases", tags=["cases"])

CaseId = Annotated[int, Path(ge=1, le=2**63 - 1)]
Code = Annotated[str | None, Query(max_length=MAX_CODE_LENGTH)]


class Submitter(BaseModel):
    kind: str
    personal_number: str | None
    account: str | None
    name: str | None


class CaseListItem(BaseModel):
    """A case in a list (SPEC §4)."""

    id: int
    case_type: str
    case_type_name: str
    organization: str
    organization_name: str
    title: str
    status: str
    handler: str | None
    handler_group: str | None
    reference: str | None
    business_area: str | None
    submitter: Submitter
    submitted_at: datetime
    updated_at: datetime
    starred: bool
    priority: Priority = "medium"
    category: str | None = None
    # An open internal task on the case for the caller or one of their groups (F-AD-6).
    my_task: bool = False


class CaseListPage(BaseModel):
    """A page of a case list, its total and the options of its filters."""

    items: list[CaseListItem]
    total: int
    total_exact: bool
    limit: int
    next_cursor: str | None
    prev_cursor: str | None
    sort: Sort
    order: Order
    facets: dict[str, list[Any]]


@router.get("", response_model=None, responses={200: {"model": CaseListPage}})
async def list_cases(
    caseworker: CurrentCaseworker,
    case_service: CaseServiceDep,
    view: Annotated[
        View,
        Query(
            description=(
                "mine (handler is me or my group, or I have an open task on it), "
                "all (not archived), archived"
            )
        ),
    ] = "all",
    q: Annotated[
        str | None,
        Query(
            max_length=MAX_QUERY_LENGTH,
            description="Sök ärende: part of the id, reference, personnummer/account or name",
        ),
    ] = None,
    detailed: Annotated[
        bool, Query(description="Detaljerad sökning: also the words of the submitted forms")
    ] = False,
    case_type: Annotated[Code, Query(description="case type code")] = None,
    status: Annotated[
        StatusFilter,
        Query(description="a status code; open (default) = all but closed; any = all"),
    ] = "open",
    business_area: Annotated[Code, Query(description="Verksamhetstyp")] = None,
    organization: Annotated[Code, Query(description="organization code")] = None,
    sort: Sort = "updated_at",
    order: Order = "desc",
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        Query(
            max_length=MAX_CURSOR_LENGTH,
            description="next_cursor or prev_cursor of a page with the same sort and order",
        ),
    ] = None,
    priority: Annotated[Priority | None, Query(description="Prioritet: low, medium, high")] = None,
) -> Response:
    """Cases the caller may see: a view, searched, filtered and sorted, a page at a time.

    `total` counts every matching case. It is exact for small results; for a large one it may
    be PostgreSQL's estimate (`total_exact` false) until a count in the background is done.
    Pass `next_cursor` or `prev_cursor` back as `cursor` (with the same filters, sort and
    order) for the next or previous page. `facets` lists the case types, organizations and
    business areas the caller can filter on.
    """
    # case-service's answer is the API's: passed on as it came, not decoded and encoded again.
    page = await case_service.list_cases_json(
        caseworker.actor,
        {
            "view": view,
            "q": q,
            "detailed": detailed,
            "case_type": case_type,
            "status": status,
            "business_area": business_area,
            "organization": organization,
            "sort": sort,
            "order": order,
            "limit": limit,
            "cursor": cursor,
            "priority": priority,
        },
    )
    return Response(page, media_type="application/json")


@router.get("/{case_id}")
async def get_case(
    case_id: CaseId, caseworker: CurrentCaseworker, case_service: CaseServiceDep
) -> dict[str, Any]:
    """One case with its form, events and attachment list; 404 outside the caller's scope."""
    return await case_service.get_case(caseworker.actor, case_id)
