"""The run log's bookkeeping against the real database: what a restart finds and does, and the
lock that keeps two runs apart. (Whole runs against case-service: tests/test_retention.py.)"""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from uuid import uuid4

import pytest
import pytest_asyncio
from sqlalchemy import select

from arende_platform.db import create_engine, create_sessionmaker, migrate
from arende_platform.testing import TestEnvironment
from retention_service.app import MIGRATIONS
from retention_service.models import Run
from retention_service.runs import Retention, RunInProgress

pytestmark = pytest.mark.asyncio(loop_scope="session")


class Unreachable:
    """A case-service that must not be asked: nothing here needs it."""

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"case-service was called ({name})")


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def retention(test_env: TestEnvironment) -> AsyncIterator[Retention]:
    url = test_env.settings().service_database_url("retention")
    await migrate(MIGRATIONS, url)
    engine = create_engine(url, 4, 0)
    try:
        yield Retention(engine, create_sessionmaker(engine), Unreachable(), 100)  # type: ignore[arg-type]
    finally:
        await engine.dispose()


async def test_a_restart_closes_runs_that_have_nothing_to_resume(retention: Retention) -> None:
    now = datetime.now(UTC)
    dry, unplanned = uuid4(), uuid4()
    async with retention.sessions() as session, session.begin():
        for run_id, dry_run in ((dry, True), (unplanned, False)):
            session.add(
                Run(
                    id=run_id,
                    trigger="manual",
                    dry_run=dry_run,
                    status="running",
                    as_of=now,
                    started_at=now,
                )
            )
    assert await retention.resume_interrupted() == []
    async with retention.sessions() as session:
        rows = (
            await session.execute(select(Run.status, Run.error).where(Run.id.in_([dry, unplanned])))
        ).all()
    assert rows == [("failed", "interrupted"), ("failed", "interrupted")]


async def test_the_lock_admits_one_run_at_a_time(retention: Retention) -> None:
    held = await retention.lock()
    try:
        with pytest.raises(RunInProgress):
            await retention.lock()
    finally:
        await retention.unlock(held)
    again = await retention.lock()  # released: free again
    await retention.unlock(again)
