"""Personal settings (F-AD-4): API and page, CSRF, the StaffSettingsChanged event that keeps
notification-service's replica, and the display name and signature the submitter sees."""

import json
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from arende_contracts.events import EXCHANGE_INTERNAL, StaffSettingsChanged
from arende_platform.testing import drain

pytestmark = pytest.mark.asyncio(loop_scope="session")

QUEUE = "test.gateway-staff-settings"


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def staff_events(amqp: Any, gateway_app: Any) -> AsyncIterator[str]:
    channel = await amqp.channel()
    queue = await channel.declare_queue(QUEUE, durable=True)
    await queue.bind(EXCHANGE_INTERNAL, StaffSettingsChanged.routing_key)
    await queue.purge()
    await channel.close()
    yield QUEUE


async def published(amqp: Any, username: str, count: int = 1) -> list[dict[str, Any]]:
    """The newest StaffSettingsChanged events about `username` (others are skipped)."""
    found: list[dict[str, Any]] = []
    for _ in range(20):
        for message in await drain(amqp, QUEUE, 1, timeout=5):
            body = json.loads(message.body)
            if body["data"]["username"] == username:
                found.append(body["data"])
        if len(found) >= count:
            return found
    return found


async def test_settings_api_changes_and_publishes(
    gw: Any, scenario: Any, amqp: Any, staff_events: str
) -> None:
    staff = await gw.staff([{"organization": scenario.organization, "role": "handler"}])
    [created] = await published(amqp, staff.username)
    assert created["alert_new_case"] is False
    assert created["grants"] == [
        {"organization": scenario.organization, "role": "handler", "case_types": None}
    ]
    async with gw.client() as http:
        response = await http.get("/api/v1/me/settings", headers=staff.headers)
        assert response.status_code == 200
        assert response.json()["display_name"] is None
        response = await http.patch(
            "/api/v1/me/settings",
            headers=staff.headers,
            json={
                "display_name": "Åsa på Färdtjänsten",
                "signature": "Med vänliga hälsningar\nÅsa, handläggare",
                "alert_new_case": True,
                "alert_assigned": True,
            },
        )
        assert response.status_code == 200, response.text
        assert response.json()["alert_new_case"] is True
        again = (await http.get("/api/v1/me/settings", headers=staff.headers)).json()
        assert again["display_name"] == "Åsa på Färdtjänsten" and again["alert_sms"] is False
        refused = await http.patch(
            "/api/v1/me/settings", headers=staff.headers, json={"color": "red"}
        )
        assert refused.status_code == 422 and "detail" in refused.json()
        too_long = await http.patch(
            "/api/v1/me/settings", headers=staff.headers, json={"display_name": "x" * 201}
        )
        assert too_long.status_code == 422
    [changed] = await published(amqp, staff.username)
    assert (changed["alert_new_case"], changed["alert_assigned"]) == (True, True)
    assert changed["display_name"] == "Åsa på Färdtjänsten"


async def test_settings_page_needs_the_csrf_token_and_saves(
    gw: Any, scenario: Any, client: httpx.AsyncClient, amqp: Any, staff_events: str
) -> None:
    staff = await gw.staff([{"organization": scenario.organization, "role": "receiver"}])
    await published(amqp, staff.username)
    await gw.browser_login(client, staff.username, staff.password)
    start = await client.get("/arenden/mina")
    assert 'href="/installningar"' in start.text
    page = await client.get("/installningar")
    assert page.status_code == 200 and "Personliga inställningar" in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    forged = await client.post("/installningar", data={"alert_new_case": "1"})
    assert forged.status_code == 403
    saved = await client.post(
        "/installningar",
        data={"csrf_token": token.group(1), "alert_new_case": "1", "display_name": "Mona"},
    )
    assert saved.status_code == 303
    after = await client.get(saved.headers["location"])
    assert "Dina inställningar har sparats." in after.text
    assert re.search(r'id="alert_new_case"[^>]*checked', after.text)
    assert not re.search(r'id="alert_assigned"[^>]*checked', after.text)
    english = await client.get("/installningar?lang=en")
    assert "Personal settings" in english.text and "When a new case has come in" in english.text
    [event] = await published(amqp, staff.username)
    assert event["alert_new_case"] is True and event["display_name"] == "Mona"


async def test_the_submitter_sees_the_display_name_and_signature(gw: Any, scenario: Any) -> None:
    # An organization of its own: other modules count the cases of the shared scenario.
    organization = await gw.organization()
    case_type = await gw.case_type(organization)
    staff = await gw.staff([{"organization": organization, "role": "handler"}])
    async with gw.client() as http:
        await http.patch(
            "/api/v1/me/settings",
            headers=staff.headers,
            json={"display_name": "Handläggare Åsa", "signature": "Hälsningar, Åsa"},
        )
        case = await gw.submit(case_type)
        response = await http.post(
            f"/api/v1/cases/{case['id']}/update",
            headers=staff.headers,
            json={"title": "Vi har tittat", "external_message": "Vi återkommer."},
        )
        assert response.status_code == 200, response.text
        external = [e for e in response.json()["events"] if not e["internal"]]
    assert external[0]["message"] == "Vi återkommer.\n\nHälsningar, Åsa"


async def test_group_membership_is_published(
    gw: Any, scenario: Any, amqp: Any, staff_events: str
) -> None:
    organization = await gw.organization()
    staff = await gw.staff([{"organization": organization, "role": "handler"}])
    await published(amqp, staff.username)
    code = f"grp-{staff.username[-8:]}"
    response = await gw.admin(
        "POST",
        "/api/v1/admin/groups",
        json={
            "code": code,
            "name": "Färdtjänstgruppen",
            "organization": organization,
            "members": [staff.username],
        },
    )
    assert response.status_code == 201, response.text
    [event] = await published(amqp, staff.username)
    assert event["groups"] == [code]
