"""The resident-record step of a run against the real database: its cut-offs, the batches it
orders until case-service has no more, the counts and days in the run log, and a resumed run
applying the days it started with. (Whole runs against case-service: tests/test_retention.py.)"""

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
import pytest_asyncio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from arende_platform.db import create_engine, create_sessionmaker, migrate
from arende_platform.testing import TestEnvironment
from retention_service import client
from retention_service.app import MIGRATIONS
from retention_service.client import CaseServiceError
from retention_service.models import Run
from retention_service.residents import ResidentRecords, cutoffs

pytestmark = pytest.mark.asyncio(loop_scope="session")


class CaseService:
    """case-service's answers to resident-record commands, in order; the calls it got."""

    def __init__(self, *answers: dict[str, Any] | Exception) -> None:
        self.answers = list(answers)
        self.calls: list[tuple[date, datetime, bool, int]] = []

    async def resident_records(
        self, shares_until_before: date, audit_before: datetime, dry_run: bool, limit: int
    ) -> dict[str, Any]:
        self.calls.append((shares_until_before, audit_before, dry_run, limit))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def answer(shares: int, entries: int, more: bool) -> dict[str, Any]:
    return {"shares": shares, "audit_entries": entries, "expiries_recorded": 0, "more": more}


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def sessions(test_env: TestEnvironment) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    url = test_env.settings().service_database_url("retention")
    await migrate(MIGRATIONS, url)
    engine = create_engine(url, 4, 0)
    try:
        yield create_sessionmaker(engine)
    finally:
        await engine.dispose()


async def new_run(sessions: async_sessionmaker[AsyncSession], as_of: datetime) -> UUID:
    run_id = uuid4()
    async with sessions() as session, session.begin():
        session.add(
            Run(
                id=run_id,
                trigger="manual",
                dry_run=False,
                status="running",
                as_of=as_of,
                started_at=as_of,
            )
        )
    return run_id


async def logged(sessions: async_sessionmaker[AsyncSession], run_id: UUID) -> tuple[Any, ...]:
    async with sessions() as session:
        row = (
            await session.execute(
                select(
                    Run.resident_record_days,
                    Run.resident_shares_purged,
                    Run.resident_audit_purged,
                ).where(Run.id == run_id)
            )
        ).one()
    return tuple(row)


async def test_cutoffs_count_days_from_the_local_date() -> None:
    # 23:30 UTC on 28 March is already 29 March in Stockholm (00:30 CET).
    as_of = datetime(2026, 3, 28, 23, 30, tzinfo=UTC)
    shares_before, audit_before = cutoffs(as_of, 30, "Europe/Stockholm")
    assert shares_before == date(2026, 2, 27)
    assert audit_before == as_of - timedelta(days=30)
    # 0 days: every expired share (last valid day before today), every entry before the run.
    assert cutoffs(as_of, 0, "Europe/Stockholm") == (date(2026, 3, 29), as_of)


async def test_a_run_orders_batches_until_none_is_full_and_logs_the_counts(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    as_of = datetime(2026, 6, 1, 0, 30, tzinfo=UTC)
    run_id = await new_run(sessions, as_of)
    case_service = CaseService(answer(2, 3, True), answer(1, 3, True), answer(0, 1, False))
    step = ResidentRecords(sessions, case_service, 30, "Europe/Stockholm", 3)  # type: ignore[arg-type]
    await step.purge(run_id)
    assert case_service.calls == [(date(2026, 5, 2), as_of - timedelta(days=30), False, 3)] * 3
    assert await logged(sessions, run_id) == (30, 3, 7)


async def test_a_resumed_run_keeps_its_days_and_its_counts(
    sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    as_of = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    run_id = await new_run(sessions, as_of)
    # The first process purged one batch, then case-service stayed away until it gave up.
    failing = CaseService(answer(4, 5, True), *[CaseServiceError("down")] * 6)
    first = ResidentRecords(sessions, failing, 30, "Europe/Stockholm", 5)  # type: ignore[arg-type]
    monkeypatch.setattr(client, "RETRIES", (0, 0, 0, 0, 0))
    with pytest.raises(CaseServiceError):
        await first.purge(run_id)
    assert await logged(sessions, run_id) == (30, 4, 5)

    # Restarted with another setting, the run still applies the days it started with.
    again = CaseService(answer(0, 2, False))
    second = ResidentRecords(sessions, again, 90, "Europe/Stockholm", 5)  # type: ignore[arg-type]
    await second.purge(run_id)
    assert again.calls == [(date(2026, 5, 2), as_of - timedelta(days=30), False, 5)]
    assert await logged(sessions, run_id) == (30, 4, 7)


async def test_a_dry_run_asks_for_counts_only(sessions: async_sessionmaker[AsyncSession]) -> None:
    as_of = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    run_id = await new_run(sessions, as_of)
    case_service = CaseService(answer(6, 9, False))
    step = ResidentRecords(sessions, case_service, 730, "Europe/Stockholm", 1000)  # type: ignore[arg-type]
    await step.count(run_id)
    assert case_service.calls == [(date(2024, 6, 1), as_of - timedelta(days=730), True, 1000)]
    assert await logged(sessions, run_id) == (730, 6, 9)
