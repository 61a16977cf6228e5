"""retention-service: nightly archiving and purging (gallring). It decides; the owners act."""

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from fastapi import Depends, FastAPI

from arende_platform.runtime import ServiceRuntime
from arende_platform.web import create_app, internal_token_guard
from retention_service.client import CaseServiceClient
from retention_service.endpoints import router
from retention_service.handlers import make_purge_confirmations
from retention_service.models import Base
from retention_service.runs import Retention
from retention_service.schedule import Schedule
from retention_service.scheduler import Scheduler
from retention_service.settings import RetentionSettings

SERVICE = "retention-service"
MIGRATIONS = Path(__file__).parent / "migrations"


def build_app(settings: RetentionSettings | None = None) -> FastAPI:
    """The retention-service application with its runtime and scheduler."""
    settings = settings or RetentionSettings()
    schedule = Schedule.parse(settings.retention_schedule, settings.retention_timezone)
    runtime = ServiceRuntime(
        service=SERVICE,
        database="retention",
        settings=settings,
        migrations=MIGRATIONS,
        metadata=Base.metadata,
        subscriptions=[make_purge_confirmations()],
    )

    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async for _ in runtime.lifespan():
            timeout = settings.retention_case_service_timeout
            async with httpx.AsyncClient(
                base_url=settings.service_url("case_service"),
                timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            ) as client:
                retention = Retention(
                    runtime.engine,
                    runtime.sessions,
                    CaseServiceClient(client, settings.internal_api_token),
                    settings.retention_batch_size,
                    settings.retention_concurrency,
                    settings.confirming_services,
                    settings.resident_record_retention_days,
                    settings.retention_timezone,
                )
                app.state.retention = retention
                await retention.restore_last_success()
                scheduler = Scheduler(retention, schedule)
                await scheduler.start()
                try:
                    yield
                finally:
                    await scheduler.stop()

    app = create_app(SERVICE, lifespan, lambda app: runtime.readiness(), title=SERVICE)
    app.state.runtime = runtime
    app.include_router(router, dependencies=[Depends(internal_token_guard(settings))])
    return app
