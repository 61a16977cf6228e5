"""The gateway's client of case-service's internal API.

Every call carries the internal token, the caller as an `Actor` (case-service scopes every
object by it) and the correlation id. Failures become HTTP errors a caller can act on: case-
service unreachable or timing out → 503, case-service broken or refusing the gateway's
internal token → 502, a 4xx about the request → the same status with case-service's detail.
"""

import json
import logging
from collections.abc import Mapping
from typing import Any

import httpx
from fastapi import HTTPException
from starlette.exceptions import HTTPException as StarletteHTTPException

from arende_contracts.access import ACTOR_HEADER, Actor
from arende_platform.logging import CASE_CORRELATION_HEADER, adopt_correlation, correlation_id
from gateway.case_errors import CASE_NOT_FOUND, refusal
from gateway.errors import AppError

log = logging.getLogger(__name__)

UNAVAILABLE = "Ärendetjänsten svarar inte just nu. Försök igen om en stund."
FAILED = "Ärendetjänsten kunde inte utföra begäran."
INVALID_CURSOR = "Ogiltig cursor. Börja om från första sidan."


def actor_header(actor: Actor) -> str:
    """The actor as ASCII-only JSON: HTTP header values cannot carry "Åsa Öberg" raw."""
    return json.dumps(actor.model_dump(mode="json"), ensure_ascii=True, separators=(",", ":"))


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        return response.text[:500] or response.reason_phrase
    if isinstance(detail, str):
        return detail
    if isinstance(detail, list):  # FastAPI's validation errors
        return "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ())[1:])}: {e.get('msg', '')}"
            for e in detail
            if isinstance(e, dict)
        )
    return json.dumps(detail, ensure_ascii=False)


class CaseServiceClient:
    """Calls case-service on behalf of a signed-in caseworker."""

    def __init__(self, client: httpx.AsyncClient, internal_token: str) -> None:
        self.client = client
        self.internal_token = internal_token

    async def send(
        self,
        method: str,
        path: str,
        actor: Actor,
        *,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
        stream: bool = False,
    ) -> httpx.Response:
        """The successful response of one internal call, or an HTTPException.

        With `stream` the body is not read: the caller streams it and closes the response.
        """
        headers = {"x-internal-token": self.internal_token, ACTOR_HEADER: actor_header(actor)}
        cid = correlation_id.get()
        if cid:
            headers["x-correlation-id"] = cid
        if params:
            params = {k: v for k, v in params.items() if v is not None}
        try:
            request = self.client.build_request(
                method, path, params=params, json=json_body, headers=headers
            )
            response = await self.client.send(request, stream=stream)
            if stream and response.status_code >= 400:
                await response.aread()  # an error's detail is small: read it, then refuse
                await response.aclose()
        except httpx.TransportError as exc:  # refused, reset, DNS, timeout
            log.warning("case-service unreachable", extra={"path": path, "error": repr(exc)[:300]})
            raise AppError(503, UNAVAILABLE) from exc
        if response.status_code in (502, 503, 504):
            log.warning("case-service unavailable", extra={"status": response.status_code})
            raise AppError(503, UNAVAILABLE)
        if response.status_code >= 500 or response.status_code == 401:
            # A 401 from case-service means it refused the gateway's internal token: a fault of
            # the installation, not of the caller, whose own token was fine.
            log.error(
                "case-service refused the gateway's call",
                extra={"path": path, "status": response.status_code, "detail": _detail(response)},
            )
            raise AppError(502, FAILED)
        if response.status_code >= 400:
            raise refusal(response) or HTTPException(
                status_code=response.status_code, detail=_detail(response)
            )
        # The call was about one case: log the rest of this request under the case's id.
        adopt_correlation(response.headers.get(CASE_CORRELATION_HEADER))
        return response

    async def call(
        self,
        method: str,
        path: str,
        actor: Actor,
        *,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
    ) -> Any:
        """The decoded JSON answer of one internal call, or an HTTPException."""
        response = await self.send(method, path, actor, params=params, json_body=json_body)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    async def list_cases_json(self, actor: Actor, params: Mapping[str, Any]) -> bytes:
        """A page of a case list as case-service's JSON (the parameters of `GET /api/v1/cases`,
        validated).

        The gateway checks every other parameter itself, so a 422 from case-service is about
        the cursor (malformed, or made for another sort).
        """
        query = {k: v for k, v in params.items() if v is not None and v != ""}
        if isinstance(query.get("detailed"), bool):
            query["detailed"] = "true" if query["detailed"] else "false"
        try:
            response = await self.send("GET", "/internal/cases", actor, params=query)
        except StarletteHTTPException as exc:
            if exc.status_code == 422:
                raise AppError(422, INVALID_CURSOR) from exc
            raise
        return response.content

    async def list_cases(self, actor: Actor, params: Mapping[str, Any]) -> dict[str, Any]:
        """A page of a case list (see `list_cases_json`)."""
        return json.loads(await self.list_cases_json(actor, params))  # type: ignore[no-any-return]

    async def get_case(self, actor: Actor, case_id: int) -> dict[str, Any]:
        """One case; 404 (in the caller's language) when it is missing or outside their scope."""
        try:
            return await self.call("GET", f"/internal/cases/{case_id}", actor)  # type: ignore[no-any-return]
        except HTTPException as exc:
            if exc.status_code == 404:
                raise AppError(404, CASE_NOT_FOUND) from exc
            raise

    async def case_scope(self, actor: Actor, case_id: int) -> dict[str, Any]:
        """Case type, organization, status and the caller's allowed actions (not a read)."""
        return await self.call("GET", f"/internal/cases/{case_id}/scope", actor)  # type: ignore[no-any-return]

    async def act(
        self, actor: Actor, case_id: int, action: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        """Run an action (assign, update, reference, close, switch-user, acknowledge)."""
        answer = await self.call(
            "POST", f"/internal/cases/{case_id}/{action}", actor, json_body=body
        )
        log.info("case action", extra={"case_id": case_id, "action": action, "by": actor.username})
        return answer  # type: ignore[no-any-return]

    async def attachment(self, actor: Actor, case_id: int, attachment_id: int) -> httpx.Response:
        """A case's file, its body not read yet: stream it on (`file_response`), which closes it."""
        return await self.send(
            "GET", f"/internal/cases/{case_id}/attachments/{attachment_id}", actor, stream=True
        )

    async def access_log(self, actor: Actor, params: dict[str, Any]) -> dict[str, Any]:
        """A page of the access log in the caller's administrative scope."""
        return await self.call("GET", "/internal/access-log", actor, params=params)  # type: ignore[no-any-return]
