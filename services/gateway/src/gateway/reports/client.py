"""The gateway's client of report-service's internal API (reports and statistics).

Like the case-service client: the internal token and the caller as `x-actor` on every call;
report-service unreachable → 503, broken → 502, a 4xx → the same status.
"""

import logging
from typing import Any
from urllib.parse import quote

import httpx
from fastapi import HTTPException

from arende_contracts.access import ACTOR_HEADER, Actor
from arende_platform.logging import correlation_id
from gateway.case_client import actor_header
from gateway.errors import AppError

log = logging.getLogger(__name__)

UNAVAILABLE = "Rapporttjänsten svarar inte just nu. Försök igen om en stund."
FAILED = "Rapporttjänsten kunde inte utföra begäran."
REPORT_NOT_FOUND = "Rapporten finns inte"
REPORT_NOT_READY = "Rapporten är inte klar än"


class ReportServiceClient:
    def __init__(self, client: httpx.AsyncClient, internal_token: str) -> None:
        self.client = client
        self.internal_token = internal_token

    async def send(
        self, method: str, path: str, actor: Actor, *, params: dict[str, Any] | None = None
    ) -> httpx.Response:
        headers = {"x-internal-token": self.internal_token, ACTOR_HEADER: actor_header(actor)}
        cid = correlation_id.get()
        if cid:
            headers["x-correlation-id"] = cid
        if params:
            params = {k: v for k, v in params.items() if v is not None and v != ""}
        try:
            response = await self.client.request(method, path, params=params, headers=headers)
        except httpx.TransportError as exc:
            log.warning(
                "report-service unreachable", extra={"path": path, "error": repr(exc)[:300]}
            )
            raise AppError(503, UNAVAILABLE) from exc
        if response.status_code in (502, 503, 504):
            raise AppError(503, UNAVAILABLE)
        if response.status_code >= 500 or response.status_code == 401:
            log.error(
                "report-service refused the gateway's call",
                extra={"path": path, "status": response.status_code},
            )
            raise AppError(502, FAILED)
        if response.status_code == 404 and path.startswith("/internal/reports"):
            raise AppError(404, REPORT_NOT_FOUND)
        if response.status_code == 409:
            raise AppError(409, REPORT_NOT_READY)
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise HTTPException(status_code=response.status_code, detail=str(detail)[:500])
        return response

    async def call(
        self, method: str, path: str, actor: Actor, *, params: dict[str, Any] | None = None
    ) -> Any:
        response = await self.send(method, path, actor, params=params)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    async def reports(self, actor: Actor) -> list[dict[str, Any]]:
        return await self.call("GET", "/internal/reports", actor)  # type: ignore[no-any-return]

    async def report(self, actor: Actor, report_id: str) -> dict[str, Any]:
        return await self.call("GET", f"/internal/reports/{report_id}", actor)  # type: ignore[no-any-return]

    async def file(self, actor: Actor, report_id: str) -> bytes:
        return (await self.send("GET", f"/internal/reports/{report_id}/file", actor)).content

    async def delete(self, actor: Actor, report_id: str) -> None:
        await self.send("DELETE", f"/internal/reports/{report_id}", actor)

    async def overview(
        self, actor: Actor, organization: str | None, business_area: str | None
    ) -> dict[str, Any]:
        return await self.call(  # type: ignore[no-any-return]
            "GET",
            "/internal/statistics",
            actor,
            params={"organization": organization, "business_area": business_area},
        )

    async def per_period(
        self, actor: Actor, case_type: str, params: dict[str, Any]
    ) -> dict[str, Any]:
        return await self.call(  # type: ignore[no-any-return]
            "GET", f"/internal/statistics/{quote(case_type, safe='')}", actor, params=params
        )
