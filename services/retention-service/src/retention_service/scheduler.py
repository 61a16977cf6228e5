"""The nightly run (F-RT-1): at each slot of RETENTION_SCHEDULE, one real run.

At start-up it first resumes a run a crash interrupted. The last slot run is kept in the
database: a slot missed while the service was down is run once when it comes back (not once
per missed night); a fresh installation starts counting from now.
"""

import asyncio
import contextlib
import logging
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from retention_service.models import ScheduleState
from retention_service.runs import Retention
from retention_service.schedule import Schedule

log = logging.getLogger(__name__)


class Scheduler:
    def __init__(self, retention: Retention, schedule: Schedule) -> None:
        self.retention = retention
        self.schedule = schedule
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._main(), name="retention-scheduler")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _last_slot(self) -> datetime | None:
        async with self.retention.sessions() as session:
            return (await session.execute(select(ScheduleState.last_slot))).scalar_one_or_none()

    async def _set_last_slot(self, slot: datetime) -> None:
        async with self.retention.sessions() as session, session.begin():
            stmt = insert(ScheduleState).values(id=1, last_slot=slot)
            await session.execute(
                stmt.on_conflict_do_update(index_elements=["id"], set_={"last_slot": slot})
            )

    async def _main(self) -> None:
        while True:
            try:
                await self._resume()
                break
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("resuming an interrupted retention run failed; retrying")
                await asyncio.sleep(30)
        if not self.schedule.enabled:
            return
        while True:
            try:
                await self._tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("scheduled retention run failed")
                await asyncio.sleep(60)

    async def _resume(self) -> None:
        conn = await self.retention.lock(wait=True)
        try:
            await self.retention.resume_interrupted()
        finally:
            await self.retention.unlock(conn)

    async def _tick(self) -> None:
        now = datetime.now(UTC)
        latest = self.schedule.latest_at_or_before(now)
        last = await self._last_slot()
        if last is None:
            # A new installation: the next slot is the first.
            await self._set_last_slot(latest or now)
            return
        if latest is not None and latest > last:
            log.info("scheduled retention run", extra={"slot": latest.isoformat()})
            conn = await self.retention.lock(wait=True)
            try:
                await self._set_last_slot(latest)
                await self.retention.run_locked(
                    dry_run=False, trigger="schedule", requested_by=None
                )
            finally:
                await self.retention.unlock(conn)
            return
        upcoming = self.schedule.next_after(now)
        wait = (upcoming - now).total_seconds() if upcoming else 3600
        # Wake at least every minute: a changed clock (or a suspended machine) is noticed.
        await asyncio.sleep(min(max(wait, 0.05), 60))
