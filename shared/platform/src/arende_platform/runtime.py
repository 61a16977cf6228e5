"""What a service holds while it runs: database, broker, outbox relay and consumers."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, Table, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from arende_platform.db import create_engine, create_sessionmaker, migrate
from arende_platform.messaging import Broker, Consumer, Subscription
from arende_platform.metrics import DB_POOL_IN_USE
from arende_platform.outbox import OutboxRelay
from arende_platform.relay_process import RelayProcess
from arende_platform.settings import PlatformSettings
from arende_platform.web import ReadinessCheck

log = logging.getLogger(__name__)


@dataclass
class ServiceRuntime:
    """Lifecycle of one service process: migrate, connect, relay, consume; and stop in reverse."""

    service: str
    database: str
    settings: PlatformSettings
    migrations: Path
    metadata: MetaData
    subscriptions: list[Subscription[Any]] = field(default_factory=list)
    relay: bool = True

    engine: AsyncEngine = field(init=False)
    sessions: async_sessionmaker[AsyncSession] = field(init=False)
    broker: Broker = field(init=False)
    outbox_relay: OutboxRelay | None = field(init=False, default=None)
    consumers: list[Consumer[Any]] = field(init=False, default_factory=list)
    relay_process: RelayProcess | None = field(init=False, default=None)
    _monitor: asyncio.Task[None] | None = field(init=False, default=None)

    @property
    def outbox(self) -> Table:
        return self.metadata.tables["outbox"]

    @property
    def inbox(self) -> Table:
        return self.metadata.tables["inbox"]

    async def start(self) -> None:
        url = self.settings.service_database_url(self.database)
        await migrate(self.migrations, url)
        self.engine = create_engine(url, self.settings.db_pool_size, self.settings.db_max_overflow)
        self.sessions = create_sessionmaker(self.engine)
        self.broker = Broker(self.settings.rabbitmq_url, self.service)
        await self.broker.connect()
        if self.relay:
            # The relay object also keeps the backlog gauges of /metrics current.
            self.outbox_relay = OutboxRelay(
                self.service,
                self.sessions,
                self.outbox,
                self.broker,
                url,
                batch_size=self.settings.outbox_batch_size,
                poll_seconds=self.settings.outbox_poll_seconds,
            )
            if self.settings.outbox_relay_process:
                self.relay_process = RelayProcess(
                    self.service,
                    url,
                    self.settings.rabbitmq_url,
                    self.settings.outbox_batch_size,
                    self.settings.outbox_poll_seconds,
                    self.settings.log_level,
                    self.settings.log_format,
                )
                await self.relay_process.start()
            else:
                await self.outbox_relay.start()
        self._monitor = asyncio.create_task(self._measure(), name=f"metrics:{self.service}")
        for sub in self.subscriptions:
            consumer = Consumer(self.broker, self.sessions, self.inbox, sub)
            await consumer.start()
            self.consumers.append(consumer)
        log.info("service started", extra={"service": self.service})

    async def stop(self) -> None:
        for consumer in self.consumers:
            await consumer.stop()
        self.consumers.clear()
        if self._monitor is not None:
            self._monitor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._monitor
        if self.relay_process is not None:
            await self.relay_process.stop()
        elif self.outbox_relay is not None:
            await self.outbox_relay.stop()
        await self.broker.close()
        await self.engine.dispose()
        log.info("service stopped", extra={"service": self.service})

    async def lifespan(self) -> AsyncIterator[None]:
        await self.start()
        try:
            yield
        finally:
            await self.stop()

    async def database_ready(self) -> bool:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True

    async def broker_ready(self) -> bool:
        return self.broker.is_connected

    async def relay_ready(self) -> bool:
        return self.relay_process is None or self.relay_process.alive

    async def _measure(self) -> None:
        """Keep the gauges of /metrics current: pool connections in use, and the outbox backlog
        when the relay runs in its own process (an in-loop relay measures it itself)."""
        while True:
            DB_POOL_IN_USE.labels(self.service).set(self.engine.pool.checkedout())  # type: ignore[attr-defined]
            if self.relay_process is not None and self.outbox_relay is not None:
                with contextlib.suppress(Exception):
                    await self.outbox_relay.measure()
            await asyncio.sleep(5)

    def readiness(self) -> list[tuple[str, ReadinessCheck]]:
        checks = [("database", self.database_ready), ("broker", self.broker_ready)]
        if self.relay_process is not None:
            checks.append(("outbox_relay", self.relay_ready))
        return checks
