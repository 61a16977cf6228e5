"""The case lists as pages (F-LI-1..5): search, filters, sortable columns, keyset paging.

Everything is a GET form and plain links, so the list works without JavaScript; the
"Filtrera i listan" box (static/case_list.js) is the one progressive enhancement. The page's
address carries the state (`q`, `detailed`, filters, `sort`, `order`, `cursor`) with the
parameter names of `GET /api/v1/cases`. A hand-edited address never fails: unknown values fall
back to the defaults, and a stale cursor to the first page.
"""

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any, get_args
from urllib.parse import urlencode

from fastapi import Request, Response
from sqlalchemy import select
from starlette.exceptions import HTTPException as StarletteHTTPException

from arende_contracts.case_list import (
    MAX_CODE_LENGTH,
    MAX_CURSOR_LENGTH,
    MAX_QUERY_LENGTH,
    Order,
    Sort,
    StatusFilter,
)
from arende_contracts.statuses import CaseStatus
from arende_platform.db import transaction
from gateway.auth.service import Caseworker
from gateway.case_client import CaseServiceClient
from gateway.deps import sessions_of
from gateway.errors import error_message, request_language
from gateway.i18n import status_text, translate
from gateway.models import StaffGroup, StaffUser
from gateway.settings import GatewaySettings
from gateway.web.rendering import render

# slug → (view code of the API, heading, introduction)
VIEWS: dict[str, tuple[str, str, str]] = {
    "mina": ("mine", "Mina ärenden", "Ärenden som är fördelade till dig."),
    "alla": ("all", "Alla ärenden", "Ärenden du har tillgång till."),
    "arkiverade": ("archived", "Arkiverade ärenden", "Arkiverade ärenden du har tillgång till."),
}

# The guide's columns (F-LI-2) and the sort each header link asks for.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("title", "Ärende"),
    ("status", "Status"),
    ("reference", "Referens"),
    ("submitter", "Inskickat av"),
    ("submitted_at", "Skickades in"),
    ("updated_at", "Ändrades"),
)

# Texts with quotation marks, kept out of templates (and out of the test's text scan).
BASIC_RESULT = 'Grundläggande sökning på "{q}" resulterade i {total} ärenden.'
BASIC_RESULT_ABOUT = 'Grundläggande sökning på "{q}" resulterade i cirka {total} ärenden.'
DETAILED_RESULT = 'Detaljerad sökning på "{q}" resulterade i {total} ärenden.'
DETAILED_RESULT_ABOUT = 'Detaljerad sökning på "{q}" resulterade i cirka {total} ärenden.'

_SORTS = frozenset(get_args(Sort))
# Prioritet (F-AD-6): code → label.
PRIORITIES = {"low": "Låg", "medium": "Medel", "high": "Hög"}
_STATUSES = frozenset(get_args(StatusFilter))


@dataclass(frozen=True)
class ListState:
    """What the page shows: search, filters, sort and position (defaults are left out of
    addresses)."""

    q: str = ""
    detailed: bool = False
    case_type: str = ""
    status: str = ""  # "" = open, "Alla (ej Avslutad)"
    business_area: str = ""
    organization: str = ""
    sort: str = "updated_at"
    order: str = "desc"
    cursor: str = ""
    priority: str = ""  # "" = every priority

    @property
    def filtered(self) -> bool:
        return bool(
            self.q
            or self.case_type
            or self.status
            or self.business_area
            or self.organization
            or self.priority
        )

    def query(self, **changes: Any) -> str:
        """The query string of this state with `changes`, without default values."""
        state = replace(self, **changes)
        defaults = ListState()
        values = {
            key: ("1" if value is True else value)
            for key, value in asdict(state).items()
            if value != getattr(defaults, key)
        }
        return urlencode(values)


def _code(value: str | None) -> str:
    value = (value or "").strip()
    return value if len(value) <= MAX_CODE_LENGTH else ""


def parse_state(params: Mapping[str, str]) -> ListState:
    """The state of a list address; anything unknown becomes the default."""
    sort = params.get("sort", "")
    order = params.get("order", "")
    status = params.get("status", "")
    cursor = params.get("cursor", "")
    return ListState(
        q=" ".join((params.get("q") or "").split())[:MAX_QUERY_LENGTH],
        detailed=params.get("detailed", "").lower() in ("1", "true", "on", "yes"),
        case_type=_code(params.get("case_type")),
        status=status if status in _STATUSES and status != "open" else "",
        business_area=_code(params.get("business_area")),
        organization=_code(params.get("organization")),
        sort=sort if sort in _SORTS else "updated_at",
        order=order if order in get_args(Order) else "desc",
        cursor=cursor if len(cursor) <= MAX_CURSOR_LENGTH else "",
        priority=params.get("priority", "") if params.get("priority") in PRIORITIES else "",
    )


def _api_params(view: str, state: ListState, limit: int) -> dict[str, Any]:
    return {
        "view": view,
        "q": state.q or None,
        "detailed": state.detailed,
        "case_type": state.case_type or None,
        "status": state.status or "open",
        "business_area": state.business_area or None,
        "organization": state.organization or None,
        "sort": state.sort,
        "order": state.order,
        "limit": limit,
        "cursor": state.cursor or None,
        "priority": state.priority or None,
    }


def about(value: int) -> int:
    """An estimate as people say it: two significant digits (48 204 → 48 000)."""
    if value < 100:
        return value
    return round(value, 2 - len(str(value)))


def number(value: int, lang: str) -> str:
    """A count as written in the language: 12 345 in Swedish (no-break space), 12,345 in English."""
    text = f"{value:,}"
    return text if lang == "en" else text.replace(",", "\u00a0")


async def handler_names(request: Request, usernames: set[str]) -> dict[str, str]:
    """Display names of handlers (staff accounts are the gateway's)."""
    if not usernames:
        return {}
    async with transaction(sessions_of(request)) as session:
        rows = await session.execute(
            select(StaffUser.username, StaffUser.name).where(StaffUser.username.in_(usernames))
        )
        return {username: name for username, name in rows.all()}


async def group_names(request: Request, codes: set[str]) -> dict[str, str]:
    """Names of the handler groups cases are assigned to (groups are the gateway's too)."""
    if not codes:
        return {}
    async with transaction(sessions_of(request)) as session:
        rows = await session.execute(
            select(StaffGroup.code, StaffGroup.name).where(StaffGroup.code.in_(codes))
        )
        return {code: name for code, name in rows.all()}


def _select(
    name: str, label: str, first: list[tuple[str, str]], options: list[tuple[str, str]], chosen: str
) -> dict[str, Any]:
    values = {value for value, _ in first + options}
    # A filter value from the address that is no option (any more) is still shown as chosen.
    extra = [(chosen, chosen)] if chosen and chosen not in values else []
    return {
        "name": name,
        "id": f"filter-{name}",
        "label": label,
        "options": [
            {"value": value, "text": text, "selected": value == chosen}
            for value, text in first + options + extra
        ],
    }


def _filters(
    view: str, state: ListState, facets: dict[str, Any], lang: str
) -> list[dict[str, Any]]:
    """The drop-down filters of F-LI-4 the caseworker can use here."""
    every = [("", translate("Alla", lang))]
    filters = []
    case_types = facets.get("case_types", [])
    if len(case_types) > 1 or state.case_type:
        filters.append(
            _select(
                "case_type",
                "Ärende",
                every,
                [(ct["code"], ct["name"]) for ct in case_types],
                state.case_type,
            )
        )
    if view != "archived":
        statuses = [
            (s.value, status_text(s.value, lang)) for s in CaseStatus if s != CaseStatus.ARCHIVED
        ]
        first = [("", translate("Alla (ej Avslutad)", lang)), ("any", translate("Alla", lang))]
        filters.append(_select("status", "Status", first, statuses, state.status))
    areas = facets.get("business_areas", [])
    if areas or state.business_area:
        filters.append(
            _select(
                "business_area",
                "Verksamhetstyp",
                every,
                [(a, a) for a in areas],
                state.business_area,
            )
        )
    filters.append(
        _select(
            "priority",
            "Prioritet",
            every,
            [(code, translate(label, lang)) for code, label in PRIORITIES.items()],
            state.priority,
        )
    )
    organizations = facets.get("organizations", [])
    if len(organizations) > 1 or state.organization:
        filters.append(
            _select(
                "organization",
                "Förvaltning",
                every,
                [(o["code"], o["name"]) for o in organizations],
                state.organization,
            )
        )
    return filters


def _columns(path: str, state: ListState) -> list[dict[str, Any]]:
    """Header links: the first click sorts descending, the next ascending (F-LI-2)."""
    columns = []
    for sort, label in COLUMNS:
        current = state.sort == sort
        next_order = "asc" if current and state.order == "desc" else "desc"
        columns.append(
            {
                "label": label,
                "href": f"{path}?{state.query(sort=sort, order=next_order, cursor='')}",
                "aria_sort": (
                    ("descending" if state.order == "desc" else "ascending") if current else None
                ),
                "arrow": ("▼" if state.order == "desc" else "▲") if current else "",
                "action": "sortera stigande" if next_order == "asc" else "sortera fallande",
            }
        )
    return columns


def _search_message(state: ListState, total: int, exact: bool, lang: str) -> str | None:
    if not state.q:
        return None
    if state.detailed:
        text = DETAILED_RESULT if exact else DETAILED_RESULT_ABOUT
    else:
        text = BASIC_RESULT if exact else BASIC_RESULT_ABOUT
    return translate(text, lang, q=state.q, total=number(total, lang))


async def _fetch(
    case_service: CaseServiceClient, caseworker: Caseworker, view: str, state: ListState, limit: int
) -> tuple[dict[str, Any], ListState]:
    try:
        return await case_service.list_cases(
            caseworker.actor, _api_params(view, state, limit)
        ), state
    except StarletteHTTPException as exc:
        if exc.status_code != 422 or not state.cursor:
            raise
    # A cursor from an old address (another sort, or garbled): show the first page instead.
    state = replace(state, cursor="")
    return await case_service.list_cases(caseworker.actor, _api_params(view, state, limit)), state


async def case_list_page(
    request: Request,
    slug: str,
    caseworker: Caseworker,
    case_service: CaseServiceClient,
    settings: GatewaySettings,
) -> Response:
    """One of the three case lists (Mina, Alla, Arkiverade ärenden)."""
    view, label, intro = VIEWS[slug]
    lang = request_language(request)
    state = parse_state(request.query_params)
    try:
        page, state = await _fetch(case_service, caseworker, view, state, settings.page_size)
    except StarletteHTTPException as exc:
        return render(
            request,
            "error.html",
            {"message": error_message(exc, lang)},
            caseworker=caseworker,
            status_code=exc.status_code,
        )
    cases = page["items"]
    path = f"/arenden/{slug}"
    exact = page.get("total_exact", True)
    total = page["total"] if exact else about(page["total"])
    shown = number(len(cases), lang)
    count_text = translate(
        "Visar {shown} av {total} ärenden" if exact else "Visar {shown} av cirka {total} ärenden",
        lang,
        shown=shown,
        total=number(total, lang),
    )
    sort_label = dict(COLUMNS).get(state.sort, "Ärende id")
    caption = translate(
        "{view}, sorterade efter {column}, {direction}",
        lang,
        view=translate(label, lang),
        column=translate(sort_label, lang),
        direction=translate("fallande" if state.order == "desc" else "stigande", lang),
    )
    names = await handler_names(request, {c["handler"] for c in cases if c.get("handler")})
    groups = await group_names(
        request, {c["handler_group"] for c in cases if c.get("handler_group")}
    )

    def page_href(cursor: str | None) -> str | None:
        return f"{path}?{state.query(cursor=cursor)}" if cursor else None

    return render(
        request,
        "case_list.html",
        {
            "view_label": label,
            "view_intro": intro,
            "nav_current": slug,
            "path": path,
            "state": state,
            "filters": _filters(view, state, page.get("facets", {}), lang),
            "columns": _columns(path, state),
            "caption": caption,
            "search_message": _search_message(state, total, exact, lang),
            "detailed_href": (
                f"{path}?{state.query(detailed=True, cursor='')}"
                if state.q and not state.detailed
                else None
            ),
            "clear_href": path if state.filtered else None,
            "cases": cases,
            "handler_names": names,
            "group_names": groups,
            "count_text": count_text,
            "next_href": page_href(page.get("next_cursor")),
            "prev_href": page_href(page.get("prev_cursor")),
            "first_href": f"{path}?{state.query(cursor='')}".rstrip("?") if state.cursor else None,
        },
        caseworker=caseworker,
    )
