"""The gateway in-process, talking to an in-process case-service over httpx.ASGITransport,
both against this test session's real PostgreSQL and RabbitMQ."""

import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest_asyncio
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from arende_contracts.external import EXCHANGE_ESERVICE, ROUTING_SUBMISSION_CREATED
from arende_platform.testing import TestEnvironment, eventually, publish_json, sample_submission
from case_service.app import build_app as build_case_service
from case_service.settings import CaseServiceSettings
from gateway.app import build_app
from gateway.settings import GatewaySettings

ADMIN, ADMIN_PASSWORD = "admin", "bootstrap-losenord-1"
PASSWORD = "ett-langt-losenord-123"


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def case_app(test_env: TestEnvironment) -> AsyncIterator[FastAPI]:
    """case-service running in this process against the test vhost and database."""
    app = build_case_service(test_env.settings(CaseServiceSettings, intake_batch_wait=0.02))
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=30):
        yield app


def gateway_settings(test_env: TestEnvironment, **extra: Any) -> GatewaySettings:
    values = {
        "bootstrap_admin_user": ADMIN,
        "bootstrap_admin_password": ADMIN_PASSWORD,
        **extra,
    }
    return test_env.settings(GatewaySettings, **values)  # type: ignore[no-any-return]


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def gateway_app(test_env: TestEnvironment, case_app: FastAPI) -> AsyncIterator[FastAPI]:
    """The gateway, its case-service calls routed to `case_app` in this process."""
    app = build_app(
        gateway_settings(test_env), case_service_transport=httpx.ASGITransport(app=case_app)
    )
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=30):
        yield app


@pytest_asyncio.fixture(loop_scope="session")
async def client(gateway_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A fresh client (own cookie jar) of the gateway."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=gateway_app), base_url="http://gateway"
    ) as http:
        yield http


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@dataclass
class Staff:
    username: str
    password: str
    headers: dict[str, str] = field(default_factory=dict)


class Gateway:
    """Steps tests share: tokens, organizations, case types, staff, submissions, web login."""

    def __init__(self, app: FastAPI, amqp: Any) -> None:
        self.app = app
        self.amqp = amqp
        self.admin_headers: dict[str, str] = {}

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://gateway"
        )

    async def token(self, username: str, password: str) -> dict[str, str]:
        async with self.client() as http:
            response = await http.post(
                "/api/v1/token", data={"username": username, "password": password}
            )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    async def admin(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        async with self.client() as http:
            return await http.request(method, path, headers=self.admin_headers, **kwargs)

    async def organization(self) -> str:
        code = unique("org")
        response = await self.admin(
            "POST",
            "/api/v1/admin/organizations",
            json={"code": code, "name": f"Förvaltning {code}"},
        )
        assert response.status_code == 201, response.text
        return code

    async def case_type(self, organization: str, name: str = "Anmälan till flexlinjen") -> str:
        code = unique("ct")
        response = await self.admin(
            "POST",
            "/api/v1/admin/case-types",
            json={"code": code, "name": name, "organization": organization},
        )
        assert response.status_code == 201, response.text
        return code

    async def staff(
        self, grants: list[dict[str, Any]], name: str = "Åsa Öberg", login: bool = True
    ) -> Staff:
        username = unique("user")
        response = await self.admin(
            "POST",
            "/api/v1/admin/users",
            json={"username": username, "name": name, "password": PASSWORD, "grants": grants},
        )
        assert response.status_code == 201, response.text
        staff = Staff(username, PASSWORD)
        if login:
            staff.headers = await self.token(username, PASSWORD)
        return staff

    async def submit(self, case_type: str, **overrides: Any) -> dict[str, Any]:
        """Publish a submission like an e-service and wait until it is a case; return the item."""
        body = sample_submission(case_type=case_type, **overrides)
        await publish_json(self.amqp, EXCHANGE_ESERVICE, ROUTING_SUBMISSION_CREATED, body)

        async def listed() -> dict[str, Any] | None:
            response = await self.admin("GET", "/api/v1/cases", params={"limit": 200})
            return next((i for i in response.json()["items"] if i["case_type"] == case_type), None)

        return await eventually(listed)  # type: ignore[no-any-return]

    async def browser_login(self, http: httpx.AsyncClient, username: str, password: str) -> None:
        """Sign in through the login form as a browser does."""
        page = await http.get("/logga-in")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token, page.text
        response = await http.post(
            "/logga-in",
            data={"username": username, "password": password, "csrf_token": token.group(1)},
        )
        assert response.status_code == 303, response.text


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def gw(gateway_app: FastAPI, amqp: Any) -> Gateway:
    gateway = Gateway(gateway_app, amqp)
    gateway.admin_headers = await gateway.token(ADMIN, ADMIN_PASSWORD)
    return gateway


@dataclass
class Scenario:
    """Two organizations; one case in the first; a handler in each."""

    organization: str
    other_organization: str
    case_type: str
    case: dict[str, Any]
    handler: Staff
    outsider: Staff


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def scenario(gw: Gateway) -> Scenario:
    organization, other = await gw.organization(), await gw.organization()
    case_type = await gw.case_type(organization)
    await gw.case_type(other)
    handler = await gw.staff([{"organization": organization, "role": "handler"}])
    outsider = await gw.staff([{"organization": other, "role": "handler"}], name="Olle Utanför")
    case = await gw.submit(case_type)
    return Scenario(organization, other, case_type, case, handler, outsider)
