"""The Prioritet filter (F-AD-6) stays fast in a big list: the few cases at low or high priority
are found through the partial index ix_cases_priority (medium, every case's default, is not in
it), never by reading the whole list and filtering; Mina ärenden also finds the cases where the
caseworker has an open task, every page marks them, and a busy handler's archived cases are
never read (ix_cases_handler_open). Checked on the plans PostgreSQL executes (auto_explain), on
60,000 cases of which 0.5 % are high."""

import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from arende_contracts.access import Actor, Grant
from arende_platform.db import migrate
from arende_platform.testing import SERVER, TestEnvironment, drop_databases
from case_service.app import MIGRATIONS
from case_service.cases.listing import ListParams, TotalCounter, list_page

from .test_listing_plan import index_names

pytestmark = pytest.mark.asyncio(loop_scope="session")

ROWS = 60_000
BULK = """
INSERT INTO cases (submission_id, case_type_id, status, title, submitter_kind, form,
                   priority, submitted_at, updated_at)
SELECT gen_random_uuid(), :case_type, (ARRAY['submitted', 'in_progress', 'decided'])[1 + i % 3],
       'Anmälan', 'citizen', '[]'::jsonb,
       CASE WHEN i % 200 = 0 THEN 'high' WHEN i % 50 = 0 THEN 'low' ELSE 'medium' END,
       now() - i * interval '1 minute', now() - i * interval '1 minute'
FROM generate_series(1, :rows) AS i
"""


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def engine(test_env: TestEnvironment) -> AsyncIterator[AsyncEngine]:
    prefix = f"{test_env.db_prefix}q{uuid.uuid4().hex[:6]}"
    url = test_env.settings(database_url=f"{SERVER}/{prefix}").service_database_url("case")
    await migrate(MIGRATIONS, url)
    engine = create_async_engine(url, pool_size=1, max_overflow=0)
    try:
        async with engine.begin() as conn:
            org = await conn.scalar(
                text("INSERT INTO organizations (code, name) VALUES ('q', 'Q') RETURNING id")
            )
            case_types = [
                await conn.scalar(
                    text(
                        "INSERT INTO case_types (code, name, organization_id)"
                        " VALUES (:code, 'Q', :org) RETURNING id"
                    ),
                    {"org": org, "code": f"q{n}"},
                )
                for n in range(3)
            ]
            for case_type in case_types:
                await conn.execute(text(BULK), {"case_type": case_type, "rows": ROWS // 3})
            await conn.execute(
                text(
                    "INSERT INTO case_tasks (case_id, title, assignee, created_by)"
                    " SELECT id, 'Uppgift', 'kalle', 'hanna' FROM cases ORDER BY id LIMIT 3"
                )
            )
        async with engine.connect() as conn:
            autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(text("VACUUM ANALYZE cases"))
            await autocommit.execute(text("VACUUM ANALYZE case_tasks"))
        yield engine
    finally:
        await engine.dispose()
        await drop_databases(prefix)


async def run_explained(
    engine: AsyncEngine, actor: Actor, params: ListParams
) -> tuple[dict[str, Any], list[Any], float]:
    """The page, the plans of its page queries, and how long the list took."""
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    notices: list[str] = []
    async with engine.connect() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        assert raw is not None
        await raw.execute(
            "LOAD 'auto_explain'; SET auto_explain.log_min_duration = 0;"
            " SET auto_explain.log_level = 'notice'; SET auto_explain.log_format = 'json'"
        )
        raw.add_log_listener(lambda _, message: notices.append(message.message))
    started = time.perf_counter()
    async with sessions() as session, session.begin():
        page = await list_page(session, sessions, TotalCounter(), actor, params)
    elapsed = time.perf_counter() - started
    plans = [json.loads(n[n.index("{") :]) for n in notices if "sort_key" in n and "LIMIT" in n]
    async with engine.connect() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        assert raw is not None
        await raw.execute("RESET auto_explain.log_level")
    return page, plans, elapsed


async def test_high_priority_is_read_through_its_partial_index(engine: AsyncEngine) -> None:
    admin = Actor(username="admin", superuser=True)
    page, plans, elapsed = await run_explained(
        engine, admin, ListParams(priority="high", status="any", limit=25)
    )
    assert len(page["items"]) == 25
    assert {item["priority"] for item in page["items"]} == {"high"}
    assert page["total"] == ROWS // 200
    assert plans and any("ix_cases_priority" in index_names(p) for p in plans), plans
    again, _, warm = await run_explained(
        engine, admin, ListParams(priority="high", status="any", limit=25)
    )
    assert again["items"] == page["items"]
    print(f"priority=high at {ROWS} cases: {elapsed * 1000:.1f} ms, warm {warm * 1000:.1f} ms")


async def test_medium_pages_like_any_filter_and_mine_includes_task_cases(
    engine: AsyncEngine,
) -> None:
    admin = Actor(username="admin", superuser=True)
    page, _, _ = await run_explained(engine, admin, ListParams(priority="medium", limit=25))
    assert {item["priority"] for item in page["items"]} == {"medium"}
    kalle = Actor(username="kalle", superuser=True)
    mine, _, _ = await run_explained(engine, kalle, ListParams(view="mine", status="any"))
    assert len(mine["items"]) == 3 and all(item["my_task"] for item in mine["items"])


async def test_the_task_marker_on_pages_of_every_shape(engine: AsyncEngine) -> None:
    """`my_task` is read by each page query: the one query over every case type (a superuser),
    the per-case-type merge (a grant on the organization's three case types) and the candidates
    of Mina ärenden; a task for one of the actor's groups marks its case too."""
    async with engine.begin() as conn:
        group_case = await conn.scalar(
            text(
                "INSERT INTO case_tasks (case_id, title, group_code, created_by)"
                " SELECT id, 'Uppgift', 'grupp-q', 'hanna' FROM cases ORDER BY id OFFSET 3 LIMIT 1"
                " RETURNING case_id"
            )
        )
        kalles = set(
            await conn.scalars(text("SELECT case_id FROM case_tasks WHERE assignee = 'kalle'"))
        )
    assert len(kalles) == 3
    grant = Grant(organization="q", role="handler")
    for actor, expected in (
        (Actor(username="kalle", superuser=True), kalles),
        (Actor(username="kalle", grants=[grant]), kalles),
        (Actor(username="kalle", grants=[grant], groups=["grupp-q"]), {*kalles, group_case}),
        (Actor(username="olle", grants=[grant], groups=["grupp-q"]), {group_case}),
    ):
        for params in (ListParams(limit=25), ListParams(view="mine", status="any")):
            page, _, _ = await run_explained(engine, actor, params)
            marked = {item["id"] for item in page["items"] if item["my_task"]}
            assert marked == expected, (actor, params)
            if params.view == "all":
                assert len(page["items"]) == 25 and len(marked) < 25


async def test_mina_arenden_reads_no_archived_case_of_a_busy_handler(engine: AsyncEngine) -> None:
    """A handler's archived cases (most of a busy handler's) are not in ix_cases_handler_open:
    Mina ärenden sorted by Ärende reads its candidates through it, never their heap pages."""
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO cases (submission_id, case_type_id, status, title, handler,"
                " submitter_kind, form, submitted_at, updated_at)"
                " SELECT gen_random_uuid(), (SELECT min(id) FROM case_types),"
                "  CASE WHEN i % 8 = 0 THEN 'in_progress' ELSE 'archived' END, 'Ärende ' || i,"
                "  'berit', 'citizen', '[]'::jsonb, now() - interval '2 years',"
                "  now() - interval '1 year' - i * interval '1 minute'"
                " FROM generate_series(1, 2400) AS i"
            )
        )
    async with engine.connect() as conn:
        autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text("VACUUM ANALYZE cases"))
    berit = Actor(username="berit", superuser=True)
    page, plans, _ = await run_explained(
        engine, berit, ListParams(view="mine", status="any", sort="title", order="asc")
    )
    assert page["total"] == 300 and page["total_exact"]
    assert {item["status"] for item in page["items"]} == {"in_progress"}
    assert [item["title"] for item in page["items"][:2]] == ["Ärende 1000", "Ärende 1008"]
    assert plans and all("ix_cases_handler_open" in index_names(p) for p in plans), plans
