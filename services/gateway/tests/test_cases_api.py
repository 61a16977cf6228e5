"""The integration API's case list and case, scoped to the caller's grants (F-LI-1, F-AD-2)."""

import json
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
import pytest_asyncio

from arende_platform.logging import correlation_id
from arende_platform.testing import eventually
from gateway.case_client import CaseServiceClient

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(loop_scope="session")
async def case_service_via(gateway_app: Any) -> AsyncIterator[Callable[[Any], None]]:
    """Route the gateway's case-service calls through a mock handler for one test."""
    original = gateway_app.state.case_service
    async with AsyncExitStack() as stack:

        def route(handler: Any) -> None:
            mock = httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url="http://case")
            stack.push_async_callback(mock.aclose)
            gateway_app.state.case_service = CaseServiceClient(mock, "test-internal-token")

        try:
            yield route
        finally:
            gateway_app.state.case_service = original


async def test_a_published_submission_is_listed_for_a_handler_of_its_organization(
    client: httpx.AsyncClient, scenario: Any
) -> None:
    response = await client.get(
        "/api/v1/cases", params={"view": "all"}, headers=scenario.handler.headers
    )
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["total"] == 1
    assert page["limit"] == 25
    assert page["next_cursor"] is None
    [item] = page["items"]
    assert item["id"] == scenario.case["id"]
    assert item["case_type"] == scenario.case_type
    assert item["title"] == "Anmälan till flexlinjen"
    assert item["status"] == "submitted"
    assert item["handler"] is None
    assert item["reference"] is None
    assert item["starred"] is False
    assert item["submitter"]["personal_number"] == "191212121212"
    assert item["submitter"]["name"] == "Carin Testare"
    assert item["submitted_at"].startswith("2026-11-24T09:15:00")
    assert item["updated_at"]

    mine = await client.get(
        "/api/v1/cases", params={"view": "mine"}, headers=scenario.handler.headers
    )
    assert mine.json()["total"] == 0
    archived = await client.get(
        "/api/v1/cases", params={"view": "archived"}, headers=scenario.handler.headers
    )
    assert archived.json()["total"] == 0


async def test_the_case_has_its_form_and_timeline(client: httpx.AsyncClient, scenario: Any) -> None:
    response = await client.get(
        f"/api/v1/cases/{scenario.case['id']}", headers=scenario.handler.headers
    )
    assert response.status_code == 200, response.text
    case = response.json()
    assert case["form"][0]["fields"][0] == {"key": "fornamn", "label": "Förnamn", "value": "Carin"}
    assert case["events"][0]["internal"] is False
    assert {"status", "title", "message", "created_at", "author"} <= set(case["events"][0])
    assert "intyg.pdf" in [a["filename"] for a in case["attachments"]]


async def test_a_caseworker_of_another_organization_does_not_see_the_case(
    client: httpx.AsyncClient, scenario: Any
) -> None:
    listed = await client.get(
        "/api/v1/cases", params={"view": "all", "limit": 200}, headers=scenario.outsider.headers
    )
    assert listed.status_code == 200
    assert scenario.case["id"] not in [i["id"] for i in listed.json()["items"]]
    assert listed.json()["total"] == 0

    detail = await client.get(
        f"/api/v1/cases/{scenario.case['id']}", headers=scenario.outsider.headers
    )
    assert detail.status_code == 404
    assert detail.json() == {"detail": "Ärendet finns inte eller så saknar du behörighet till det."}


async def test_a_grant_limited_to_other_case_types_hides_the_case(
    client: httpx.AsyncClient, gw: Any, scenario: Any
) -> None:
    other_type = await gw.case_type(scenario.organization, name="Annan e-tjänst")
    limited = await gw.staff(
        [{"organization": scenario.organization, "role": "handler", "case_types": [other_type]}]
    )
    detail = await client.get(f"/api/v1/cases/{scenario.case['id']}", headers=limited.headers)
    assert detail.status_code == 404


async def test_paging_follows_the_cursor(client: httpx.AsyncClient, gw: Any) -> None:
    organization = await gw.organization()
    case_type = await gw.case_type(organization)
    staff = await gw.staff([{"organization": organization, "role": "reviewer"}])
    for _ in range(3):
        await gw.submit(case_type)

    async def all_three() -> bool:
        page = await client.get("/api/v1/cases", headers=staff.headers)
        return page.json()["total"] == 3

    await eventually(all_three)
    first = (await client.get("/api/v1/cases", params={"limit": 2}, headers=staff.headers)).json()
    assert len(first["items"]) == 2 and first["total"] == 3
    second = (
        await client.get(
            "/api/v1/cases",
            params={"limit": 2, "cursor": first["next_cursor"]},
            headers=staff.headers,
        )
    ).json()
    assert len(second["items"]) == 1 and second["next_cursor"] is None
    ids = [i["id"] for i in first["items"] + second["items"]]
    assert len(set(ids)) == 3


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/cases", {"view": "everything"}),
        ("/api/v1/cases", {"limit": 0}),
        ("/api/v1/cases", {"limit": "many"}),
        ("/api/v1/cases", {"cursor": "not-a-cursor"}),
        ("/api/v1/cases/abc", {}),
        ("/api/v1/cases/99999999999999999999999", {}),
    ],
    ids=["view", "limit-zero", "limit-text", "cursor", "id-text", "id-huge"],
)
async def test_bad_input_is_a_4xx_with_a_text_detail(
    client: httpx.AsyncClient, scenario: Any, path: str, params: dict[str, Any]
) -> None:
    response = await client.get(path, params=params, headers=scenario.handler.headers)
    assert response.status_code == 422, response.text
    assert isinstance(response.json()["detail"], str)


async def test_case_service_down_is_a_503_with_a_clear_detail(
    client: httpx.AsyncClient,
    scenario: Any,
    case_service_via: Callable[[Any], None],
) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    case_service_via(refuse)
    for path in ("/api/v1/cases", f"/api/v1/cases/{scenario.case['id']}"):
        response = await client.get(path, headers=scenario.handler.headers)
        assert response.status_code == 503
        assert response.json() == {
            "detail": "Ärendetjänsten svarar inte just nu. Försök igen om en stund."
        }
    english = await client.get(
        "/api/v1/cases", headers={**scenario.handler.headers, "Accept-Language": "en"}
    )
    assert english.json()["detail"].startswith("The case service is not answering")


async def test_every_call_carries_the_actor_the_internal_token_and_the_correlation_id(
    client: httpx.AsyncClient,
    scenario: Any,
    case_service_via: Callable[[Any], None],
) -> None:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"items": [], "total": 0, "limit": 25, "next_cursor": None})

    case_service_via(record)
    response = await client.get(
        "/api/v1/cases",
        params={"view": "mine"},
        headers={**scenario.handler.headers, "x-correlation-id": "corr-123"},
    )
    assert response.status_code == 200
    [request] = seen
    assert request.url.path == "/internal/cases"
    assert request.url.params["view"] == "mine"
    assert request.headers["x-internal-token"] == "test-internal-token"
    assert request.headers["x-correlation-id"] == "corr-123"
    actor = json.loads(request.headers["x-actor"])
    assert actor["username"] == scenario.handler.username
    assert actor["name"] == "Åsa Öberg"  # escaped to ASCII in the header, intact after parsing
    assert actor["superuser"] is False
    assert actor["grants"] == [
        {"organization": scenario.organization, "role": "handler", "case_types": None}
    ]
    assert correlation_id.get() is None
