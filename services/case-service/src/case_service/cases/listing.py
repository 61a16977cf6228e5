"""The case list (F-LI-1..5): views, filters, search, sorting, keyset paging, totals, facets.

Rules, measured at 1M cases in bench/list_search.py (figures in bench/README.md):

- Scope: every query, count and facet is limited to `access.visible_case_types`.
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
- Reading a page (`read_page`), chosen so that no estimate error can make it slow:
  - A search that PostgreSQL expects to match at most 2,000 cases (Mina ärenden: 10,000)
    after the view and status is read among those candidates: found through their own
    indexes behind a fence (a MATERIALIZED CTE), then filtered and sorted, which also gives
    the exact total. If there turn out to be more, the page is read as below.
  - Otherwise a search or Mina ärenden sorted by Ändrades is one query: PostgreSQL walks an
    `updated_at` index (or the handler's) newest first until the page is full.
  - Every other list reads each case type it covers (2 to 500 of them) in the order of its
    sort from the index on (case type, archived, sort key, id), a LATERAL join over the case
    type ids, and sorts the few rows: a page costs the same for any scope, sort and filter,
    also where the sort follows the case type (Ärende) or a scope is a sliver of a big view.
- `total`, decided by measurement at 1M cases (bench/README.md): exact from the candidates,
  or from a first page that is not full, or counted in the request when PostgreSQL expects
  at most 5,000 at a plan cost of at most 10,000 (~15 ms; the count stops after 5,001 rows in
  case the estimate is wrong). Up to 20,000 at a cost of at most 60,000 (~100 ms), the count
  runs as a task of its own (one per scope and filters at a time, at most two at once) that
  the request waits for 25 ms (`list_count_wait_seconds`); a count that took more than 20 ms
  is kept for 30 s (`list_count_cache_seconds`). Any other total is PostgreSQL's estimate
  (`total_exact: false`, "cirka" in the UI): within a few per cent with the statistics of
  migration 0003, where counting the 130,000 open cases would cost 100–200 ms of a database
  core and the matches of an unselective search up to 2 s.
"""

import asyncio
import base64
import binascii
import json
import logging
import re
import time
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, ClassVar, get_args

from fastapi import APIRouter, HTTPException, Query, Request, Response
from sqlalchemy import (
    ARRAY,
    BigInteger,
    ColumnElement,
    DateTime,
    Integer,
    Select,
    Text,
    all_,
    any_,
    bindparam,
    cast,
    false,
    func,
    literal_column,
    or_,
    select,
    text,
    true,
    tuple_,
)
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter, ClauseElement
from sqlalchemy.sql.util import ClauseAdapter
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import TypeEngine

from arende_contracts.access import Actor
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
from arende_contracts.statuses import CLOSED_STATUSES, CaseStatus
from case_service.access import ActorDep, visible_case_types
from case_service.cases.items import ITEM_COLUMNS, case_item
from case_service.deps import SessionDep
from case_service.models import (
    ARCHIVED,
    CASE_ID_TEXT,
    CASE_SEARCH_COLUMNS,
    CASE_SORT_KEYS,
    STATUS_ORDER,
    Case,
)
from case_service.settings import CaseServiceSettings
from case_service.tasks.service import has_my_open_task, my_task_case_ids

log = logging.getLogger(__name__)

router = APIRouter(prefix="/internal/cases", tags=["cases"])

assert set(get_args(Sort)) == set(CASE_SORT_KEYS)
assert set(STATUS_ORDER) == {s.value for s in CaseStatus}

# Every statement of a list request runs with custom plans (see the module docstring), and
# without JIT compilation, which costs more than it saves on queries of a few milliseconds
# (PostgreSQL turns it on for any plan it thinks costly).
CUSTOM_PLANS = (
    "SELECT set_config('plan_cache_mode', 'force_custom_plan', true),"
    " set_config('jit', 'off', true)"
)

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
    priority: Priority | None = None


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
    """The WHERE of a list: the case types it covers, the filters (view, status, business
    area), and the conditions that pick few cases through an index of their own (Mina ärenden:
    the handler; a search: the trigram and form indexes).

    `filters` has the view in the form the sort indexes lead with (archived or not, see
    models.ARCHIVED); `counting()` says the same with the status alone, which PostgreSQL
    estimates well (it cannot know that "not archived" and "not closed" overlap).
    """

    case_type_ids: list[int] | None  # None: every case type
    filters: list[ColumnElement[bool]]
    selective: list[ColumnElement[bool]]
    counted_filters: list[ColumnElement[bool]]
    actor: Actor

    def my_task(self, case_id: ColumnElement[Any]) -> ColumnElement[bool]:
        """The page's task marker: whether the case holds an open task for the actor."""
        return has_my_open_task(self.actor, case_id).label("my_task")

    def types(self) -> list[ColumnElement[bool]]:
        """The case types as `= ANY(...)` (or `=` for one)."""
        ids = self.case_type_ids
        if ids is None:
            return []
        if len(ids) == 1:
            return [Case.case_type_id == ids[0]]
        return [Case.case_type_id == any_(_array("case_type_ids", ids, Integer()))]

    def all(self) -> list[ColumnElement[bool]]:
        return [*self.types(), *self.filters, *self.selective]

    def counting(self) -> list[ColumnElement[bool]]:
        """The cases of `all()`, for counts and estimates."""
        return [*self.types(), *self.counted_filters, *self.selective]

    def candidates(self) -> list[ColumnElement[bool]]:
        """What picks a search's (or Mina ärenden's) candidates: its own conditions and the
        filters in forms that no sort index serves, so PostgreSQL uses the search's indexes and
        checks the rest row by row."""
        return [*self.counted_filters, *self.selective]


def _status_filters(
    params: ListParams,
) -> tuple[list[ColumnElement[bool]], list[ColumnElement[bool]]]:
    """(view and status for the sort indexes, the same as status conditions)."""
    archived = params.view == "archived"
    view = ARCHIVED if archived else ARCHIVED.is_(false())
    # `status = ANY('{archived}')`: `status = 'archived'` would be the sort indexes' leading
    # expression, and then PostgreSQL may AND a search with half of such an index.
    only_archived = Case.status == any_(_array("archived", [CaseStatus.ARCHIVED.value], Text()))
    if params.status == "open":
        if archived:
            return [view], [only_archived]
        closed = _array("closed", _CLOSED, Text())
        not_open = _array("not_open", [*_CLOSED, CaseStatus.ARCHIVED.value], Text())
        return [view, Case.status != all_(closed)], [Case.status != all_(not_open)]
    if params.status == "any":
        if archived:
            return [view], [only_archived]
        return [view], [Case.status != CaseStatus.ARCHIVED.value]
    if archived != (params.status == CaseStatus.ARCHIVED.value):
        return [view, false()], [false()]  # e.g. Behandlas among the archived: none
    return [view, Case.status == params.status], [Case.status == params.status]


def list_conditions(
    actor: Actor,
    params: ListParams,
    scope: Scope,
    words: Sequence[str] | None = None,
    task_case_ids: Sequence[int] = (),
) -> Where:
    """The WHERE of a list: scope and type filters, view, status, business area, priority,
    search (with the term's `words` when the search is detailed). Mina ärenden also holds the
    cases where the actor has an open task (`task_case_ids`, F-AD-6)."""
    filters, counted = _status_filters(params)
    if params.business_area is not None:
        area = Case.business_area == params.business_area
        filters, counted = [*filters, area], [*counted, area]
    selective: list[ColumnElement[bool]] = []
    if params.priority == "medium":
        # Most cases: a filter like the status (the sort indexes read past the others).
        filters, counted = (
            [*filters, Case.priority == "medium"],
            [*counted, Case.priority == "medium"],
        )
    elif params.priority is not None:
        # Few cases, found through ix_cases_priority like a search through its indexes.
        selective.append(Case.priority == params.priority)
    if params.view == "mine":
        mine = Case.handler == actor.username
        if actor.groups:
            groups = _array("handler_groups", actor.groups, Text())
            mine = or_(mine, Case.handler_group == any_(groups))
        if task_case_ids:
            tasks = _array("task_case_ids", task_case_ids, BigInteger())
            mine = or_(mine, Case.id == any_(tasks))
        selective.append(mine)
    term = normalize_query(params.q)
    if term:
        selective.append(search_condition(term, words if params.detailed else None))
    return Where(scope.case_type_ids, filters, selective, counted, actor)


# A search or Mina ärenden with at most this many cases matching its own conditions sorts
# them; one with more is read in order of the sort (see page_query).
CANDIDATES = 2_000
# Mina ärenden without a search: a caseworker's own cases come through the handler index alone
# (no trigram recheck), so up to 10,000 of them are read and sorted in ~10 ms at 1M cases,
# where the per-case-type walk of the sort indexes intersects bitmaps for each case type
# (50 ms for 3,000 cases over 10 case types, bench/README.md).
MINE_CANDIDATES = 10_000


def candidate_limit(params: ListParams) -> int:
    """How many candidates a selective list reads before it reads per case type instead."""
    return MINE_CANDIDATES if params.view == "mine" and not params.q else CANDIDATES


# Above this many case types a list is one query over them all (an `= ANY` and a sort).
MAX_PARTS = 500


def _position(params: ListParams, cursor: Cursor | None) -> tuple[bool, list[ColumnElement[bool]]]:
    """(descending, the keyset condition) of a page at `cursor`."""
    key = CASE_SORT_KEYS[params.sort]
    # Scanning backward (towards the previous page) runs the order the other way round.
    descending = (params.order == "desc") != (cursor is not None and cursor.backward)
    if cursor is None:
        return descending, []
    value = bindparam("cursor_value", cursor.value, type_=_SORT_TYPES[params.sort])
    case_id = bindparam("cursor_id", cursor.case_id, type_=BigInteger())
    if params.sort == "id":
        return descending, [Case.id < case_id if descending else Case.id > case_id]
    row, at = tuple_(key, Case.id), tuple_(value, case_id)
    return descending, [row < at if descending else row > at]


def _ordered(columns: Sequence[Any], descending: bool) -> list[Any]:
    return [c.desc() if descending else c.asc() for c in columns]


def candidates_query(params: ListParams, where: Where, cursor: Cursor | None) -> Select[Any]:
    """The page among the cases that match the selective conditions (a search, Mina ärenden),
    at most CANDIDATES of them, found first through their own indexes and then filtered and
    sorted; with the number of candidates (CANDIDATES + 1: too many, the page is not valid)
    and of matches (the exact total).

    The candidates are behind a fence (a MATERIALIZED CTE): PostgreSQL's estimates of a search
    are rough, and it would rather AND the search with a scan of a quarter of the table (the
    archived-or-not half of an index) than filter a few hundred rows.
    """
    descending, position = _position(params, cursor)
    found = (
        select(*ITEM_COLUMNS)
        .where(*where.candidates())
        .limit(candidate_limit(params) + 1)
        .cte("candidates")
        .prefix_with("MATERIALIZED")
    )
    adapter = ClauseAdapter(found)

    def adapt(element: Any) -> Any:
        """`element` over the candidates instead of the table."""
        element = getattr(element, "__clause_element__", lambda: element)()
        return adapter.traverse(element)

    kept = [adapt(c) for c in (*where.types(), *where.filters)]
    key = adapt(CASE_SORT_KEYS[params.sort])
    keys = [found.c.id] if params.sort == "id" else [key, found.c.id]
    statement = (
        select(
            *(found.c[c.key] for c in ITEM_COLUMNS),
            key.label("sort_key"),
            where.my_task(found.c.id),
            select(func.count()).select_from(found).scalar_subquery().label("candidates"),
            select(func.count()).select_from(found).where(*kept).scalar_subquery().label("matches"),
        )
        .where(*kept, *(adapt(c) for c in position))
        .order_by(*_ordered(keys, descending))
        .limit(params.limit + 1)
    )
    return statement


# The per-case-type rows as the merging query selects them (`page.id AS id`, …), made once:
# taking them from the LATERAL's `.c` built a proxy of every column for every request (a sixth
# of the list's CPU for a first page).
_PAGE = "page"
_PAGE_COLUMNS = tuple(literal_column(f"{_PAGE}.{c.key}", c.type).label(c.key) for c in ITEM_COLUMNS)
assert _PAGE_COLUMNS[0].key == "id"


def ordered_query(
    params: ListParams, where: Where, cursor: Cursor | None, case_type_ids: Sequence[int]
) -> Select[Any]:
    """The page read in the order of its sort.

    For 2 to MAX_PARTS case types, each one's next rows are read from the index on (case type,
    archived, sort key, id) and the few merged (a LATERAL join over the case type ids): a page
    costs the same for any scope, sort and filter, also where the sort follows the case type
    (Ärende) or the scope is a sliver of a big view. Otherwise one query.
    """
    descending, position = _position(params, cursor)
    key = CASE_SORT_KEYS[params.sort]
    keys = [Case.id] if params.sort == "id" else [key, Case.id]
    size = params.limit + 1
    if not 2 <= len(case_type_ids) <= MAX_PARTS:
        statement = (
            select(*ITEM_COLUMNS, key.label("sort_key"), where.my_task(Case.id))
            .where(*where.all(), *position)
            .order_by(*_ordered(keys, descending))
            .limit(size)
        )
        return statement
    parts = (
        func.unnest(_array("part_ids", case_type_ids, Integer()))
        .table_valued("id")
        .render_derived(name="parts", with_types=False)
    )
    each = (
        select(*ITEM_COLUMNS, key.label("sort_key"))
        .where(Case.case_type_id == parts.c.id, *where.filters, *where.selective, *position)
        .order_by(*_ordered(keys, descending))
        .limit(size)
        .lateral(_PAGE)
    )
    sort_key = literal_column(f"{_PAGE}.sort_key", _SORT_TYPES[params.sort])
    statement = (
        select(*_PAGE_COLUMNS, sort_key.label("sort_key"), where.my_task(_PAGE_COLUMNS[0].element))
        .select_from(parts)
        .join(each, true())
        .order_by(*_ordered([sort_key, _PAGE_COLUMNS[0].element], descending))
        .limit(size)
    )
    return statement


# --- totals -------------------------------------------------------------------------------------


@dataclass
class TotalCounter:
    """Totals of list queries (the rule is in the module docstring). One per process: each
    replica counts and caches on its own."""

    count_here_below: int = 5_000
    count_here_cost: float = 10_000
    # Larger totals are not counted at all: PostgreSQL's estimates of them are within a few
    # per cent (127,427 for 128,092 open cases; 48,204 for 47,055 matches of "son"), and a
    # count costs 100–200 ms of a database core for the open cases, up to 2 s for a search's.
    count_below: int = 20_000
    # Nor are those PostgreSQL expects to be expensive (plan cost): "1955" among the open
    # cases matches 1,492 at a cost of 37,670 (50 ms); a busy handler's Mina ärenden 1,190 at
    # 41,479 (60 ms); Verksamhetstyp Centrum 9,158 at 115,001 (310 ms).
    cost_limit: float = 60_000
    wait_seconds: float = 0.025
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
        estimate, cost = await planner_estimate(session, select(Case.id).where(*conditions))
        if estimate <= self.count_here_below and cost <= self.count_here_cost:
            # Few and cheap: counted here, never more than that many rows (the estimate may be
            # wrong). A search's few matches may still cost 50–130 ms to count ("1955": every
            # personnummer born in the 50s is a candidate): those go to the background.
            capped = select(Case.id).where(*conditions).limit(self.count_here_below + 1)
            counted = await session.scalar(select(func.count()).select_from(capped.subquery()))
            if counted is not None and counted <= self.count_here_below:
                return counted, True
            estimate = max(estimate, self.count_here_below + 1)
        if estimate > self.count_below or cost > self.cost_limit:
            return estimate, False
        task = self._running.get(key)
        if task is None:
            if len(self._running) >= self.max_running:
                return estimate, False  # busy counting for others: the estimate must do
            task = asyncio.get_running_loop().create_task(self._count(key, conditions, sessions))
            self._running[key] = task
            task.add_done_callback(lambda _: self._running.pop(key, None))
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
                # One process per count: parallel workers only crowd a small machine, and the
                # count is never waited for long.
                timeout_ms = int(self.count_timeout_seconds * 1000)
                await session.execute(
                    text(
                        "SELECT set_config('statement_timeout', :timeout, true),"
                        " set_config('max_parallel_workers_per_gather', '0', true)"
                    ),
                    {"timeout": str(timeout_ms)},
                )
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


class Explain(Executable, ClauseElement):
    """`EXPLAIN (FORMAT JSON)` of a statement, compiled through SQLAlchemy's statement cache
    like any other statement (compiling it anew was most of an estimate's CPU)."""

    _traverse_internals: ClassVar[Any] = [("statement", InternalTraversal.dp_clauseelement)]

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement

    @property
    def _all_selected_columns(self) -> tuple[()]:
        # The answer is the plan, not the statement's columns: a cached compilation must not
        # map them onto it.
        return ()


@compiles(Explain)
def _compile_explain(element: Explain, compiler: SQLCompiler, **kw: Any) -> str:
    return "EXPLAIN (FORMAT JSON) " + compiler.process(element.statement, **kw)


async def planner_estimate(session: AsyncSession, statement: Select[Any]) -> tuple[int, float]:
    """PostgreSQL's estimate of the rows `statement` returns and of its cost (EXPLAIN, nothing
    is read)."""
    plan = (await session.execute(Explain(statement))).scalar_one()
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"]), float(plan[0]["Plan"]["Total Cost"])


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
    SELECT case_type_id, business_area FROM areas WHERE business_area IS NOT NULL
    """
)


# Business areas change when a case with a new one arrives: a minute late among the filter's
# options is fine, and saves a query per page. Per process, keyed by the case types. (Filtering
# on one asks the database afresh: `_with_area`.)
AREAS_SECONDS = 60.0
_areas: dict[tuple[int, ...], tuple[float, dict[str, set[int]]]] = {}


async def business_areas(session: AsyncSession, case_type_ids: list[int]) -> dict[str, set[int]]:
    """Verksamhetstyp values used by cases of these case types, each with its case types."""
    key = tuple(sorted(case_type_ids))
    cached = _areas.get(key)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    areas: dict[str, set[int]] = {}
    if case_type_ids:
        for case_type_id, area in await session.execute(BUSINESS_AREAS, {"ids": case_type_ids}):
            areas.setdefault(area, set()).add(case_type_id)
    if len(_areas) > 1_000:
        _areas.clear()
    _areas[key] = (time.monotonic() + AREAS_SECONDS, areas)
    return areas


_SWEDISH_LETTERS = str.maketrans({"å": "{", "ä": "|", "ö": "}", "æ": "|", "ø": "}"})


def _swedish_key(value: str) -> str:
    return value.casefold().translate(_SWEDISH_LETTERS)


def facets(case_types: list[dict[str, Any]], areas: Iterable[str]) -> dict[str, Any]:
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
        "business_areas": sorted(areas, key=_swedish_key),
    }


# --- the list -----------------------------------------------------------------------------------


def _scope(case_types: list[dict[str, Any]], superuser: bool, params: ListParams) -> Scope:
    """The case types a list covers: the visible ones, filtered by case type and organization."""
    if superuser and params.case_type is None and params.organization is None:
        return Scope(case_types, None)
    ids = [
        ct["id"]
        for ct in case_types
        if (params.case_type is None or ct["code"] == params.case_type)
        and (params.organization is None or ct["organization"] == params.organization)
    ]
    return Scope(case_types, ids)


TYPES_WITH_AREA = text(
    "SELECT t.id FROM unnest(CAST(:ids AS integer[])) AS t(id) WHERE EXISTS"
    " (SELECT 1 FROM cases c WHERE c.case_type_id = t.id AND c.business_area = :area)"
)


async def _with_area(session: AsyncSession, scope: Scope, area: str) -> Scope:
    """The scope narrowed to the case types that have cases in the business area (a page is
    read per case type: the others would be read to their end for nothing)."""
    ids = scope.case_type_ids
    if ids is None:
        ids = [ct["id"] for ct in scope.case_types]
    found = set((await session.execute(TYPES_WITH_AREA, {"ids": ids, "area": area})).scalars())
    return Scope(scope.case_types, [i for i in ids if i in found])


def _count_key(
    actor: Actor, params: ListParams, scope: Scope, task_case_ids: Sequence[int] = ()
) -> Hashable:
    mine = (
        (actor.username, tuple(sorted(actor.groups)), tuple(sorted(task_case_ids)))
        if params.view == "mine"
        else None
    )
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
        params.priority,
    )


@dataclass
class PagePlan:
    """What a page is made of: the actor's case types, the business areas, the scope and
    (unless the scope is empty) the conditions."""

    case_types: list[dict[str, Any]]
    areas: dict[str, set[int]]
    scope: Scope
    where: Where | None = None
    task_case_ids: list[int] = field(default_factory=list)

    def case_type_ids(self) -> list[int]:
        """The case types the list covers."""
        ids = self.scope.case_type_ids
        return [ct["id"] for ct in self.case_types] if ids is None else ids


async def plan_page(session: AsyncSession, actor: Actor, params: ListParams) -> PagePlan:
    """The parts of one page (in a transaction that ran CUSTOM_PLANS first)."""
    case_types = await visible_case_types(session, actor)
    areas = await business_areas(session, [ct["id"] for ct in case_types])
    scope = _scope(case_types, actor.superuser, params)
    if params.business_area is not None:
        scope = await _with_area(session, scope, params.business_area)
    plan = PagePlan(case_types, areas, scope)
    if plan.scope.case_type_ids is not None and not plan.scope.case_type_ids:
        return plan
    term = normalize_query(params.q)
    words = await form_words(session, term) if term and params.detailed else None
    if params.view == "mine":
        plan.task_case_ids = await my_task_case_ids(session, actor)
    plan.where = list_conditions(actor, params, plan.scope, words, plan.task_case_ids)
    return plan


async def read_page(
    session: AsyncSession, plan: PagePlan, params: ListParams, cursor: Cursor | None
) -> tuple[list[Any], int | None]:
    """The page's rows (limit + 1 of them, to know whether another page follows) and, when
    the candidates gave it, the exact total.

    A search or Mina ärenden that looks selective is read among its candidates (at most
    CANDIDATES); one that is not, or has too many, is one query when sorted by Ändrades (its
    index walks the cases newest first) and otherwise read per case type in order. A list
    without either is read per case type in order.
    """
    where = plan.where
    assert where is not None
    if params.view == "mine" and not params.q and params.sort == "updated_at":
        # The handler indexes hold my cases newest first.
        query = ordered_query(params, where, cursor, ())
        return list(await session.execute(query)), None
    if where.selective:
        limit = candidate_limit(params)
        estimate, _ = await planner_estimate(session, select(Case.id).where(*where.candidates()))
        if estimate <= limit:
            query = candidates_query(params, where, cursor)
            rows = list(await session.execute(query))
            if rows and rows[0].candidates <= limit:
                return rows, rows[0].matches
            if not rows:
                capped = select(Case.id).where(*where.candidates()).limit(limit + 1)
                found = await session.scalar(select(func.count()).select_from(capped.subquery()))
                if (found or 0) <= limit:
                    return [], None
        if params.sort == "updated_at":
            query = ordered_query(params, where, cursor, ())
            return list(await session.execute(query)), None
    query = ordered_query(params, where, cursor, plan.case_type_ids())
    return list(await session.execute(query)), None


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
    plan = await plan_page(session, actor, params)
    answer: dict[str, Any] = {
        "items": [],
        "total": 0,
        "total_exact": True,
        "limit": params.limit,
        "next_cursor": None,
        "prev_cursor": None,
        "sort": params.sort,
        "order": params.order,
        "facets": facets(plan.case_types, plan.areas),
    }
    if plan.where is None:
        return answer
    found, total = await read_page(session, plan, params, cursor)
    rows = [row._mapping for row in found]
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    if cursor is not None and cursor.backward:
        rows.reverse()
    types = {ct["id"]: ct for ct in plan.case_types}
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
    if total is not None:
        answer["total"] = total
    elif cursor is None and not more:
        answer["total"] = len(rows)
    else:
        key = _count_key(actor, params, plan.scope, plan.task_case_ids)
        answer["total"], answer["total_exact"] = await totals.total(
            session, sessions, key, plan.where.counting()
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
    priority: Priority | None = None,
) -> Response:
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
        priority=priority,
    )
    sessions = request.app.state.runtime.sessions
    page = await list_page(session, sessions, totals_of(request), actor, params)
    # Encoded here: FastAPI's generic encoder walks every value in Python (1.1 ms for a page
    # of 25 cases, against 0.15 ms).
    return Response(json_page(page), media_type="application/json")


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def json_page(page: dict[str, Any]) -> bytes:
    """A page as JSON (times in ISO 8601, as FastAPI writes them)."""
    return json.dumps(page, default=_json_value, ensure_ascii=False, separators=(",", ":")).encode()
