"""The gateway's client of retention-service's internal API (internal token).

The gateway holds no case data; it checks the administrator's rights and passes the call on.
"""

import logging
from typing import Any

import httpx
from fastapi import Request

from arende_platform.logging import correlation_id
from gateway.errors import AppError
from gateway.settings import GatewaySettings

log = logging.getLogger(__name__)

UNAVAILABLE = "Gallringstjänsten svarar inte just nu. Försök igen om en stund."
FAILED = "Gallringstjänsten kunde inte utföra begäran."


async def call(
    request: Request, method: str, path: str, *, json_body: Any = None, timeout: float = 10.0
) -> Any:
    """The decoded answer of retention-service, or an AppError the caller can act on."""
    settings: GatewaySettings = request.app.state.settings
    headers = {"x-internal-token": settings.internal_api_token}
    cid = correlation_id.get()
    if cid:
        headers["x-correlation-id"] = cid
    try:
        async with httpx.AsyncClient(
            base_url=settings.service_url("retention_service"),
            timeout=httpx.Timeout(timeout, connect=3.0),
        ) as client:
            response = await client.request(method, path, json=json_body, headers=headers)
    except httpx.TransportError as exc:
        log.warning("retention-service unreachable", extra={"error": repr(exc)[:300]})
        raise AppError(503, UNAVAILABLE) from exc
    if response.status_code in (409, 404, 503):
        try:
            detail = response.json().get("detail") or FAILED
        except ValueError:
            detail = FAILED
        raise AppError(response.status_code, detail)
    if response.status_code >= 400:
        log.error("retention-service refused", extra={"status": response.status_code})
        raise AppError(502, FAILED)
    if response.status_code == 204 or not response.content:
        return None
    return response.json()
