from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest_asyncio
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import select

from arende_contracts.access import Actor
from arende_contracts.external import EXCHANGE_ESERVICE, ROUTING_SUBMISSION_CREATED
from arende_platform.testing import TestEnvironment, eventually, publish_json, sample_submission
from case_service.app import build_app
from case_service.models import Case
from case_service.settings import CaseServiceSettings

SUPERUSER = Actor(username="admin", superuser=True).model_dump_json()
HEADERS = {"x-internal-token": "test-internal-token", "x-actor": SUPERUSER}


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def case_app(test_env: TestEnvironment) -> AsyncIterator[FastAPI]:
    """case-service running in this process against the test vhost and database."""
    app = build_app(test_env.settings(CaseServiceSettings, intake_batch_wait=0.02))
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=30):
        yield app


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def case_client(case_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=case_app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://case-service", headers=HEADERS
    ) as client:
        yield client


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def case_type(case_client: httpx.AsyncClient) -> dict[str, Any]:
    """An organization and an active external case type."""
    org = {"code": "trafikkontoret", "name": "Trafikkontoret"}
    assert (await case_client.post("/internal/organizations", json=org)).status_code == 201
    body = {"code": "flexlinjen", "name": "Anmälan till flexlinjen", "organization": org["code"]}
    response = await case_client.post("/internal/case-types", json=body)
    assert response.status_code == 201, response.text
    return response.json()


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def new_case(case_app: FastAPI, amqp: Any) -> Any:
    """Publish a submission like an e-service and return the id of the case intake made."""

    async def make(case_type: str, **overrides: Any) -> int:
        body = sample_submission(case_type=case_type, **overrides)
        await publish_json(amqp, EXCHANGE_ESERVICE, ROUTING_SUBMISSION_CREATED, body)

        async def case_id() -> int | None:
            async with case_app.state.runtime.sessions() as session:
                return (
                    await session.execute(
                        select(Case.id).where(Case.submission_id == body["submission_id"])
                    )
                ).scalar_one_or_none()

        return await eventually(case_id)  # type: ignore[no-any-return]

    return make
