"""The FastAPI shell of every service: lifespan, /healthz, /readyz, /metrics, request metrics,
correlation ids, and the internal-API guard."""

import asyncio
import hmac
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import uvicorn
import uvloop
from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from arende_platform.logging import (
    CASE_CORRELATION_HEADER,
    case_correlation_slot,
    configure_logging,
    correlation_id,
)
from arende_platform.metrics import HTTP_LATENCY, HTTP_REQUESTS
from arende_platform.settings import PlatformSettings

log = logging.getLogger(__name__)

ReadinessCheck = Callable[[], Awaitable[bool]]


class _RequestMetrics:
    """Correlation id, latency and count of every HTTP request.

    Plain ASGI rather than Starlette's BaseHTTPMiddleware: that one runs each request through
    an extra task and memory stream, about a millisecond of CPU per request, and it buffers
    streamed downloads.
    """

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cid = Headers(scope=scope).get("x-correlation-id") or uuid.uuid4().hex
        token = correlation_id.set(cid)
        case_cid: list[str] = []
        slot_token = case_correlation_slot.set(case_cid)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers.append("x-correlation-id", cid)
                if case_cid:
                    headers.append(CASE_CORRELATION_HEADER, case_cid[0])
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", "unmatched")
            method = scope["method"]
            HTTP_LATENCY.labels(self.service, method, path).observe(time.perf_counter() - started)
            HTTP_REQUESTS.labels(self.service, method, path, str(status)).inc()
            case_correlation_slot.reset(slot_token)
            correlation_id.reset(token)


def create_app(
    service: str,
    lifespan: Callable[[FastAPI], AsyncIterator[None]],
    readiness: Callable[[FastAPI], list[tuple[str, ReadinessCheck]]],
    **fastapi_kwargs: object,
) -> FastAPI:
    """A FastAPI app with the operational endpoints every service has."""
    app = FastAPI(lifespan=asynccontextmanager(lifespan), **fastapi_kwargs)  # type: ignore[arg-type]
    app.add_middleware(_RequestMetrics, service=service)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": service}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        results: dict[str, str] = {}
        for name, check in readiness(app):
            try:
                ok = await asyncio.wait_for(check(), timeout=2)
            except Exception:  # a failing dependency means "not ready", never a crash
                ok = False
            results[name] = "ok" if ok else "failing"
        ready = all(v == "ok" for v in results.values())
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": results},
            status_code=200 if ready else 503,
        )

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app


def internal_token_guard(settings: PlatformSettings) -> Callable[[Request], Awaitable[None]]:
    """A dependency that admits only callers presenting INTERNAL_API_TOKEN.

    Async on purpose: FastAPI runs a sync dependency in a worker thread, which costs more
    than the comparison itself on every internal call.
    """

    async def guard(request: Request) -> None:
        expected = settings.internal_api_token
        given = request.headers.get("x-internal-token", "")
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            raise HTTPException(status_code=401, detail="internal API token required")

    return guard


def serve(app: FastAPI, settings: PlatformSettings, service: str, port: int) -> None:
    """Run a service's app with uvicorn on its port until SIGTERM/SIGINT."""
    configure_logging(service, settings.log_level, settings.log_format)
    config = uvicorn.Config(
        app,
        host=settings.bind_host,
        port=port,
        log_config=None,
        access_log=False,
        proxy_headers=True,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    # uvloop and httptools (uvicorn picks httptools itself): the event loop and HTTP parsing
    # in C take a third off the per-request CPU of the case list.
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(server.serve())
