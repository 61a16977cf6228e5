"""report-service: Excel exports, statistics and the Rapporter list."""

from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI

from arende_platform.runtime import ServiceRuntime
from arende_platform.settings import PlatformSettings
from arende_platform.web import create_app
from report_service.facts import make_case_events_subscription
from report_service.models import Base

SERVICE = "report-service"
MIGRATIONS = Path(__file__).parent / "migrations"


def build_app(settings: PlatformSettings | None = None) -> FastAPI:
    """The report-service application with its runtime."""
    settings = settings or PlatformSettings()
    runtime = ServiceRuntime(
        service=SERVICE,
        database="report",
        settings=settings,
        migrations=MIGRATIONS,
        metadata=Base.metadata,
        subscriptions=[make_case_events_subscription()],
    )

    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async for _ in runtime.lifespan():
            yield

    app = create_app(SERVICE, lifespan, lambda app: runtime.readiness(), title=SERVICE)
    app.state.runtime = runtime
    return app
