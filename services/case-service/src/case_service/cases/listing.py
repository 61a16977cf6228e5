"""The case list (F-LI-1..5): views, filters, search, sorting, keyset paging, totals, facets.

Rules, measured at 1M cases in bench/list_search.py (figures in bench/README.md):

- Scope: every query, count and facet is limited to `access.visible_case_type_ids`.
- Views: `mine` = handler is me or one of my handler groups; `all` = not archived; `archived`.
  Status `open` (the default, "Alla (ej Avslutad)") leaves out Avslutad and Avslutad av
  användaren; `any` keeps every status.
- Grundläggande sökning: part of the id, reference, personnummer, account or name,
  case-insensitive (`lower(column) LIKE lower('%q%')` over trigram indexes). Detaljerad sökning
  also matches the submitted form: every word of the term as the start of a word of the form's
  labels and values (`form_search @@ 'w1':* & 'w2':*`, a GIN index).
- Paging is keyset on (sort key, id) in both directions, never OFFSET. A cursor is opaque and
  belongs to one sort and order; another one is refused with 422.
- Every query of a list request runs with `plan_cache_mode = force_custom_plan`: asyncpg
  prepares statements, and after five executions PostgreSQL may switch to a generic plan that
  walks the `updated_at` index instead of the trigram indexes (~1000x slower for a search).
- A list that is not a search and not Mina ärenden reads each case type it covers (up to 50)
  on its own, in the sort's order, from the index on (case type, archived, sort key, id), and
  merges them (`UNION ALL` of LIMITed selects): a page costs the same for any scope and sort,
  even where the sort follows the case type (Ärende) or a scope is a sliver of a big view. A
  search or Mina ärenden is one query (trigram or handler indexes, then a sort of the matches).
- `total`: a first page that is not full counts itself. Otherwise the exact count runs as a
  task of its own (one per scope and filters at a time, at most two at once) and the request
  waits for it up to `list_count_wait_seconds` (50 ms) when PostgreSQL estimates at most 20,000
  cases: small totals are exact. A count that is not done in time is answered with the
  planner's estimate (`total_exact: false`, shown as "cirka"); the task goes on, and a count
  that cost more than 20 ms is kept for `list_count_cache_seconds` (30 s) and answered exactly
  from there. Counting 130,000 cases costs ~90 ms at 1M cases, an unselective search's
  matches up to ~1.4 s, so large totals never hold up a page.
"""

import asyncio
import base64
import binascii
import json
import logging
import re
import time
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, get_args

from fastapi import APIRouter, HTTPException, Query, Request
from sqlalchemy import (
    ARRAY,
    BigInteger,
    ColumnElement,
    DateTime,
    Integer,
    Text,
    all_,
    any_,
    bindparam,
    cast,
    false,
    func,
    or_,
    select,
    text,
    tuple_,
    union_all,
)
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.types import TypeEngine

from arende_contracts.access import Actor
from arende_contracts.case_list import (
    DEFAULT_LIMIT,
    MAX_CODE_LENGTH,
    MAX_CURSOR_LENGTH,
    MAX_LIMIT,
    MAX_QUERY_LENGTH,
    Order,
    Sort,
    StatusFilter,
    View,
)
from arende_contracts.statuses import CLOSED_STATUSES, CaseStatus
from case_service.access import ActorDep, visible_case_type_ids
from case_service.cases.items import ITEM_COLUMNS, case_item
from case_service.deps import SessionDep
from case_service.models import (
    ARCHIVED,
    CASE_ID_TEXT,
    CASE_SEARCH_COLUMNS,
    CASE_SORT_KEYS,
    STATUS_ORDER,
    SWEDISH,
    Case,
    CaseType,
    Organization,
)
from case_service.settings import CaseServiceSettings

log = logging.getLogger(__name__)

router = APIRouter(prefix="/internal/cases", tags=["cases"])

assert set(get_args(Sort)) == set(CASE_SORT_KEYS)
assert set(STATUS_ORDER) == {s.value for s in CaseStatus}

# Running every statement of a list request with custom plans (see the module docstring).
CUSTOM_PLANS = "SET LOCAL plan_cache_mode = force_custom_plan"

_SORT_TYPES: dict[str, TypeEngine[Any]] = {
    "updated_at": DateTime(timezone=True),
    "submitted_at": DateTime(timezone=True),
    "title": Text(),
    "status": Integer(),
    "reference": Text(),
    "submitter": Text(),
    "id": BigInteger(),
}
_BIGINT_MAX = 2**63 - 1
_CLOSED = sorted(s.value for s in CLOSED_STATUSES)


# --- parameters and cursors ---------------------------------------------------------------------


@dataclass(frozen=True)
class ListParams:
    """What a caller asked the list for (validated by the endpoint)."""

    view: View = "all"
    q: str | None = None
    detailed: bool = False
    case_type: str | None = None
    status: StatusFilter = "open"
    business_area: str | None = None
    organization: str | None = None
    sort: Sort = "updated_at"
    order: Order = "desc"
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None


def cursor_error(code: str, detail: str) -> HTTPException:
    """A 422 about the cursor; `x-error-code` lets the gateway word it for its caller."""
    return HTTPException(status_code=422, detail=detail, headers={"x-error-code": code})


@dataclass(frozen=True)
class Cursor:
    """A position in one sort: before (`backward`) or after the row (value, case_id)."""

    backward: bool
    value: Any
    case_id: int


def encode_cursor(sort: str, order: str, backward: bool, value: Any, case_id: int) -> str:
    """An opaque cursor for the row with sort key `value` and id `case_id`."""
    if isinstance(value, datetime):
        value = value.isoformat()
    raw = [1, sort, order, "prev" if backward else "next", value, case_id]
    data = json.dumps(raw, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _sort_value(sort: str, value: Any) -> Any:
    if sort in ("updated_at", "submitted_at"):
        stamp = datetime.fromisoformat(value)
        if stamp.tzinfo is None:
            raise ValueError("naive time")
        return stamp
    if sort in ("title", "reference", "submitter"):
        if not isinstance(value, str):
            raise TypeError("text expected")
        return value
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= _BIGINT_MAX:
        raise TypeError("integer expected")
    return value


def decode_cursor(cursor: str, sort: str, order: str) -> Cursor:
    """The position a cursor names; 422 when it is malformed or belongs to another sort."""
    try:
        data = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        version, c_sort, c_order, direction, value, case_id = json.loads(data)
        if version != 1 or direction not in ("next", "prev") or c_sort not in CASE_SORT_KEYS:
            raise ValueError("unknown cursor")
        if not isinstance(case_id, int) or isinstance(case_id, bool):
            raise TypeError("integer id expected")
        if not 0 <= case_id <= _BIGINT_MAX:
            raise ValueError("id out of range")
        value = _sort_value(c_sort, value)
    except (ValueError, TypeError, binascii.Error) as exc:
        raise cursor_error("invalid_cursor", "invalid cursor") from exc
    if (c_sort, c_order) != (sort, order):
        raise cursor_error(
            "cursor_sort_mismatch",
            f"the cursor belongs to sort {c_sort} {c_order}, not {sort} {order}",
        )
    return Cursor(direction == "prev", value, case_id)


# --- conditions ---------------------------------------------------------------------------------


def _array(name: str, values: Sequence[Any], item: TypeEngine[Any]) -> BindParameter[Any]:
    return bindparam(name, list(values), type_=ARRAY(item))


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def normalize_query(q: str | None) -> str | None:
    """The search term as matched: control characters dropped, white space collapsed."""
    if q is None:
        return None
    cleaned = " ".join("".join(c if c.isprintable() else " " for c in q).split())
    return cleaned[:MAX_QUERY_LENGTH] or None


FORM_WORDS = text("SELECT lexeme FROM unnest(to_tsvector('simple'::regconfig, :term))")


async def form_words(session: AsyncSession, term: str) -> list[str]:
    """The words of `term` as `case_form_search` makes the words of a form (the same parser)."""
    words = await session.scalars(FORM_WORDS, {"term": term})
    return [w for w in words if w][:16]


def prefix_tsquery(words: Sequence[str]) -> str:
    """['flex', 'linj'] → "'flex':* & 'linj':*": every word as the start of a word of the form."""
    quoted = ("'" + w.replace("\\", "\\\\").replace("'", "''") + "':*" for w in words)
    return " & ".join(quoted)


def search_condition(term: str, words: Sequence[str] | None) -> ColumnElement[bool]:
    """Grundläggande sökning on `term` (a normalized non-empty string); with the term's `words`
    (from `form_words`), detaljerad sökning."""
    pattern = bindparam("pattern", _like_pattern(term), type_=Text())
    lowered = func.lower(pattern)
    arms: list[ColumnElement[bool]] = [
        CASE_SEARCH_COLUMNS["reference"].like(lowered, escape="\\"),
        CASE_SEARCH_COLUMNS["account"].like(lowered, escape="\\"),
    ]
    if any(c.isalpha() for c in term):
        arms.append(CASE_SEARCH_COLUMNS["name"].like(lowered, escape="\\"))
    # Ids and personnummer are digits; "19121212-1212" and "121212 1212" are found too.
    digits = re.sub(r"[\s+-]", "", term)
    if digits.isdigit():
        number = bindparam("digits", f"%{digits}%", type_=Text())
        arms.append(CASE_ID_TEXT.like(number))
        arms.append(CASE_SEARCH_COLUMNS["personal_number"].like(number))
    if words:
        query = cast(bindparam("words", prefix_tsquery(words), type_=Text()), TSQUERY)
        arms.append(Case.form_search.op("@@")(query))
    return or_(*arms)


@dataclass(frozen=True)
class Scope:
    """The case types a list covers after the actor's scope and the type filters."""

    case_types: list[dict[str, Any]]  # every case type the actor may see (the facets)
    case_type_ids: list[int] | None  # the filter; None = no filter (a superuser, unfiltered)


@dataclass(frozen=True)
class Where:
    """The WHERE of a list: the case types it covers and the other conditions."""

    case_type_ids: list[int] | None  # None: every case type
    conditions: list[ColumnElement[bool]]

    def all(self) -> list[ColumnElement[bool]]:
        """Every condition, the case types as `= ANY(...)` (or `=` for one)."""
        ids = self.case_type_ids
        if ids is None:
            return self.conditions
        if len(ids) == 1:
            return [Case.case_type_id == ids[0], *self.conditions]
        return [
            Case.case_type_id == any_(_array("case_type_ids", ids, Integer())),
            *self.conditions,
        ]

    def of_type(self, case_type_id: int) -> list[ColumnElement[bool]]:
        return [Case.case_type_id == case_type_id, *self.conditions]


def list_conditions(
    actor: Actor, params: ListParams, scope: Scope, words: Sequence[str] | None = None
) -> Where:
    """The WHERE of a list: scope and type filters, view, status, business area, search (with
    the term's `words` when the search is detailed)."""
    conditions: list[ColumnElement[bool]] = []
    # The forms the sort indexes lead with (see models.ARCHIVED).
    conditions.append(ARCHIVED if params.view == "archived" else ARCHIVED.is_(false()))
    if params.view == "mine":
        mine = Case.handler == actor.username
        if actor.groups:
            groups = _array("handler_groups", actor.groups, Text())
            mine = or_(mine, Case.handler_group == any_(groups))
        conditions.append(mine)
    if params.status == "open":
        conditions.append(Case.status != all_(_array("closed", _CLOSED, Text())))
    elif params.status != "any":
        conditions.append(Case.status == params.status)
    if params.business_area is not None:
        conditions.append(Case.business_area == params.business_area)
    term = normalize_query(params.q)
    if term:
        conditions.append(search_condition(term, words if params.detailed else None))
    return Where(scope.case_type_ids, conditions)


# Above this many case types a list is one query (planning grows with the parts: ~5 ms at 50).
MAX_PARTS = 50


def list_parts(params: ListParams, where: Where, case_types: list[dict[str, Any]]) -> list[int]:
    """The case types a page is read from one by one; none for one query (see the rules)."""
    if normalize_query(params.q) or params.view == "mine":
        return []
    ids = where.case_type_ids
    if ids is None:
        ids = [ct["id"] for ct in case_types]
    return ids if 2 <= len(ids) <= MAX_PARTS else []


def page_query(
    params: ListParams, where: Where, cursor: Cursor | None, parts: Sequence[int] = ()
) -> Any:
    """The SELECT of one page (limit + 1 rows, to know whether another page follows), from each
    case type of `parts` in turn and merged, or as one query."""
    key = CASE_SORT_KEYS[params.sort]
    # Scanning backward (towards the previous page) runs the order the other way round.
    descending = (params.order == "desc") != (cursor is not None and cursor.backward)
    position: list[ColumnElement[bool]] = []
    if cursor is not None:
        value = bindparam("cursor_value", cursor.value, type_=_SORT_TYPES[params.sort])
        case_id = bindparam("cursor_id", cursor.case_id, type_=BigInteger())
        if params.sort == "id":
            position.append(Case.id < case_id if descending else Case.id > case_id)
        else:
            row, at = tuple_(key, Case.id), tuple_(value, case_id)
            position.append(row < at if descending else row > at)

    def ordered(columns: Sequence[Any]) -> list[Any]:
        return [c.desc() if descending else c.asc() for c in columns]

    keys = [Case.id] if params.sort == "id" else [key, Case.id]
    size = params.limit + 1

    def page(conditions: list[ColumnElement[bool]]) -> Any:
        return (
            select(*ITEM_COLUMNS, key.label("sort_key"))
            .where(*conditions, *position)
            .order_by(*ordered(keys))
            .limit(size)
        )

    if not parts:
        return page(where.all())
    merged = union_all(*(page(where.of_type(t)) for t in parts)).subquery("parts")
    return (
        select(*(merged.c[c.key] for c in ITEM_COLUMNS), merged.c.sort_key)
        .order_by(*ordered([merged.c.sort_key, merged.c.id]))
        .limit(size)
    )


# --- totals -------------------------------------------------------------------------------------


@dataclass
class TotalCounter:
    """Totals of list queries (the rule is in the module docstring). One per process: each
    replica counts and caches on its own."""

    wait_seconds: float = 0.05
    wait_below: int = 20_000
    cache_seconds: float = 30.0
    expensive_seconds: float = 0.02
    count_timeout_seconds: float = 10.0
    max_running: int = 2
    max_entries: int = 2_000
    _cache: dict[Hashable, tuple[float, int]] = field(default_factory=dict)
    _running: dict[Hashable, asyncio.Task[int | None]] = field(default_factory=dict)

    async def total(
        self,
        session: AsyncSession,
        sessions: async_sessionmaker[AsyncSession],
        key: Hashable,
        conditions: list[ColumnElement[bool]],
    ) -> tuple[int, bool]:
        """(total, exact) of the cases matching `conditions`."""
        cached = self._cache.get(key)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1], True
        estimate = await planner_rows(session, select(Case.id).where(*conditions))
        task = self._running.get(key)
        if task is None:
            if len(self._running) >= self.max_running:
                return estimate, False  # busy counting for others: the estimate must do
            task = asyncio.get_running_loop().create_task(self._count(key, conditions, sessions))
            self._running[key] = task
            task.add_done_callback(lambda _: self._running.pop(key, None))
        if estimate <= self.wait_below:
            done, _ = await asyncio.wait({task}, timeout=self.wait_seconds)
            if done:
                total = task.result()
                if total is not None:
                    return total, True
        return estimate, False

    async def _count(
        self,
        key: Hashable,
        conditions: list[ColumnElement[bool]],
        sessions: async_sessionmaker[AsyncSession],
    ) -> int | None:
        started = time.monotonic()
        try:
            async with sessions() as session, session.begin():
                await session.execute(text(CUSTOM_PLANS))
                timeout_ms = int(self.count_timeout_seconds * 1000)
                await session.execute(text(f"SET LOCAL statement_timeout = {timeout_ms}"))
                total = await session.scalar(
                    select(func.count()).select_from(Case).where(*conditions)
                )
        except Exception as exc:  # the estimate stays; a later request tries again
            log.warning("case list count failed", extra={"error": repr(exc)[:300]})
            return None
        total = int(total or 0)
        now = time.monotonic()
        if now - started >= self.expensive_seconds:
            if len(self._cache) >= self.max_entries:
                self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
                if len(self._cache) >= self.max_entries:
                    self._cache.clear()
            self._cache[key] = (now + self.cache_seconds, total)
        return total


def compiled(session: AsyncSession, statement: Any) -> tuple[str, list[Any]]:
    """The SQL text ($1, $2, …) and arguments asyncpg runs for `statement`."""
    done = statement.compile(
        dialect=session.get_bind().dialect, compile_kwargs={"render_postcompile": True}
    )
    return str(done), [done.params[name] for name in done.positiontup or ()]


async def planner_rows(session: AsyncSession, statement: Any) -> int:
    """PostgreSQL's estimate of the rows `statement` returns (EXPLAIN, nothing is read)."""
    sql, args = compiled(session, statement)
    connection = await session.connection()
    result = await connection.exec_driver_sql("EXPLAIN (FORMAT JSON) " + sql, tuple(args))
    plan = result.scalar_one()
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def totals_of(request: Request) -> TotalCounter:
    """The process's total counter, made from case-service's settings on first use."""
    counter: TotalCounter | None = getattr(request.app.state, "case_totals", None)
    if counter is None:
        settings: CaseServiceSettings = request.app.state.runtime.settings
        counter = TotalCounter(
            wait_seconds=settings.list_count_wait_seconds,
            cache_seconds=settings.list_count_cache_seconds,
        )
        request.app.state.case_totals = counter
    return counter


# --- facets -------------------------------------------------------------------------------------


async def visible_case_types(session: AsyncSession, actor: Actor) -> list[dict[str, Any]]:
    """The case types the actor may see, with their organizations, by name."""
    allowed = await visible_case_type_ids(session, actor)
    if allowed is not None and not allowed:
        return []
    query = (
        select(
            CaseType.id,
            CaseType.code,
            CaseType.name,
            Organization.code.label("organization"),
            Organization.name.label("organization_name"),
        )
        .join(Organization, Organization.id == CaseType.organization_id)
        .order_by(CaseType.name.collate(SWEDISH), CaseType.id)
    )
    if allowed is not None:
        query = query.where(CaseType.id == any_(_array("allowed", allowed, Integer())))
    return [dict(row._mapping) for row in await session.execute(query)]


# The distinct business areas of some case types, one index probe per value (a "skip scan" on
# ix_cases_type_business_area): ~100 probes instead of reading every case.
BUSINESS_AREAS = text(
    """
    WITH RECURSIVE areas(case_type_id, business_area) AS (
        SELECT t.id, (SELECT min(c.business_area) FROM cases c
                      WHERE c.case_type_id = t.id AND c.business_area IS NOT NULL)
        FROM unnest(CAST(:ids AS integer[])) AS t(id)
        UNION ALL
        SELECT a.case_type_id, (SELECT min(c.business_area) FROM cases c
                                WHERE c.case_type_id = a.case_type_id
                                  AND c.business_area > a.business_area)
        FROM areas a
        WHERE a.business_area IS NOT NULL
    )
    SELECT DISTINCT business_area FROM areas WHERE business_area IS NOT NULL
    """
)


async def business_areas(session: AsyncSession, case_type_ids: list[int]) -> list[str]:
    """Verksamhetstyp values used by cases of these case types, in Swedish order."""
    if not case_type_ids:
        return []
    values = (await session.execute(BUSINESS_AREAS, {"ids": case_type_ids})).scalars()
    return sorted(values, key=_swedish_key)


_SWEDISH_LETTERS = str.maketrans({"å": "{", "ä": "|", "ö": "}", "æ": "|", "ø": "}"})


def _swedish_key(value: str) -> str:
    return value.casefold().translate(_SWEDISH_LETTERS)


def facets(case_types: list[dict[str, Any]], areas: list[str]) -> dict[str, Any]:
    """The filter options of the UI: case types, organizations, business areas."""
    organizations: dict[str, str] = {}
    for ct in case_types:
        organizations.setdefault(ct["organization"], ct["organization_name"])
    return {
        "case_types": [
            {"code": ct["code"], "name": ct["name"], "organization": ct["organization"]}
            for ct in case_types
        ],
        "organizations": [
            {"code": code, "name": name}
            for code, name in sorted(organizations.items(), key=lambda o: _swedish_key(o[1]))
        ],
        "business_areas": areas,
    }


# --- the list -----------------------------------------------------------------------------------


def _scope(case_types: list[dict[str, Any]], superuser: bool, params: ListParams) -> Scope:
    if superuser and params.case_type is None and params.organization is None:
        return Scope(case_types, None)
    ids = [
        ct["id"]
        for ct in case_types
        if (params.case_type is None or ct["code"] == params.case_type)
        and (params.organization is None or ct["organization"] == params.organization)
    ]
    return Scope(case_types, ids)


def _count_key(actor: Actor, params: ListParams, scope: Scope) -> Hashable:
    mine = (actor.username, tuple(sorted(actor.groups))) if params.view == "mine" else None
    ids = None if scope.case_type_ids is None else tuple(sorted(scope.case_type_ids))
    term = normalize_query(params.q)
    return (
        ids,
        params.view,
        mine,
        params.status,
        params.business_area,
        term.lower() if term else None,
        params.detailed and bool(term),
    )


async def list_page(
    session: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    totals: TotalCounter,
    actor: Actor,
    params: ListParams,
) -> dict[str, Any]:
    """One page of a case list with its total, cursors and the filters' options."""
    cursor = decode_cursor(params.cursor, params.sort, params.order) if params.cursor else None
    await session.execute(text(CUSTOM_PLANS))
    case_types = await visible_case_types(session, actor)
    scope = _scope(case_types, actor.superuser, params)
    areas = await business_areas(session, [ct["id"] for ct in case_types])
    answer: dict[str, Any] = {
        "items": [],
        "total": 0,
        "total_exact": True,
        "limit": params.limit,
        "next_cursor": None,
        "prev_cursor": None,
        "sort": params.sort,
        "order": params.order,
        "facets": facets(case_types, areas),
    }
    if scope.case_type_ids is not None and not scope.case_type_ids:
        return answer
    term = normalize_query(params.q)
    words = await form_words(session, term) if term and params.detailed else None
    where = list_conditions(actor, params, scope, words)
    query = page_query(params, where, cursor, list_parts(params, where, case_types))
    rows = [row._mapping for row in await session.execute(query)]
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    if cursor is not None and cursor.backward:
        rows.reverse()
    types = {ct["id"]: ct for ct in case_types}
    answer["items"] = [case_item(row, types[row["case_type_id"]]) for row in rows]
    if rows:
        first, last = rows[0], rows[-1]
        backward = cursor is not None and cursor.backward
        if more or backward:
            answer["next_cursor"] = encode_cursor(
                params.sort, params.order, False, last["sort_key"], last["id"]
            )
        if (more and backward) or (cursor is not None and not backward):
            answer["prev_cursor"] = encode_cursor(
                params.sort, params.order, True, first["sort_key"], first["id"]
            )
    if cursor is None and not more:
        answer["total"] = len(rows)
    else:
        key = _count_key(actor, params, scope)
        answer["total"], answer["total_exact"] = await totals.total(
            session, sessions, key, where.all()
        )
    return answer


@router.get("")
async def list_cases(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    view: View = "all",
    q: Annotated[str | None, Query(max_length=MAX_QUERY_LENGTH)] = None,
    detailed: bool = False,
    case_type: Annotated[str | None, Query(max_length=MAX_CODE_LENGTH)] = None,
    status: StatusFilter = "open",
    business_area: Annotated[str | None, Query(max_length=MAX_CODE_LENGTH)] = None,
    organization: Annotated[str | None, Query(max_length=MAX_CODE_LENGTH)] = None,
    sort: Sort = "updated_at",
    order: Order = "desc",
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=MAX_CURSOR_LENGTH)] = None,
) -> dict[str, Any]:
    """A page of the cases of a view the actor may see, filtered, searched and sorted.

    `total` counts every matching case (`total_exact` false: an estimate, see the module's
    rules); pass `next_cursor` or `prev_cursor` back as `cursor` to page on.
    """
    params = ListParams(
        view=view,
        q=q,
        detailed=detailed,
        case_type=case_type or None,
        status=status,
        business_area=business_area or None,
        organization=organization or None,
        sort=sort,
        order=order,
        limit=limit,
        cursor=cursor or None,
    )
    sessions = request.app.state.runtime.sessions
    return await list_page(session, sessions, totals_of(request), actor, params)
