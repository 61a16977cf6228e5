"""Fixtures of the cross-service tests: a whole installation as separate processes."""

import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from arende_platform.testing import TestEnvironment, eventually, isolated_environment

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


@pytest.fixture(scope="session")
def skeleton_env() -> Iterator[TestEnvironment]:
    with isolated_environment() as env:
        yield env


@pytest_asyncio.fixture(loop_scope="session", scope="session")
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
        yield {
            "ports": ports,
            "logs": logs,
            "gateway": f"http://127.0.0.1:{ports['gateway']}",
            "admin": (ADMIN, PASSWORD),
        }
    finally:
        for process in processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
