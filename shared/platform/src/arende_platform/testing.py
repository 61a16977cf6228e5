"""pytest fixtures for tests against the real RabbitMQ and PostgreSQL.

Each test session gets its own RabbitMQ vhost and its own database prefix, so tests never touch
an installation's data and can run beside `make up`.
"""

import asyncio
import contextlib
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


async def publish_many(
    connection: aio_pika.abc.AbstractConnection,
    exchange: str,
    routing_key: str,
    bodies: list[dict[str, Any]],
    in_flight: int = 250,
) -> None:
    """Publish many messages as publish_json does, on one channel, `in_flight` confirms at a time."""
    channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
    try:
        ex = await channel.get_exchange(exchange, ensure=False)
        for start in range(0, len(bodies), in_flight):
            await asyncio.gather(
                *(
                    ex.publish(
                        aio_pika.Message(
                            json.dumps(body).encode(),
                            content_type="application/json",
                            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                        ),
                        routing_key=routing_key,
                        mandatory=True,
                    )
                    for body in bodies[start : start + in_flight]
                )
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

    def _is_postmaster(self, pid: int) -> bool:
        """True if `pid` runs this cluster's postmaster (a stale pid file may name another)."""
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                args = cmdline.read().split(b"\0")
        except (FileNotFoundError, ProcessLookupError):
            return False
        return str(self.data).encode() in args

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


class PostgresCluster:
    """A PostgreSQL cluster of the test's own, beside the machine's, that the test may kill -9.

    initdb in a temp dir, a free port on 127.0.0.1, the unix socket in the cluster's own dir,
    trust auth, fsync on. Only this cluster's postmaster (by the pid in its own postmaster.pid)
    and that postmaster's children are ever signalled; the machine's cluster is never touched.
    """

    def __init__(self, version: str | None = None) -> None:
        import tempfile
        from pathlib import Path

        root = Path("/usr/lib/postgresql")
        versions = sorted(
            (p.name for p in root.iterdir() if (p / "bin" / "initdb").exists()),
            key=lambda v: [int(part) for part in v.split(".") if part.isdigit()],
        )
        if not versions:
            raise RuntimeError(f"no PostgreSQL server binaries under {root}")
        self.bin = root / (version or versions[-1]) / "bin"
        # Directly under /tmp: the postgres user must reach it (pytest's tmp_path is root-only).
        self.base = Path(tempfile.mkdtemp(prefix="arende-pg-"))
        self.data = self.base / "data"
        self.socket_dir = self.base / "socket"
        self.log = self.base / "postgres.log"
        self.socket_dir.mkdir()
        self.port = _free_port()
        # initdb and postgres refuse to run as root: as root, the cluster belongs to `postgres`.
        self._as: list[str] = []
        if os.geteuid() == 0:
            import pwd

            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                raise RuntimeError("as root, the test cluster needs a `postgres` user") from None
            for path in (self.base, self.socket_dir):
                os.chown(path, owner.pw_uid, owner.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]
        self._initialized = False
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The server's URL without a database (services append theirs)."""
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}"

    def _run(self, *args: str, timeout: float = 120) -> None:
        result = subprocess.run(
            [*self._as, *args], capture_output=True, text=True, timeout=timeout, cwd=self.base
        )
        if result.returncode != 0:
            log = self.log.read_text()[-3000:] if self.log.exists() else ""
            raise RuntimeError(
                f"{' '.join(args[:2])} failed ({result.returncode}):\n"
                f"{result.stdout}{result.stderr}\n{log}"
            )

    def _initdb(self) -> None:
        # --no-sync only for initdb's own files: a killed process loses nothing from the page
        # cache, and the server itself runs with fsync on.
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
            "--no-sync",
        )
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"\nlisten_addresses = '127.0.0.1'\n"
                f"port = {self.port}\n"
                f"unix_socket_directories = '{self.socket_dir}'\n"
                "shared_buffers = 16MB\n"
                "max_connections = 60\n"
                "fsync = on\n"
                "synchronous_commit = on\n"
                "full_page_writes = on\n"
                "logging_collector = off\n"
            )
        self._initialized = True

    def start(self, timeout: float = 60) -> None:
        """Start the cluster (initdb the first time) and wait until it accepts connections;
        after a kill, the start replays the WAL (crash recovery)."""
        import time

        if not self._initialized:
            self._initdb()
        # The postmaster is a child of this process (through runuser, which waits for it), so
        # it is reaped the moment it dies: a zombie postmaster would keep its pid "alive" and
        # the next start would refuse the lock file.
        with self.log.open("ab") as log:
            self._process = subprocess.Popen(
                [*self._as, str(self.bin / "postgres"), "-D", str(self.data)],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.base,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"test PostgreSQL exited:\n{self.log.read_text()[-3000:]}")
            ready = subprocess.run(
                [
                    str(self.bin / "pg_isready"),
                    "-q",
                    "-h",
                    str(self.socket_dir),
                    "-p",
                    str(self.port),
                    "-U",
                    "postgres",
                ],
                timeout=30,
            )
            if ready.returncode == 0:
                return
            time.sleep(0.1)
        raise AssertionError("test PostgreSQL did not accept connections")

    def kill(self) -> None:
        """kill -9 this cluster's postmaster and its backends at once: a crash, not a stop."""
        import signal
        from pathlib import Path

        pid = self._postmaster()
        if pid is None:
            raise AssertionError("the test cluster is not running")
        backends = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
                continue
            if ppid == pid:
                backends.append(int(stat.parent.name))
        for victim in (pid, *backends):
            with contextlib.suppress(ProcessLookupError):
                os.kill(victim, signal.SIGKILL)
        self._reap()

    def _postmaster(self) -> int | None:
        """The pid in this cluster's postmaster.pid if that process is this cluster's postmaster
        (after a crash the file stays behind and its pid may be anyone's)."""
        try:
            pid = int((self.data / "postmaster.pid").read_text().split("\n", 1)[0])
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                args = cmdline.read().split(b"\0")
        except (FileNotFoundError, ProcessLookupError, ValueError):
            return None
        return pid if str(self.data).encode() in args else None

    def _reap(self) -> None:
        if self._process is not None:
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                raise AssertionError("the test cluster's postmaster did not end") from None
            self._process = None

    def stop(self) -> None:
        """Stop the cluster at once if it runs and remove its files."""
        import signal

        pid = self._postmaster()
        if pid is not None:
            os.kill(pid, signal.SIGQUIT)  # PostgreSQL's immediate shutdown
        self._reap()
        shutil.rmtree(self.base, ignore_errors=True)
