"""A real SMTP server (aiosmtpd) and a real HTTP server standing in for 46elks, both started by
the tests; notification-service against the real broker and database."""

import asyncio
import email
import email.policy
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs

import pytest
import pytest_asyncio
import uvicorn
from aiosmtpd.controller import Controller
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from arende_platform.testing import TestEnvironment, isolated_environment


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Mailbox:
    """aiosmtpd handler: keeps accepted messages; answers scripted failures per recipient.

    `script[recipient]` is a list of SMTP answers used one per attempt before accepting;
    `hang` holds recipients whose DATA is never answered while `release` is unset.
    """

    messages: list[EmailMessage] = field(default_factory=list)
    script: dict[str, list[str]] = field(default_factory=dict)
    attempts: dict[str, int] = field(default_factory=dict)
    hang: set[str] = field(default_factory=set)
    release: threading.Event = field(default_factory=threading.Event)
    hanging: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        recipient = envelope.rcpt_tos[0]
        with self.lock:
            self.attempts[recipient] = self.attempts.get(recipient, 0) + 1
            scripted = self.script.get(recipient)
            answer = scripted.pop(0) if scripted else None
        if recipient in self.hang and not self.release.is_set():
            self.hanging.set()
            await asyncio.to_thread(self.release.wait)
            return "421 4.3.0 gave up"  # the client is gone; never counted as delivered
        if answer is not None:
            return answer
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.messages.append(message)
        return "250 OK"

    def to(self, recipient: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if m["To"] == recipient]


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Mailbox, int]]:
    """A real SMTP server on a free port."""
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        mailbox.release.set()
        controller.stop()


@dataclass
class SmsGateway:
    """What the 46elks stand-in received, and scripted HTTP statuses per recipient."""

    received: list[dict[str, str]] = field(default_factory=list)
    auth: list[str] = field(default_factory=list)
    script: dict[str, list[int]] = field(default_factory=dict)

    async def sms(self, request: Request) -> JSONResponse:
        form = parse_qs((await request.body()).decode())
        values = {k: v[0] for k, v in form.items()}
        self.auth.append(request.headers.get("authorization", ""))
        scripted = self.script.get(values.get("to", ""))
        if scripted:
            status = scripted.pop(0)
            return JSONResponse({"error": "scripted"}, status_code=status)
        self.received.append(values)
        return JSONResponse({"id": f"s{len(self.received)}", "status": "created", **values})


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def sms_gateway() -> AsyncIterator[tuple[SmsGateway, str]]:
    """A real HTTP server speaking the 46elks SMS API (`POST /a1/sms`)."""
    gateway = SmsGateway()
    app = Starlette(routes=[Route("/a1/sms", gateway.sms, methods=["POST"])])
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn offers no event for it)
        await asyncio.sleep(0.02)
    try:
        yield gateway, f"http://127.0.0.1:{port}/a1/sms"
    finally:
        server.should_exit = True
        await task


@pytest.fixture(scope="module")
def env() -> Iterator[TestEnvironment]:
    """A vhost and databases of this module's own (its consumers take notification queues)."""
    with isolated_environment() as environment:
        yield environment
