"""notification-service: e-mail and SMS to submitters and staff."""

from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI

from arende_platform.runtime import ServiceRuntime
from arende_platform.settings import PlatformSettings
from arende_platform.web import create_app
from notification_service.models import Base

SERVICE = "notification-service"
MIGRATIONS = Path(__file__).parent / "migrations"


def build_app(settings: PlatformSettings | None = None) -> FastAPI:
    """The notification-service application with its runtime."""
    settings = settings or PlatformSettings()
    runtime = ServiceRuntime(
        service=SERVICE,
        database="notification",
        settings=settings,
        migrations=MIGRATIONS,
        metadata=Base.metadata,
        subscriptions=[],
    )

    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async for _ in runtime.lifespan():
            yield

    app = create_app(SERVICE, lifespan, lambda app: runtime.readiness(), title=SERVICE)
    app.state.runtime = runtime
    return app
