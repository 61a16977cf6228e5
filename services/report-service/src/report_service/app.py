"""report-service: Excel exports, statistics and the Rapporter list."""

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from fastapi import Depends, FastAPI

from arende_platform.runtime import ServiceRuntime
from arende_platform.settings import PlatformSettings
from arende_platform.web import create_app, internal_token_guard
from report_service.endpoints import router
from report_service.facts import make_case_events_subscription
from report_service.jobs import ReportWorker
from report_service.models import Base
from report_service.orders import make_report_orders
from report_service.settings import ReportServiceSettings

SERVICE = "report-service"
MIGRATIONS = Path(__file__).parent / "migrations"


def build_app(
    settings: PlatformSettings | None = None,
    *,
    case_service_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """The report-service application with its runtime and its report worker.

    `case_service_transport` replaces the network to case-service (tests route it to an
    in-process case-service with `httpx.ASGITransport`).
    """
    if settings is None:
        settings = ReportServiceSettings()
    elif not isinstance(settings, ReportServiceSettings):  # the platform's settings only
        settings = ReportServiceSettings(**settings.model_dump())
    holder: dict[str, ReportWorker] = {}

    def wake() -> None:
        worker = holder.get("worker")
        if worker is not None:
            worker.wake.set()

    runtime = ServiceRuntime(
        service=SERVICE,
        database="report",
        settings=settings,
        migrations=MIGRATIONS,
        metadata=Base.metadata,
        subscriptions=[make_case_events_subscription(), make_report_orders(wake)],
    )

    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async for _ in runtime.lifespan():
            worker = ReportWorker(runtime.sessions, settings, case_service_transport)
            holder["worker"] = worker
            app.state.worker = worker
            await worker.start()
            try:
                yield
            finally:
                await worker.stop()

    app = create_app(SERVICE, lifespan, lambda app: runtime.readiness(), title=SERVICE)
    app.state.runtime = runtime
    app.include_router(router, dependencies=[Depends(internal_token_guard(settings))])
    return app
