"""The search keeps its plan: after five executions of a prepared statement PostgreSQL may switch
to a generic plan, which for the OR-search walks the `updated_at` index instead of the trigram
indexes (STACK-NOTES.md: ~1000x slower at 1M cases). The list runs with custom plans.

The plans are the ones PostgreSQL executed for the list's own statements (auto_explain on the
one connection), so the test fails when the setting goes missing: on a table this small the
generic plan may still look too expensive to be chosen, but the plan's settings tell."""

import hashlib
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from arende_contracts.access import Actor
from arende_platform.db import migrate
from arende_platform.testing import SERVER, TestEnvironment, drop_databases
from case_service.app import MIGRATIONS
from case_service.cases.listing import ListParams, TotalCounter, list_page

pytestmark = pytest.mark.asyncio(loop_scope="session")

ROWS = 30_000
BULK = """
INSERT INTO cases (submission_id, case_type_id, status, title, submitter_kind,
                   submitter_personal_number, submitter_name, reference, form,
                   submitted_at, updated_at)
SELECT gen_random_uuid(), :case_type, (ARRAY['submitted', 'in_progress', 'decided'])[1 + i % 3],
       'Anmälan till flexlinjen', 'citizen', (190000000000 + i * 7919)::text,
       'Namn ' || md5(i::text), CASE WHEN i % 5 = 0 THEN 'REF-' || i END, '[]'::jsonb,
       now() - i * interval '1 minute', now() - i * interval '1 minute'
FROM generate_series(1, :rows) AS i
"""


def name_part(i: int) -> str:
    """Eight characters of row i's name (with a letter, so every term makes the same SQL)."""
    return hashlib.md5(str(i).encode()).hexdigest()[:8]


TERMS = [name_part(i) for i in range(100, 200) if not name_part(i).isdigit()][:8]


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def engine(test_env: TestEnvironment) -> AsyncIterator[AsyncEngine]:
    """A database of its own with 30,000 cases, and one connection to it (one plan cache)."""
    prefix = f"{test_env.db_prefix}p{uuid.uuid4().hex[:6]}"
    url = test_env.settings(database_url=f"{SERVER}/{prefix}").service_database_url("case")
    await migrate(MIGRATIONS, url)
    engine = create_async_engine(url, pool_size=1, max_overflow=0)
    try:
        async with engine.begin() as conn:
            org = await conn.scalar(
                text("INSERT INTO organizations (code, name) VALUES ('p', 'P') RETURNING id")
            )
            case_type = await conn.scalar(
                text(
                    "INSERT INTO case_types (code, name, organization_id)"
                    " VALUES ('p', 'P', :org) RETURNING id"
                ),
                {"org": org},
            )
            await conn.execute(text(BULK), {"case_type": case_type, "rows": ROWS})
        # VACUUM also brings the GIN indexes' statistics up to date (they were filled row by
        # row), as autovacuum does in production.
        async with engine.connect() as conn:
            autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(text("VACUUM ANALYZE cases"))
        yield engine
    finally:
        await engine.dispose()
        await drop_databases(prefix)


async def explained_executions(engine: AsyncEngine) -> tuple[list[Any], list[Any]]:
    """Run the list's search with a new term eight times on the one connection; return the
    plans PostgreSQL executed for the page query (auto_explain) and its prepared statements."""
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    notices: list[str] = []
    async with engine.connect() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        assert raw is not None
        await raw.execute(
            "LOAD 'auto_explain'; SET auto_explain.log_min_duration = 0;"
            " SET auto_explain.log_level = 'notice'; SET auto_explain.log_format = 'json';"
            " SET auto_explain.log_settings = on"
        )
        raw.add_log_listener(lambda _, message: notices.append(message.message))
    actor = Actor(username="admin", superuser=True)
    for term in TERMS:
        async with sessions() as session, session.begin():
            page = await list_page(
                session, sessions, TotalCounter(), actor, ListParams(q=term, status="any")
            )
            assert len(page["items"]) == 1, term
    plans = []
    for notice in notices:
        if "sort_key" in notice and "LIMIT" in notice:
            plans.append(json.loads(notice[notice.index("{") :]))
    async with engine.connect() as conn:
        statements = (
            await conn.execute(
                text(
                    "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
                    " WHERE statement LIKE '%AS sort_key%'"
                    " AND statement NOT LIKE '%pg_prepared_statements%'"
                )
            )
        ).all()
        raw = (await conn.get_raw_connection()).driver_connection
        assert raw is not None
        await raw.execute("RESET auto_explain.log_level")
    return plans, statements


def index_names(plan: Any) -> set[str]:
    found = set()
    if isinstance(plan, dict):
        if "Index Name" in plan:
            found.add(plan["Index Name"])
        for value in plan.values():
            found |= index_names(value)
    elif isinstance(plan, list):
        for value in plan:
            found |= index_names(value)
    return found


async def test_the_or_search_uses_the_trigram_indexes_after_more_than_five_executions(
    engine: AsyncEngine,
) -> None:
    plans, statements = await explained_executions(engine)
    assert len(plans) == len(TERMS) > 5
    for plan in plans[5:]:
        used = index_names(plan)
        assert "ix_cases_name_trgm" in used, json.dumps(plan)[:3000]
        assert "ix_cases_updated" not in used
        assert plan["Settings"]["plan_cache_mode"] == "force_custom_plan"
    # One prepared statement, never planned generically.
    [(generic, custom)] = statements
    assert generic == 0 and custom >= len(TERMS)
