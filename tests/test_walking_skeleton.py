"""The walking skeleton, as an operator and a caseworker meet it: five service processes, a
submission on the bus exactly as SPEC §4, the case in the gateway's API and in "Alla ärenden"."""

import re
from typing import Any

import aio_pika
import asyncpg
import httpx
import pytest

from arende_contracts.external import EXCHANGE_ESERVICE, ROUTING_SUBMISSION_CREATED
from arende_platform.testing import (
    TestEnvironment,
    eventually,
    publish_json,
    sample_submission,
)

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.slow]


async def test_every_service_is_healthy_ready_and_exposes_metrics(
    installation: dict[str, Any],
) -> None:
    async with httpx.AsyncClient(timeout=5) as client:
        for service, port in installation["ports"].items():
            base = f"http://127.0.0.1:{port}"
            assert (await client.get(f"{base}/healthz")).json()["status"] == "ok", service
            ready = (await client.get(f"{base}/readyz")).json()
            assert ready["checks"] == {"database": "ok", "broker": "ok", "outbox_relay": "ok"}, (
                service
            )
            metrics = (await client.get(f"{base}/metrics")).text
            assert "http_requests_total" in metrics, service
            assert "outbox_backlog" in metrics or service != "case-service"


async def test_submission_becomes_a_case_seen_through_the_gateway(
    installation: dict[str, Any], skeleton_env: TestEnvironment
) -> None:
    gateway = installation["gateway"]
    ADMIN, PASSWORD = installation["admin"]
    async with httpx.AsyncClient(base_url=gateway, timeout=10) as api:
        token = await api.post("/api/v1/token", data={"username": ADMIN, "password": PASSWORD})
        assert token.status_code == 200, token.text
        api.headers["authorization"] = f"Bearer {token.json()['access_token']}"
        # An organization and case type of this test's own: others share the installation.
        org = await api.post(
            "/api/v1/admin/organizations",
            json={"code": "skelettkontoret", "name": "Skelettkontoret"},
        )
        assert org.status_code == 201, org.text
        case_type = await api.post(
            "/api/v1/admin/case-types",
            json={
                "code": "skelett-flexlinjen",
                "name": "Anmälan till flexlinjen",
                "organization": "skelettkontoret",
            },
        )
        assert case_type.status_code == 201, case_type.text

        body = sample_submission("skelett-flexlinjen")
        connection = await aio_pika.connect_robust(skeleton_env.rabbitmq_url)
        async with connection:
            await publish_json(connection, EXCHANGE_ESERVICE, ROUTING_SUBMISSION_CREATED, body)

        async def listed() -> dict[str, Any] | None:
            page = (
                await api.get(
                    "/api/v1/cases", params={"view": "all", "case_type": "skelett-flexlinjen"}
                )
            ).json()
            return page if page["total"] >= 1 else None

        page = await eventually(listed, timeout=20)
        item = page["items"][0]
        assert item["status"] == "submitted"
        assert item["title"] == "Anmälan till flexlinjen"
        assert item["submitter"]["name"] == "Carin Testare"
        for field in (
            "id",
            "case_type",
            "handler",
            "reference",
            "submitted_at",
            "updated_at",
            "starred",
        ):
            assert field in item
        assert (await api.get("/api/v1/cases")).status_code == 200
        api.headers.pop("authorization")
        assert (await api.get("/api/v1/cases")).status_code == 401

    # The caseworker's way: log in with the form and open "Alla ärenden".
    async with httpx.AsyncClient(base_url=gateway, timeout=10, follow_redirects=True) as browser:
        login_page = await browser.get("/logga-in")
        assert login_page.status_code == 200
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', login_page.text)
        form = {"username": ADMIN, "password": PASSWORD}
        if csrf:
            form["csrf_token"] = csrf.group(1)
        await browser.post("/logga-in", data=form)
        page = await browser.get("/arenden/alla")
        assert page.status_code == 200
        html = page.text
        for header in ("Ärende", "Status", "Referens", "Inskickat av", "Skickades in", "Ändrades"):
            assert f">{header}<" in html or f">{header} " in html, header
        assert "Anmälan till flexlinjen" in html
        assert "Inskickad" in html
        assert re.search(r"Visar \d+ av \d+ ärenden", html)

    # CaseSubmitted left case-service through the outbox and report-service recorded it.
    report_db = skeleton_env.settings().service_database_url("report")
    dsn = report_db.set(drivername="postgresql").render_as_string(hide_password=False)

    async def recorded() -> bool:
        conn = await asyncpg.connect(dsn)
        try:
            status = await conn.fetchval(
                "SELECT status FROM case_facts WHERE case_id = $1", item["id"]
            )
        finally:
            await conn.close()
        return status == "submitted"

    await eventually(recorded, timeout=20)
