"""Correlation ids over HTTP: a request has its own id; once it adopts a case's id, its later
log lines carry the case's id and the answer names it in x-case-correlation-id."""

import io
import json
import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from arende_platform.logging import (
    CASE_CORRELATION_HEADER,
    JsonFormatter,
    adopt_correlation,
    correlation_id,
)
from arende_platform.web import create_app

pytestmark = pytest.mark.asyncio(loop_scope="session")
log = logging.getLogger("correlation-test")


def _app() -> FastAPI:
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield

    app = create_app("correlation-test", lifespan, lambda app: [])

    @app.get("/cases/{case_id}")
    async def case(case_id: str) -> dict[str, str | None]:
        log.info("before")
        adopt_correlation(f"submission-{case_id}")
        log.info("after")
        return {"correlation_id": correlation_id.get()}

    @app.get("/plain")
    async def plain() -> dict[str, str | None]:
        return {"correlation_id": correlation_id.get()}

    return app


async def test_a_request_adopts_the_case_id() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("correlation-test"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        transport = httpx.ASGITransport(app=_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            answer = await client.get("/cases/7", headers={"x-correlation-id": "request-1"})
            plain = await client.get("/plain", headers={"x-correlation-id": "request-2"})
    finally:
        log.removeHandler(handler)
    assert answer.headers["x-correlation-id"] == "request-1"
    assert answer.headers[CASE_CORRELATION_HEADER] == "submission-7"
    assert answer.json() == {"correlation_id": "submission-7"}
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(e["message"], e["correlation_id"]) for e in lines] == [
        ("before", "request-1"),
        ("after", "submission-7"),
    ]
    # A request about no case answers no case id, and nothing leaks between requests.
    assert CASE_CORRELATION_HEADER not in plain.headers
    assert plain.json() == {"correlation_id": "request-2"}
    assert correlation_id.get() is None


async def test_adopting_nothing_changes_nothing() -> None:
    token = correlation_id.set("kept")
    try:
        adopt_correlation(None)
        adopt_correlation("")
        assert correlation_id.get() == "kept"
    finally:
        correlation_id.reset(token)
