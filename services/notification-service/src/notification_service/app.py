"""notification-service: e-mail and SMS to submitters and staff."""

from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI

from arende_platform.runtime import ServiceRuntime
from arende_platform.web import create_app
from notification_service.delivery import Deliverer
from notification_service.handlers import SERVICE, make_case_events, make_requests
from notification_service.models import Base
from notification_service.providers import FortySixElks, Sender, SmtpSender
from notification_service.settings import NotificationSettings

MIGRATIONS = Path(__file__).parent / "migrations"


def build_app(
    settings: NotificationSettings | None = None, *, sms: Sender | None = None
) -> FastAPI:
    """The notification-service application with its runtime.

    `sms` replaces the 46elks provider (another gateway behind the same interface).
    """
    settings = settings or NotificationSettings()
    senders: dict[str, Sender] = {
        "email": SmtpSender(settings),
        "sms": sms or FortySixElks(settings),
    }
    runtime = ServiceRuntime(
        service=SERVICE,
        database="notification",
        settings=settings,
        migrations=MIGRATIONS,
        metadata=Base.metadata,
    )

    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The consumers need the runtime's sessions, which exist once it has started.
        deliverer = Deliverer(lambda: runtime.sessions(), senders)
        runtime.subscriptions = [
            make_requests(deliverer, settings),
            make_case_events(deliverer, settings),
        ]
        try:
            async for _ in runtime.lifespan():
                yield
        finally:
            for sender in senders.values():
                await sender.close()

    app = create_app(SERVICE, lifespan, lambda app: runtime.readiness(), title=SERVICE)
    app.state.runtime = runtime
    return app
