"""The walking skeleton, as an operator and a caseworker meet it: five service processes, a
submission on the bus exactly as SPEC §4, the case in the gateway's API and in "Alla ärenden"."""

import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aio_pika
import asyncpg
import httpx
import pytest
import pytest_asyncio

from arende_contracts.external import EXCHANGE_ESERVICE, ROUTING_SUBMISSION_CREATED
from arende_platform.testing import (
    TestEnvironment,
    eventually,
    isolated_environment,
    publish_json,
    sample_submission,
)

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.slow]

SERVICES = [
    "case-service",
    "notification-service",
    "report-service",
    "retention-service",
    "gateway",
]
BIN = Path(sys.executable).parent
ADMIN, PASSWORD = "admin", "bootstrap-losenord-1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def skeleton_env() -> Iterator[TestEnvironment]:
    with isolated_environment() as env:
        yield env


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def installation(
    skeleton_env: TestEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[dict[str, Any]]:
    """All five services as separate processes, configured only by environment variables."""
    ports = {service: _free_port() for service in SERVICES}
    env = {
        **os.environ,
        **skeleton_env.environ(
            GATEWAY_PORT=str(ports["gateway"]),
            CASE_SERVICE_PORT=str(ports["case-service"]),
            NOTIFICATION_SERVICE_PORT=str(ports["notification-service"]),
            REPORT_SERVICE_PORT=str(ports["report-service"]),
            RETENTION_SERVICE_PORT=str(ports["retention-service"]),
            BOOTSTRAP_ADMIN_USER=ADMIN,
            BOOTSTRAP_ADMIN_PASSWORD=PASSWORD,
        ),
    }
    logs = tmp_path_factory.mktemp("logs")
    processes = {}
    for service in SERVICES:
        with (logs / f"{service}.log").open("wb") as log:  # the child keeps its own descriptor
            processes[service] = subprocess.Popen(  # noqa: ASYNC220 - started once, up front
                [str(BIN / service)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
    try:
        async with httpx.AsyncClient(timeout=5) as client:
            for service, port in ports.items():

                async def ready(port: int = port, service: str = service) -> bool:
                    if processes[service].poll() is not None:
                        log = (logs / f"{service}.log").read_text()[-3000:]
                        raise AssertionError(f"{service} exited:\n{log}")
                    try:
                        return (
                            await client.get(f"http://127.0.0.1:{port}/readyz")
                        ).status_code == 200
                    except httpx.TransportError:
                        return False

                await eventually(ready, timeout=90, interval=0.2)
        yield {"ports": ports, "logs": logs}
    finally:
        for process in processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


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
    gateway = f"http://127.0.0.1:{installation['ports']['gateway']}"
    async with httpx.AsyncClient(base_url=gateway, timeout=10) as api:
        token = await api.post("/api/v1/token", data={"username": ADMIN, "password": PASSWORD})
        assert token.status_code == 200, token.text
        api.headers["authorization"] = f"Bearer {token.json()['access_token']}"
        org = await api.post(
            "/api/v1/admin/organizations", json={"code": "trafikkontoret", "name": "Trafikkontoret"}
        )
        assert org.status_code == 201, org.text
        case_type = await api.post(
            "/api/v1/admin/case-types",
            json={
                "code": "flexlinjen",
                "name": "Anmälan till flexlinjen",
                "organization": "trafikkontoret",
            },
        )
        assert case_type.status_code == 201, case_type.text

        body = sample_submission()
        connection = await aio_pika.connect_robust(skeleton_env.rabbitmq_url)
        async with connection:
            await publish_json(connection, EXCHANGE_ESERVICE, ROUTING_SUBMISSION_CREATED, body)

        async def listed() -> dict[str, Any] | None:
            page = (await api.get("/api/v1/cases", params={"view": "all"})).json()
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
        assert re.search(r"Visar 1 av 1 ärenden", html)

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
