"""The outbox relay in a process of its own, started and watched by the service.

Publishing with confirms is about a quarter of a busy service's CPU; in the service's event loop
it competes with the consumers (bench/README.md: 0.9k → 1.3k submissions/s on two cores when
the relay has its own process). The relay has no state outside the database, so running it
apart changes nothing about delivery: rows are deleted only after the broker confirmed them.

The relay's counters (published, failed, per event type) live in the relay process, which
serves no /metrics; it sends their values to the service over a pipe about once a second, and
the service adds them to its own counters, so /metrics shows what the relay did.
"""

import asyncio
import contextlib
import logging
import multiprocessing
import os
import signal
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from prometheus_client import Counter
from sqlalchemy import MetaData
from sqlalchemy.engine import URL, make_url

from arende_platform.db import create_engine, create_sessionmaker
from arende_platform.logging import configure_logging
from arende_platform.messaging import Broker
from arende_platform.metrics import EVENTS_PUBLISHED, OUTBOX_PUBLISH_FAILURES, OUTBOX_PUBLISHED
from arende_platform.outbox import OutboxRelay
from arende_platform.processes import die_with_parent
from arende_platform.tables import outbox_table

log = logging.getLogger(__name__)

# The relay's counters that the service mirrors into its /metrics.
RELAY_COUNTERS: dict[str, Counter] = {
    "outbox_published": OUTBOX_PUBLISHED,
    "outbox_publish_failures": OUTBOX_PUBLISH_FAILURES,
    "events_published": EVENTS_PUBLISHED,
}
CounterKey = tuple[str, tuple[tuple[str, str], ...]]


def counter_values() -> dict[CounterKey, float]:
    """The current value of every labelled child of the relay's counters."""
    values: dict[CounterKey, float] = {}
    for name, counter in RELAY_COUNTERS.items():
        for metric in counter.collect():
            for sample in metric.samples:
                if sample.name == f"{name}_total":
                    values[(name, tuple(sample.labels.items()))] = sample.value
    return values


class CounterMirror:
    """Adds what a relay process counted since its last report to this process's counters."""

    def __init__(self) -> None:
        self.seen: dict[CounterKey, float] = {}

    def apply(self, values: dict[CounterKey, float]) -> None:
        for key, value in values.items():
            name, labels = key
            delta = value - self.seen.get(key, 0.0)
            if delta > 0 and name in RELAY_COUNTERS:
                RELAY_COUNTERS[name].labels(**dict(labels)).inc(delta)
            self.seen[key] = value


async def report_counters(writer: Connection, interval: float = 1.0) -> None:
    """Send the relay's counter values to the service whenever they changed.

    The pipe is written from a thread: a service too busy to read must not stall publishing.
    """
    last: dict[CounterKey, float] = {}
    while True:
        values = counter_values()
        if values != last:
            try:
                await asyncio.to_thread(writer.send, values)
            except OSError:
                return  # the service is gone; die_with_parent ends this process
            last = values
        await asyncio.sleep(interval)


def relay_main(
    service: str,
    database_url: str,
    rabbitmq_url: str,
    batch_size: int,
    poll_seconds: float,
    log_level: str,
    log_format: str,
    parent_pid: int | None = None,
    metrics_pipe: Connection | None = None,
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
        reporter = (
            asyncio.create_task(report_counters(metrics_pipe)) if metrics_pipe is not None else None
        )
        try:
            await stop.wait()
        finally:
            if reporter is not None:
                reporter.cancel()
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
        self._metrics: Connection | None = None
        self._mirror = CounterMirror()

    def _spawn(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._close_pipe()
        reader, writer = context.Pipe(duplex=False)
        self.process = context.Process(
            target=relay_main,
            args=(*self.args, writer),
            name=f"{self.service}-relay",
            daemon=True,
        )
        self.process.start()
        writer.close()  # the child holds its own copy
        self._metrics, self._mirror = reader, CounterMirror()

    def _close_pipe(self) -> None:
        if self._metrics is not None:
            self._metrics.close()
            self._metrics = None

    def collect_metrics(self) -> None:
        """Take the counter reports the relay sent since the last call (never blocks)."""
        try:
            while self._metrics is not None and self._metrics.poll():
                self._mirror.apply(self._metrics.recv())
        except (EOFError, OSError):
            self._close_pipe()  # the relay died; the watchdog starts a new one with a new pipe

    async def start(self) -> None:
        self._spawn()
        self._watch = asyncio.create_task(self._watchdog(), name=f"relay-watch:{self.service}")

    async def _watchdog(self) -> None:
        delay = 1.0
        while True:
            await asyncio.sleep(delay)
            self.collect_metrics()
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
        self.collect_metrics()
        self._close_pipe()
