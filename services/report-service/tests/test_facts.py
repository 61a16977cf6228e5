"""report-service keeps its own case facts from case events, once per event."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
import pytest_asyncio
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import select

from arende_contracts.events import EXCHANGE_INTERNAL, CaseAssigned, CaseSubmitted
from arende_platform.testing import TestEnvironment, eventually, publish_json
from report_service.app import build_app
from report_service.models import CaseFact

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def report_app(test_env: TestEnvironment) -> AsyncIterator[FastAPI]:
    # Module scope: a report-service left running for the session (with no route to
    # case-service) would take the orders and case events meant for later tests' services.
    app = build_app(test_env.settings())
    async with LifespanManager(app, startup_timeout=60):
        yield app


async def _fact(app: Any, case_id: int) -> CaseFact | None:
    async with app.state.runtime.sessions() as session:
        return (
            await session.execute(select(CaseFact).where(CaseFact.case_id == case_id))
        ).scalar_one_or_none()


async def test_case_events_become_facts_and_redelivery_changes_nothing(
    report_app: FastAPI, amqp: Any
) -> None:
    case_id = 900_000 + uuid.uuid4().int % 100_000
    submitted = CaseSubmitted(
        correlation_id="c",
        producer="case-service",
        data={
            "case_id": case_id,
            "submission_id": uuid.uuid4(),
            "case_type": "flexlinjen",
            "organization": "trafikkontoret",
            "status": "submitted",
            "submitter_kind": "citizen",
            "submitted_at": datetime(2026, 11, 24, 10, 15, tzinfo=UTC),
        },
    )
    assigned = CaseAssigned(
        correlation_id="c",
        producer="case-service",
        data={
            "case_id": case_id,
            "case_type": "flexlinjen",
            "organization": "trafikkontoret",
            "handler": "hanna",
            "assigned_by": "hanna",
        },
    )
    for event in (submitted, assigned, submitted):  # the last one is a redelivery
        await publish_json(
            amqp,
            EXCHANGE_INTERNAL,
            event.routing_key,
            event.model_dump_json().encode(),
            message_id=str(event.event_id),
        )

    async def assigned_fact() -> CaseFact | None:
        fact = await _fact(report_app, case_id)
        return fact if fact is not None and fact.status == "assigned" else None

    fact = await eventually(assigned_fact)
    assert fact.case_type == "flexlinjen"
    assert fact.assigned_at is not None
