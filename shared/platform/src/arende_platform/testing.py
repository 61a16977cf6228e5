"""pytest fixtures for tests against the real RabbitMQ and PostgreSQL.

Each test session gets its own RabbitMQ vhost and its own database prefix, so tests never touch
an installation's data and can run beside `make up`.
"""

import asyncio
import json
import os
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aio_pika
import asyncpg
import pytest
import pytest_asyncio
from aio_pika.abc import AbstractIncomingMessage

from arende_platform.settings import PlatformSettings

SERVER = os.environ.get("TEST_DATABASE_SERVER", "postgresql://postgres@127.0.0.1:5432")
VALID_PERSONAL_NUMBER = "191212121212"
BROKER = os.environ.get("TEST_RABBITMQ", "amqp://guest:guest@127.0.0.1:5672")


@dataclass(frozen=True)
class TestEnvironment:
    """Where this test session's services connect to."""

    __test__ = False

    vhost: str
    db_prefix: str

    @property
    def rabbitmq_url(self) -> str:
        return f"{BROKER}/{quote(self.vhost, safe='')}"

    @property
    def database_url(self) -> str:
        return f"{SERVER}/{self.db_prefix}"

    def environ(self, **extra: str) -> dict[str, str]:
        return {
            "RABBITMQ_URL": self.rabbitmq_url,
            "DATABASE_URL": self.database_url,
            "INTERNAL_API_TOKEN": "test-internal-token",
            "LOG_FORMAT": "json",
            **extra,
        }

    def settings(self, cls: type[PlatformSettings] = PlatformSettings, **extra: Any) -> Any:
        values = {
            "rabbitmq_url": self.rabbitmq_url,
            "database_url": self.database_url,
            "internal_api_token": "test-internal-token",
            **extra,
        }
        return cls(**values)


def _rabbitmqctl(*args: str) -> None:
    ctl = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
    subprocess.run([ctl, "-q", *args], check=True, capture_output=True, timeout=60)


async def drop_databases(prefix: str) -> None:
    conn = await asyncpg.connect(f"{SERVER}/postgres")
    try:
        names = await conn.fetch(
            "SELECT datname FROM pg_database WHERE datname LIKE $1", f"{prefix}\\_%"
        )
        for row in names:
            await conn.execute(f'DROP DATABASE IF EXISTS "{row["datname"]}" WITH (FORCE)')
    finally:
        await conn.close()


@contextmanager
def isolated_environment() -> Iterator[TestEnvironment]:
    """A fresh RabbitMQ vhost and database prefix, removed when the block ends."""
    token = uuid.uuid4().hex[:10]
    env = TestEnvironment(vhost=f"test-{token}", db_prefix=f"t{token}")
    _rabbitmqctl("add_vhost", env.vhost)
    _rabbitmqctl("set_permissions", "-p", env.vhost, "guest", ".*", ".*", ".*")
    try:
        yield env
    finally:
        _rabbitmqctl("delete_vhost", env.vhost)
        asyncio.run(drop_databases(env.db_prefix))


@pytest.fixture(scope="session")
def test_env() -> Iterator[TestEnvironment]:
    """The RabbitMQ vhost and database prefix of this test session."""
    with isolated_environment() as env:
        yield env


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def amqp(test_env: TestEnvironment) -> AsyncIterator[aio_pika.abc.AbstractRobustConnection]:
    """A connection to the test vhost for publishing and inspecting queues."""
    connection = await aio_pika.connect_robust(test_env.rabbitmq_url)
    try:
        yield connection
    finally:
        await connection.close()


async def publish_json(
    connection: aio_pika.abc.AbstractConnection,
    exchange: str,
    routing_key: str,
    body: dict[str, Any] | bytes,
    **properties: Any,
) -> None:
    """Publish like an e-service would: persistent JSON, confirmed, mandatory."""
    channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
    try:
        ex = await channel.get_exchange(exchange, ensure=False)
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        await ex.publish(
            aio_pika.Message(
                data,
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                **properties,
            ),
            routing_key=routing_key,
            mandatory=True,
        )
    finally:
        await channel.close()


async def drain(
    connection: aio_pika.abc.AbstractConnection, queue: str, expect: int, timeout: float = 15
) -> list[AbstractIncomingMessage]:
    """Take (and ack) messages from a queue until `expect` arrived or the time is up."""
    channel = await connection.channel()
    got: list[AbstractIncomingMessage] = []
    try:
        q = await channel.get_queue(queue, ensure=False)
        deadline = asyncio.get_running_loop().time() + timeout
        while len(got) < expect and asyncio.get_running_loop().time() < deadline:
            message = await q.get(no_ack=False, fail=False)
            if message is None:
                await asyncio.sleep(0.05)
                continue
            await message.ack()
            got.append(message)
    finally:
        await channel.close()
    return got


async def eventually(check: Any, timeout: float = 15, interval: float = 0.05) -> Any:
    """Wait until `await check()` returns something truthy; return it or fail."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last: {result!r})")
        await asyncio.sleep(interval)


def sample_submission(case_type: str = "flexlinjen", **overrides: Any) -> dict[str, Any]:
    """A submission exactly as SPEC §4 shows it, with a valid personnummer."""
    body: dict[str, Any] = {
        "submission_id": str(uuid.uuid4()),
        "case_type": case_type,
        "submitted_at": "2026-11-24T10:15:00+01:00",
        "submitter": {
            "kind": "citizen",
            "personal_number": VALID_PERSONAL_NUMBER,
            "name": "Carin Testare",
            "email": "carin@testare.se",
            "phone": "+46735366305",
        },
        "business_area": "Centrum",
        "form": [
            {
                "section": "Person- och kontaktuppgifter",
                "fields": [{"key": "fornamn", "label": "Förnamn", "value": "Carin"}],
            }
        ],
        "attachments": [
            {
                "filename": "intyg.pdf",
                "content_type": "application/pdf",
                "data_base64": "JVBERi0xLjQK",
            }
        ],
    }
    body.update(overrides)
    return body


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RabbitNode:
    """A RabbitMQ node of the test's own, beside the machine's, that the test may kill -9.

    Only this node's process (by the pid in its own pid file) is ever signalled.
    """

    def __init__(self) -> None:
        import tempfile
        from pathlib import Path

        # Directly under /tmp: the rabbitmq user must reach it (pytest's tmp_path is root-only).
        self.base = Path(tempfile.mkdtemp(prefix="arende-rabbit-"))
        self.port = _free_port()
        self.dist_port = _free_port()
        self.name = f"arende-test-{uuid.uuid4().hex[:8]}@localhost"
        self.pid_file = self.base / "rabbit.pid"
        for folder in ("home", "mnesia", "log"):
            (self.base / folder).mkdir(parents=True, exist_ok=True)
        (self.base / "rabbitmq.conf").write_text(
            f"loopback_users = none\nlisteners.tcp.default = {self.port}\n"
        )
        (self.base / "enabled_plugins").write_text("[].\n")
        # As root, Debian's rabbitmq-server drops to the rabbitmq user, who must own the node's files.
        if os.geteuid() == 0:
            import pwd

            try:
                owner = pwd.getpwnam("rabbitmq")
            except KeyError:
                owner = None
            if owner is not None:
                for path in [self.base, *self.base.rglob("*")]:
                    os.chown(path, owner.pw_uid, owner.pw_gid)
        self.env = {
            **os.environ,
            "HOME": str(self.base / "home"),
            "RABBITMQ_NODENAME": self.name,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(self.base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.base / "log"),
            "RABBITMQ_CONFIG_FILE": str(self.base / "rabbitmq"),
            "RABBITMQ_PID_FILE": str(self.pid_file),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.base / "enabled_plugins"),
        }

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    def start(self, timeout: float = 60) -> None:
        import time

        server = shutil.which("rabbitmq-server") or "/usr/sbin/rabbitmq-server"
        subprocess.run([server, "-detached"], env=self.env, check=True, timeout=60, cwd=self.base)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            import socket

            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.2)
        raise AssertionError("test RabbitMQ node did not open its port")

    def kill(self) -> None:
        """kill -9 this node only."""
        import signal
        import time

        pid = int(self.pid_file.read_text().strip())
        os.kill(pid, signal.SIGKILL)
        for _ in range(100):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        self.pid_file.unlink(missing_ok=True)

    def stop(self) -> None:
        """Kill the node if it runs and remove its files."""
        if self.pid_file.exists():
            self.kill()
        shutil.rmtree(self.base, ignore_errors=True)
