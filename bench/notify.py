"""E-mails per second through notification-service to a local SMTP sink, beside aiosmtplib alone.

    uv run python bench/notify.py                 # 3,000 e-mails (short; the machine is shared)
    uv run python bench/notify.py --count 10000 --set SMTP_CONNECTIONS=16

1. An aiosmtpd sink (in this process, its own thread) answers 250 to every message and counts.
2. Baseline: aiosmtplib alone, `--connections` kept-open connections sending the same message
   (From/To/Subject/Message-ID/body as the service builds it) one after the other on each.
3. notification-service (its console script, a vhost and databases of its own) is started once
   to declare the topology and migrate, stopped, N NotificationRequested (e-mail, distinct
   recipients) are pre-published with confirms, and it is started again. Rate =
   N / (ready → the sink has counted N messages). Every one of them also wrote its notification
   row before sending, recorded `sent` after, and staged NotificationSent.
Results are appended to bench/results/notify.jsonl.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import threading
import time
import uuid
from email.message import EmailMessage
from typing import Any

import aio_pika
import aiosmtplib
from aiosmtpd.controller import Controller
from harness import (
    Service,
    append_result,
    background_cores,
    cpu_seconds,
    free_port,
    isolated_env,
    print_table,
    venv_script,
)

from arende_contracts.events import EXCHANGE_INTERNAL, NotificationRequested

GOAL_RATE = 200.0


class Sink:
    """Accepts every message; counts them and remembers when the last one came."""

    def __init__(self) -> None:
        self.count = 0
        self.first = 0.0
        self.last = 0.0
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.count += 1
            now = time.time()
            self.first = self.first or now
            self.last = now
        return "250 OK"

    def reset(self) -> None:
        with self.lock:
            self.count, self.first, self.last = 0, 0.0, 0.0


def message(i: int) -> EmailMessage:
    m = EmailMessage()
    m["From"] = "Handläggarstöd <noreply@localhost>"
    m["To"] = f"mottagare-{i}@example.se"
    m["Subject"] = "Ditt ärende har uppdaterats"
    m["Message-ID"] = f"<{uuid.uuid4().hex}@localhost>"
    m.set_content(
        "Ditt ärende Anmälan till flexlinjen har uppdaterats, följ ditt ärende på Mina sidor."
        "\n\nDetta meddelande går inte att svara på.\n"
    )
    return m


async def baseline(port: int, count: int, connections: int) -> dict[str, Any]:
    async def worker(share: range) -> None:
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False)
        await client.connect()
        for i in share:
            await client.send_message(message(i))
        await client.quit()

    started = time.perf_counter()
    await asyncio.gather(*(worker(range(k, count, connections)) for k in range(connections)))
    elapsed = time.perf_counter() - started
    return {"count": count, "seconds": elapsed, "rate": count / elapsed}


async def prepublish(url: str, count: int) -> None:
    connection = await aio_pika.connect(url)
    channel = await connection.channel(publisher_confirms=True)
    exchange = await channel.get_exchange(EXCHANGE_INTERNAL, ensure=False)
    pending: list[Any] = []
    for i in range(count):
        event = NotificationRequested(
            correlation_id=f"bench-{i}",
            producer="bench",
            data={
                "notification_id": uuid.uuid4(),
                "case_id": i + 1,
                "case_type_name": "Anmälan till flexlinjen",
                "channel": "email",
                "recipient": f"mottagare-{i}@example.se",
                "reason": "update",
            },
        )
        pending.append(
            exchange.publish(
                aio_pika.Message(
                    event.model_dump_json().encode(),
                    message_id=str(event.event_id),
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                ),
                routing_key=event.routing_key,
                mandatory=True,
            )
        )
        if len(pending) >= 500:
            await asyncio.gather(*pending)
            pending.clear()
    await asyncio.gather(*pending)
    await connection.close()


async def through_service(
    sink: Sink, smtp_port: int, count: int, extra: dict[str, str]
) -> dict[str, Any]:
    with isolated_env("notify") as env:
        port = free_port()
        environ = {
            "RABBITMQ_URL": env.rabbitmq_url,
            "DATABASE_URL": env.database_url,
            "NOTIFICATION_SERVICE_PORT": str(port),
            "SMTP_PORT": str(smtp_port),
            "LOG_LEVEL": "WARNING",
            **extra,
        }
        service = Service(
            "notification-service", [venv_script("notification-service")], environ, port
        )
        service.start()
        await service.wait_ready()
        service.stop()
        await prepublish(env.rabbitmq_url, count)
        sink.reset()
        service = Service(
            "notification-service", [venv_script("notification-service")], environ, port
        )
        service.start()
        try:
            ready = await service.wait_ready()
            deadline = time.monotonic() + max(120, count / 20)
            while sink.count < count and time.monotonic() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
            cpu = cpu_seconds(service.pid)
        finally:
            service.stop()
        if sink.count < count:
            raise RuntimeError(f"only {sink.count} of {count} e-mails arrived; {service.log_path}")
        service.discard_log()
        elapsed = sink.last - ready
        return {
            "count": count,
            "seconds": elapsed,
            "rate": count / elapsed,
            "first_mail_after_ready_s": sink.first - ready,
            "cpu_seconds": cpu,
            "peak_rss_mb": service.peak_rss_mb,
            "settings": extra,
        }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--connections", type=int, default=8, help="baseline connections")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--label", default="")
    args = parser.parse_args(argv)
    extra = dict(item.split("=", 1) for item in args.set)

    sink = Sink()
    smtp_port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        busy = background_cores()
        base = asyncio.run(baseline(smtp_port, args.count, args.connections))
        sink.reset()
        service = asyncio.run(through_service(sink, smtp_port, args.count, extra))
    finally:
        controller.stop()
    result = {"label": args.label, "background_cores": busy, "baseline": base, "service": service}
    append_result("notify", result)
    print_table(
        [
            {
                "measure": "notification-service end to end",
                "value": service["rate"],
                "unit": "e-mails/s",
                "goal": f"≥ {GOAL_RATE:.0f}",
                "ok": "yes" if service["rate"] >= GOAL_RATE else "NO",
            },
            {
                "measure": f"aiosmtplib alone ({args.connections} connections)",
                "value": base["rate"],
                "unit": "e-mails/s",
                "goal": "",
                "ok": "",
            },
        ],
        [
            ("measure", "measure"),
            ("value", "value"),
            ("unit", "unit"),
            ("goal", "goal"),
            ("ok", "ok"),
        ],
    )
    print(
        f"service: {service['count']} in {service['seconds']:.2f} s, "
        f"CPU {service['cpu_seconds']} s, peak RSS {service['peak_rss_mb']} MB; "
        f"background load {busy:.2f} cores"
    )
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
