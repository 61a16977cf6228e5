"""The outbox relay in a process of its own, started and watched by the service.

Publishing with confirms is about a quarter of a busy service's CPU; in the service's event loop
it competes with the consumers (bench/README.md: 0.9k → 1.3k submissions/s on two cores when
the relay has its own process). The relay has no state outside the database, so running it
apart changes nothing about delivery: rows are deleted only after the broker confirmed them.
"""

import asyncio
import contextlib
import logging
import multiprocessing
import os
import signal
from multiprocessing.process import BaseProcess

from sqlalchemy import MetaData
from sqlalchemy.engine import URL, make_url

from arende_platform.db import create_engine, create_sessionmaker
from arende_platform.logging import configure_logging
from arende_platform.messaging import Broker
from arende_platform.outbox import OutboxRelay
from arende_platform.processes import die_with_parent
from arende_platform.tables import outbox_table

log = logging.getLogger(__name__)


def relay_main(
    service: str,
    database_url: str,
    rabbitmq_url: str,
    batch_size: int,
    poll_seconds: float,
    log_level: str,
    log_format: str,
    parent_pid: int | None = None,
) -> None:
    """Entry point of the relay process: publish until SIGTERM (or the service dies)."""
    die_with_parent(parent_pid)
    configure_logging(f"{service}-relay", log_level, log_format)

    async def main() -> None:
        url = make_url(database_url)
        engine = create_engine(url, pool_size=2, max_overflow=0)
        broker = Broker(rabbitmq_url, f"{service}-relay")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await broker.connect()
        relay = OutboxRelay(
            service,
            create_sessionmaker(engine),
            outbox_table(MetaData()),
            broker,
            url,
            batch_size=batch_size,
            poll_seconds=poll_seconds,
        )
        await relay.start()
        try:
            await stop.wait()
        finally:
            await relay.stop()
            await broker.close()
            await engine.dispose()

    asyncio.run(main())


class RelayProcess:
    """Starts the relay process, restarts it if it dies, stops it with the service."""

    def __init__(
        self,
        service: str,
        database_url: URL,
        rabbitmq_url: str,
        batch_size: int,
        poll_seconds: float,
        log_level: str,
        log_format: str,
    ) -> None:
        self.args = (
            service,
            database_url.render_as_string(hide_password=False),
            rabbitmq_url,
            batch_size,
            poll_seconds,
            log_level,
            log_format,
            os.getpid(),
        )
        self.service = service
        self.process: BaseProcess | None = None
        self._watch: asyncio.Task[None] | None = None

    def _spawn(self) -> None:
        context = multiprocessing.get_context("spawn")
        self.process = context.Process(
            target=relay_main, args=self.args, name=f"{self.service}-relay", daemon=True
        )
        self.process.start()

    async def start(self) -> None:
        self._spawn()
        self._watch = asyncio.create_task(self._watchdog(), name=f"relay-watch:{self.service}")

    async def _watchdog(self) -> None:
        delay = 1.0
        while True:
            await asyncio.sleep(delay)
            if self.process is not None and not self.process.is_alive():
                log.error(
                    "outbox relay process exited, restarting",
                    extra={"exitcode": self.process.exitcode},
                )
                self._spawn()
                delay = min(delay * 2, 30)
            else:
                delay = 1.0

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.is_alive()

    async def stop(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
        if self.process is not None and self.process.is_alive():
            self.process.terminate()
            await asyncio.to_thread(self.process.join, 15)
            if self.process.is_alive():
                self.process.kill()
                await asyncio.to_thread(self.process.join, 5)
