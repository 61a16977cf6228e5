"""retention-service's client of case-service's internal retention API."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any, TypeVar

import httpx

from arende_platform.logging import correlation_id

log = logging.getLogger(__name__)
T = TypeVar("T")

# Seconds between the attempts of one command, so a run rides out a short outage of case-service.
RETRIES = (1, 2, 5, 10, 20)


class CaseServiceError(Exception):
    """case-service did not carry out a command (unreachable or refused)."""


async def retried(call: Callable[[], Awaitable[T]], what: str) -> T:
    """`call()`, tried again after each pause of RETRIES while it raises CaseServiceError.

    Safe for every command of a run: case-service re-checks each case, so a command that took
    effect before its answer was lost does nothing more the second time."""
    for delay in (*RETRIES, None):
        try:
            return await call()
        except CaseServiceError as exc:
            if delay is None:
                raise
            log.warning(f"{what} failed, retrying", extra={"error": str(exc)})
            await asyncio.sleep(delay)
    raise AssertionError("unreachable")


class CaseServiceClient:
    """Asks what is due and commands archive and purge, with the internal token."""

    def __init__(self, client: httpx.AsyncClient, token: str) -> None:
        self.client = client
        self.token = token

    async def _call(self, method: str, path: str, body: Any = None) -> Any:
        headers = {"x-internal-token": self.token}
        cid = correlation_id.get()
        if cid:
            headers["x-correlation-id"] = cid
        try:
            response = await self.client.request(method, path, json=body, headers=headers)
        except httpx.TransportError as exc:
            raise CaseServiceError(f"case-service unreachable: {exc!r}"[:300]) from exc
        if response.status_code >= 400:
            raise CaseServiceError(f"case-service answered {response.status_code}")
        return response.json()

    async def rules(self) -> list[dict[str, Any]]:
        return await self._call("GET", "/internal/retention/rules")  # type: ignore[no-any-return]

    async def due(
        self, case_type: str, archive_before: datetime, purge_before: datetime
    ) -> dict[str, list[int]]:
        body = {
            "case_type": case_type,
            "archive_before": archive_before.isoformat(),
            "purge_before": purge_before.isoformat(),
        }
        return await self._call("POST", "/internal/retention/due", body)  # type: ignore[no-any-return]

    async def command(
        self,
        action: str,
        case_ids: list[int],
        before: datetime,
        archive_before: datetime | None = None,
    ) -> dict[str, Any]:
        """`action` archive or purge; the answer lists done, already done and skipped ids.

        A purge with `archive_before` also purges cases not archived yet that are due for both.
        """
        body: dict[str, Any] = {"case_ids": case_ids, "before": before.isoformat()}
        if archive_before is not None:
            body["archive_before"] = archive_before.isoformat()
        return await self._call("POST", f"/internal/retention/{action}", body)  # type: ignore[no-any-return]

    async def resident_records(
        self, shares_until_before: date, audit_before: datetime, dry_run: bool, limit: int
    ) -> dict[str, Any]:
        """Purge (or, dry, count) expired shares and old resident audit entries; the answer
        counts them and says whether `more` are due (one batch of each per call)."""
        body = {
            "shares_until_before": shares_until_before.isoformat(),
            "audit_before": audit_before.isoformat(),
            "dry_run": dry_run,
            "limit": limit,
        }
        return await self._call("POST", "/internal/retention/residents", body)  # type: ignore[no-any-return]
