"""The pages of the service-desk functions without a browser: every form needs the session's
CSRF token, refusals are shown on the form in the caller's language, a personnummer is never
put in an address, and a reviewer gets no buttons for priority or tasks."""

import re
import uuid
from typing import Any

import httpx
import pytest

from . import test_service_desk_api as api_tests
from .test_service_desk_api import Desk, personal_number
from .test_web import csrf_of, text_of

# The API tests' organization, case types and staff (a module-scoped fixture of their own here).
desk_fixture = api_tests.desk

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_residents_forms_need_csrf_and_explain_refusals(
    client: httpx.AsyncClient, gw: Any, desk_fixture: Desk
) -> None:
    desk = desk_fixture
    await gw.browser_login(client, desk.handler.username, desk.handler.password)
    page = await client.get("/administration/invanare", params={"organisation": desk.organization})
    assert page.status_code == 200
    token = csrf_of(page.text)
    base = {"organization": desk.organization}

    forged = await client.post(
        "/administration/invanare/godkann",
        data={**base, "personal_number": personal_number(61)},
    )
    assert forged.status_code == 403

    bad = await client.post(
        "/administration/invanare/hamta",
        data={**base, "personal_number": "197001011234", "csrf_token": token},
    )
    assert bad.status_code == 422
    assert "Ange ett giltigt personnummer (ÅÅÅÅMMDD-NNNN)." in text_of(bad.text)

    resident = personal_number(62)
    approved = await client.post(
        "/administration/invanare/godkann",
        data={**base, "personal_number": resident, "csrf_token": token},
    )
    assert approved.status_code == 303
    assert resident not in approved.headers["location"]  # never in an address
    shown = await client.get(approved.headers["location"])
    assert "Invånaren är godkänd för kommunikation." in text_of(shown.text)
    assert resident in shown.text

    none_chosen = await client.post(
        "/administration/invanare/ta-bort", data={**base, "csrf_token": token}
    )
    assert none_chosen.status_code == 422
    assert "Markera minst en invånare." in text_of(none_chosen.text)

    english = await client.post(
        "/administration/invanare/dela-ut?lang=en",
        data={
            **base,
            "personal_number": resident,
            "case_type": desk.open,
            "duration": "tills-vidare",
            "csrf_token": token,
        },
    )
    assert english.status_code == 422
    assert f"The case type {desk.open} is not restricted." in text_of(english.text)


async def test_outreach_page_refuses_251_and_a_reviewer_sees_no_task_buttons(
    client: httpx.AsyncClient, gw: Any, desk_fixture: Desk
) -> None:
    desk = desk_fixture
    await gw.browser_login(client, desk.handler.username, desk.handler.password)
    page = await client.get("/arenden/skicka")
    assert page.status_code == 200 and "Skicka ärende till invånare" in page.text
    token = csrf_of(page.text)
    recipients = "\n".join(personal_number(i) for i in range(400, 651))
    refused = await client.post(
        "/arenden/skicka",
        data={
            "case_type": desk.open,
            "recipients": recipients,
            "title": "Hej",
            "message": "Meddelande",
            "send_id": uuid.uuid4().hex,
            "csrf_token": token,
        },
    )
    assert refused.status_code == 422
    assert "Du kan skicka till högst 250 mottagare åt gången. Du angav 251." in text_of(
        refused.text
    )

    sent = await client.post(
        "/arenden/skicka",
        data={
            "case_type": desk.open,
            "recipients": personal_number(700),
            "title": "Hej",
            "message": "Meddelande",
            "send_id": uuid.uuid4().hex,
            "csrf_token": token,
        },
    )
    assert sent.status_code == 200
    case_id = int(re.search(r'href="/arenden/(\d+)"', sent.text.split("notice--success")[1])[1])

    reviewer = httpx.AsyncClient(transport=client._transport, base_url="http://gateway")
    async with reviewer:
        await gw.browser_login(reviewer, desk.reviewer.username, desk.reviewer.password)
        view = await reviewer.get(f"/arenden/{case_id}")
        assert view.status_code == 200
        assert "Ny uppgift" not in view.text and "Prioritet och kategori" not in view.text
        dialog = await reviewer.get(f"/arenden/{case_id}/ny-uppgift")
        assert dialog.status_code == 403
