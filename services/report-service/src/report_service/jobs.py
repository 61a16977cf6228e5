"""The report worker: takes ordered reports (Beställd), builds them, ends them Klar or
Misslyckad; finds stuck ones; deletes finished reports after the retention period.

A job is claimed with `FOR UPDATE SKIP LOCKED` and keeps a heartbeat while it runs. A job whose
heartbeat is older than `report_stuck_seconds` (its worker died) is taken up again, at most
`report_max_attempts` times; then it ends Misslyckad with the reason. Any error of a build ends
the job Misslyckad with a reason the orderer can read: no job stays Beställd.
"""

import asyncio
import contextlib
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from arende_contracts.events import ReportRequestedData
from report_service.builder import Built, CaseSource, ReportError, build_cases, build_statistics
from report_service.metrics import (
    REPORT_DURATION,
    REPORT_OLDEST_PENDING_AGE,
    REPORTS_COMPLETED,
    REPORTS_FAILED,
    REPORTS_PENDING,
)
from report_service.models import Report, ReportFile
from report_service.settings import ReportServiceSettings
from report_service.texts import translate

log = logging.getLogger(__name__)

SERVICE = "report-service"
RETRY_TRANSIENT_SECONDS = 15.0
EXPIRY_EVERY_SECONDS = 60.0


def _now() -> datetime:
    return datetime.now(UTC)


class ReportWorker:
    """One worker task per report-service process (several processes share the table)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: ReportServiceSettings,
        case_service_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.transport = case_service_transport
        self.wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._client: httpx.AsyncClient | None = None
        self._last_expiry = 0.0

    async def start(self) -> None:
        timeout = self.settings.case_service_timeout
        self._client = httpx.AsyncClient(
            base_url=self.settings.service_url("case_service"),
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            transport=self.transport,
        )
        self._task = asyncio.create_task(self._run(), name="report-worker")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._client is not None:
            await self._client.aclose()

    async def _run(self) -> None:
        while True:
            try:
                await self.housekeeping()
                if await self.run_one():
                    continue
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("report worker round failed")
            self.wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), self.settings.report_poll_seconds)

    # --- housekeeping --------------------------------------------------------------------------

    async def housekeeping(self) -> None:
        """Fail jobs stuck too often, delete expired reports, refresh the pending gauges."""
        stale = _now() - timedelta(seconds=self.settings.report_stuck_seconds)
        async with self.sessions() as session, session.begin():
            stuck = (
                (
                    await session.execute(
                        select(Report)
                        .where(
                            Report.status == "ordered",
                            Report.attempts >= self.settings.report_max_attempts,
                            Report.heartbeat_at < stale,
                        )
                        .with_for_update(skip_locked=True)
                    )
                )
                .scalars()
                .all()
            )
            for report in stuck:
                lang = report.request.get("language", "sv")
                await self._fail(
                    session,
                    report,
                    translate(
                        "Rapporten kunde inte skapas: arbetet avbröts {attempts} gånger.",
                        lang,
                        attempts=report.attempts,
                    ),
                )
            pending, oldest = (
                await session.execute(
                    select(func.count(), func.min(Report.ordered_at)).where(
                        Report.status == "ordered"
                    )
                )
            ).one()
        REPORTS_PENDING.set(pending)
        REPORT_OLDEST_PENDING_AGE.set((_now() - oldest).total_seconds() if oldest else 0)
        if time.monotonic() - self._last_expiry >= EXPIRY_EVERY_SECONDS:
            await self.expire()
            self._last_expiry = time.monotonic()

    async def expire(self) -> int:
        """Delete finished reports older than REPORT_RETENTION_DAYS (files go with them)."""
        cutoff = _now() - timedelta(days=self.settings.report_retention_days)
        async with self.sessions() as session, session.begin():
            result = await session.execute(
                delete(Report).where(
                    Report.status.in_(("done", "failed")), Report.finished_at < cutoff
                )
            )
        deleted: int = result.rowcount  # type: ignore[attr-defined]
        if deleted:
            log.info("expired reports deleted", extra={"count": deleted})
        return deleted

    # --- one job -------------------------------------------------------------------------------

    async def claim(self) -> Report | None:
        stale = _now() - timedelta(seconds=self.settings.report_stuck_seconds)
        async with self.sessions() as session, session.begin():
            report = (
                await session.execute(
                    select(Report)
                    .where(
                        Report.status == "ordered",
                        Report.attempts < self.settings.report_max_attempts,
                        or_(Report.heartbeat_at.is_(None), Report.heartbeat_at < stale),
                    )
                    .order_by(Report.ordered_at)
                    .limit(1)
                    .with_for_update(skip_locked=True)
                )
            ).scalar_one_or_none()
            if report is None:
                return None
            now = _now()
            report.attempts += 1
            report.started_at = now
            report.heartbeat_at = now
            report.progress = 0
            await session.flush()
            session.expunge(report)
            return report

    async def run_one(self) -> bool:
        """Build the oldest claimable report; False when there was none."""
        report = await self.claim()
        if report is None:
            return False
        order = ReportRequestedData.model_validate(report.request)
        started = time.monotonic()
        log.info("building report", extra={"report_id": str(report.id), "kind": report.kind})

        async def progress(done: int) -> None:
            async with self.sessions() as session, session.begin():
                await session.execute(
                    update(Report)
                    .where(Report.id == report.id, Report.status == "ordered")
                    .values(progress=done, heartbeat_at=_now())
                )

        try:
            built = await self.build(order, progress)
        except ReportError as exc:
            if exc.transient and report.attempts < self.settings.report_max_attempts:
                await self._release(report.id)
                log.warning("report postponed", extra={"report_id": str(report.id)})
                return True
            await self._finish_failed(report.id, exc.reason)
            return True
        except Exception:
            log.exception("report failed", extra={"report_id": str(report.id)})
            await self._finish_failed(
                report.id,
                translate(
                    "Rapporten kunde inte skapas på grund av ett internt fel.", order.language
                ),
            )
            return True
        await self._finish_done(report.id, built)
        REPORT_DURATION.labels(report.kind).observe(time.monotonic() - started)
        return True

    async def build(self, order: ReportRequestedData, progress: Any) -> Built:
        if order.kind == "statistics":
            return await build_statistics(order, self.sessions, progress)
        assert self._client is not None
        source = CaseSource(
            self._client, self.settings.internal_api_token, self.settings.report_page_size
        )
        return await build_cases(order, source, progress, self.settings.report_form_data_limit)

    async def _release(self, report_id: UUID) -> None:
        """Give the job back, to be taken up again after a pause (case-service was away)."""
        retry_at = _now() - timedelta(
            seconds=max(self.settings.report_stuck_seconds - RETRY_TRANSIENT_SECONDS, 0)
        )
        async with self.sessions() as session, session.begin():
            await session.execute(
                update(Report).where(Report.id == report_id).values(heartbeat_at=retry_at)
            )

    async def _finish_done(self, report_id: UUID, built: Built) -> None:
        async with self.sessions() as session, session.begin():
            report = await session.get(Report, report_id, with_for_update=True)
            if report is None or report.status != "ordered":
                return  # deleted by its orderer meanwhile
            await session.execute(insert(ReportFile).values(report_id=report_id, data=built.data))
            now = _now()
            report.status = "done"
            report.case_count = built.case_count
            report.progress = built.case_count
            report.finished_at = now
            report.file_size = len(built.data)
        REPORTS_COMPLETED.labels(report.kind).inc()

    async def _finish_failed(self, report_id: UUID, reason: str) -> None:
        async with self.sessions() as session, session.begin():
            report = await session.get(Report, report_id, with_for_update=True)
            if report is None or report.status != "ordered":
                return
            await self._fail(session, report, reason)

    async def _fail(self, session: AsyncSession, report: Report, reason: str) -> None:
        report.status = "failed"
        report.reason = reason
        report.finished_at = _now()
        REPORTS_FAILED.labels(report.kind).inc()
        log.warning("report failed", extra={"report_id": str(report.id), "reason": reason})
