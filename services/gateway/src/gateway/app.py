"""gateway: the caseworker web UI, staff login and permissions, and the public JSON API."""

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from arende_platform.runtime import ServiceRuntime
from arende_platform.web import create_app
from gateway.access_log.endpoints import router as access_log_router
from gateway.administration.endpoints import router as administration_router
from gateway.audit.endpoints import router as audit_router
from gateway.auth.endpoints import router as auth_router
from gateway.auth.passwords import Passwords
from gateway.case_actions.endpoints import router as case_actions_router
from gateway.case_client import CaseServiceClient
from gateway.cases.endpoints import router as cases_router
from gateway.errors import install_error_handlers, is_api
from gateway.groups.endpoints import case_router as case_groups_router
from gateway.groups.endpoints import router as groups_router
from gateway.i18n import LANG_COOKIE, LANGUAGES
from gateway.models import Base
from gateway.outreach.endpoints import router as outreach_router
from gateway.personal.endpoints import router as personal_router
from gateway.reports.client import ReportServiceClient
from gateway.reports.endpoints import router as reports_router
from gateway.residents.endpoints import router as residents_router
from gateway.retention.endpoints import router as retention_router
from gateway.retention.pages import router as retention_pages_router
from gateway.settings import GatewaySettings
from gateway.tasks.endpoints import router as tasks_router
from gateway.users.endpoints import router as users_router
from gateway.users.service import ensure_bootstrap_admin
from gateway.web.admin import router as admin_pages_router
from gateway.web.case_view import router as case_view_router
from gateway.web.endpoints import router as web_router
from gateway.web.oidc import router as oidc_router
from gateway.web.rendering import STATIC, error_page
from gateway.web.reports import router as reports_pages_router
from gateway.web.service_desk import router as service_desk_pages_router

SERVICE = "gateway"
MIGRATIONS = Path(__file__).parent / "migrations"

log = logging.getLogger(__name__)


class RememberLanguage:
    """`?lang=en` on any page switches the UI language and keeps the choice in a cookie.

    Plain ASGI: a request without `lang=` in its query passes straight through (Starlette's
    `@app.middleware("http")` would run every request through an extra task and stream).
    """

    def __init__(self, app: ASGIApp, secure: bool) -> None:
        self.app = app
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or b"lang=" not in scope.get("query_string", b""):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        chosen = request.query_params.get("lang")
        if chosen not in LANGUAGES or is_api(request) or request.cookies.get(LANG_COOKIE) == chosen:
            await self.app(scope, receive, send)
            return
        cookie = Response()
        cookie.set_cookie(
            LANG_COOKIE,
            chosen,
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="lax",
            secure=self.secure,
            path="/",
        )
        set_cookie = cookie.headers["set-cookie"]

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).append("set-cookie", set_cookie)
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def build_app(
    settings: GatewaySettings | None = None,
    *,
    case_service_transport: httpx.AsyncBaseTransport | None = None,
    report_service_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """The gateway application with its runtime (migrations, outbox relay).

    `case_service_transport` replaces the network between the gateway and case-service (tests
    route it to an in-process case-service with `httpx.ASGITransport`).
    """
    settings = settings or GatewaySettings()
    runtime = ServiceRuntime(
        service=SERVICE,
        database="gateway",
        settings=settings,
        migrations=MIGRATIONS,
        metadata=Base.metadata,
    )
    passwords = Passwords()

    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if not settings.internal_api_token:
            log.warning("INTERNAL_API_TOKEN is not set: case-service will refuse every call")
        async for _ in runtime.lifespan():
            await ensure_bootstrap_admin(runtime.sessions, passwords, settings)
            timeout = settings.case_service_timeout
            async with (
                httpx.AsyncClient(
                    base_url=settings.service_url("case_service"),
                    transport=case_service_transport,
                    timeout=httpx.Timeout(timeout, connect=min(timeout, 3.0)),
                    limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
                ) as client,
                httpx.AsyncClient(
                    base_url=settings.service_url("report_service"),
                    transport=report_service_transport,
                    timeout=httpx.Timeout(timeout, connect=min(timeout, 3.0)),
                ) as report_client,
            ):
                app.state.case_service = CaseServiceClient(client, settings.internal_api_token)
                app.state.report_service = ReportServiceClient(
                    report_client, settings.internal_api_token
                )
                yield

    app = create_app(
        SERVICE,
        lifespan,
        lambda app: runtime.readiness(),
        title="Handläggarstöd API",
        version="1",
        description="The integration API of the caseworker support system (SPEC §4).",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )
    app.state.runtime = runtime
    app.state.settings = settings
    app.state.passwords = passwords
    install_error_handlers(app, error_page)

    app.add_middleware(RememberLanguage, secure=settings.secure_cookies)

    app.include_router(auth_router)
    app.include_router(cases_router)
    app.include_router(case_actions_router)
    app.include_router(administration_router)
    app.include_router(access_log_router)
    app.include_router(users_router)
    app.include_router(personal_router)
    app.include_router(retention_router)
    app.include_router(retention_pages_router)
    app.include_router(groups_router)
    app.include_router(case_groups_router)
    app.include_router(audit_router)
    app.include_router(reports_router)
    app.include_router(reports_pages_router)
    app.include_router(residents_router)
    app.include_router(outreach_router)
    app.include_router(tasks_router)
    app.include_router(web_router)
    app.include_router(oidc_router)
    app.include_router(case_view_router)
    app.include_router(service_desk_pages_router)
    app.include_router(admin_pages_router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
