"""case-service: cases, case types, timeline, attachments; intake from the bus."""

from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import Depends, FastAPI

from arende_platform.runtime import ServiceRuntime
from arende_platform.web import create_app, internal_token_guard
from case_service.access_log.endpoints import router as access_log_router
from case_service.actions.endpoints import router as actions_router
from case_service.attachments.endpoints import router as attachments_router
from case_service.attachments.storage import use_store
from case_service.case_types.endpoints import router as case_types_router
from case_service.cases.endpoints import router as cases_router
from case_service.cases.export import router as export_router
from case_service.cases.listing import router as case_list_router
from case_service.citizen.handlers import make_citizen_actions
from case_service.documents.handlers import make_form_documents
from case_service.groups.endpoints import router as groups_router
from case_service.intake.handlers import SERVICE, make_intake
from case_service.models import Base
from case_service.notifications.handlers import make_notification_results
from case_service.outreach.endpoints import router as outreach_router
from case_service.residents.endpoints import router as residents_router
from case_service.retention.endpoints import router as retention_router
from case_service.settings import CaseServiceSettings
from case_service.tasks.endpoints import router as tasks_router

MIGRATIONS = Path(__file__).parent / "migrations"


def build_app(settings: CaseServiceSettings | None = None) -> FastAPI:
    """The case-service application with its runtime (migrations, intake, outbox relay)."""
    settings = settings or CaseServiceSettings()
    use_store(settings.attachment_store)
    runtime = ServiceRuntime(
        service=SERVICE,
        database="case",
        settings=settings,
        migrations=MIGRATIONS,
        metadata=Base.metadata,
        subscriptions=[
            make_intake(settings),
            make_citizen_actions(settings),
            make_form_documents(),
            make_notification_results(),
        ],
    )

    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async for _ in runtime.lifespan():
            yield

    app = create_app(SERVICE, lifespan, lambda app: runtime.readiness(), title="case-service")
    app.state.runtime = runtime
    guard = [Depends(internal_token_guard(settings))]
    app.include_router(export_router, dependencies=guard)
    app.include_router(case_list_router, dependencies=guard)
    app.include_router(cases_router, dependencies=guard)
    app.include_router(actions_router, dependencies=guard)
    app.include_router(attachments_router, dependencies=guard)
    app.include_router(access_log_router, dependencies=guard)
    app.include_router(case_types_router, dependencies=guard)
    app.include_router(residents_router, dependencies=guard)
    app.include_router(outreach_router, dependencies=guard)
    app.include_router(tasks_router, dependencies=guard)
    app.include_router(groups_router, dependencies=guard)
    app.include_router(retention_router, dependencies=guard)
    return app
