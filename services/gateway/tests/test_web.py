"""The caseworker web UI: login, session, CSRF, the case lists and the case page (F-LI-1, F-LI-2)."""

import re
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from gateway.case_client import CaseServiceClient
from gateway.models import StaffUser, WebSession

pytestmark = pytest.mark.asyncio(loop_scope="session")

COLUMNS = ["Ärende", "Status", "Referens", "Inskickat av", "Skickades in", "Ändrades"]


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def row_of(html: str, case_id: int) -> str:
    found = re.search(rf'<tr id="arende-{case_id}".*?</tr>', html, re.S)
    assert found, html
    return found.group(0)


def column_headers(html: str) -> list[str]:
    """The texts of the case table's column headers (each a link that sorts)."""
    return re.findall(r'<th scope="col"[^>]*><a class="sort-link"[^>]*>([^<]+)<', html)


def text_of(fragment: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", fragment).split())


async def test_start_page_sends_strangers_to_the_login_form(client: httpx.AsyncClient) -> None:
    start = await client.get("/")
    assert start.status_code == 303
    assert start.headers["location"] == "/logga-in"
    page = await client.get("/arenden/alla")
    assert page.status_code == 303
    assert page.headers["location"] == "/logga-in?next=/arenden/alla"

    form = await client.get("/logga-in")
    assert form.status_code == 200
    html = form.text
    assert '<html lang="sv">' in html
    assert '<label for="username">Användarnamn</label>' in html
    assert '<label for="password">Lösenord</label>' in html
    assert ">Logga in</button>" in html
    assert 'href="#main"' in html and '<main id="main"' in html and "<header" in html
    assert form.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in form.headers["content-security-policy"]


async def test_wrong_password_shows_the_error_and_keeps_the_user_out(
    client: httpx.AsyncClient,
) -> None:
    token = csrf_of((await client.get("/logga-in")).text)
    response = await client.post(
        "/logga-in", data={"username": "admin", "password": "fel-losenord", "csrf_token": token}
    )
    assert response.status_code == 401
    assert "Felaktigt användarnamn eller lösenord" in response.text
    assert 'role="alert"' in response.text
    assert (await client.get("/")).headers["location"] == "/logga-in"


async def test_login_form_without_its_csrf_token_is_refused(client: httpx.AsyncClient) -> None:
    await client.get("/logga-in")
    response = await client.post(
        "/logga-in", data={"username": "admin", "password": "bootstrap-losenord-1"}
    )
    assert response.status_code == 403
    assert (await client.get("/")).headers["location"] == "/logga-in"


async def test_login_starts_a_session_in_an_httponly_lax_cookie(
    client: httpx.AsyncClient, gw: Any, scenario: Any
) -> None:
    token = csrf_of((await client.get("/logga-in?next=/arenden/alla")).text)
    response = await client.post(
        "/logga-in",
        data={
            "username": scenario.handler.username,
            "password": scenario.handler.password,
            "csrf_token": token,
            "next": "/arenden/alla",
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/arenden/alla"
    cookie = next(
        h for h in response.headers.get_list("set-cookie") if h.startswith("arende_session=")
    )
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # SECURE_COOKIES is off for local http

    start = await client.get("/")
    assert start.headers["location"] == "/arenden/mina"
    mine = await client.get("/arenden/mina")
    assert mine.status_code == 200
    assert "Inloggad som Åsa Öberg" in mine.text
    assert '<a href="/arenden/mina" aria-current="page">Mina ärenden</a>' in mine.text
    assert "Visar 0 av 0 ärenden" in mine.text
    assert "Det finns inga ärenden att visa." in mine.text


async def test_login_never_redirects_to_another_site(client: httpx.AsyncClient, gw: Any) -> None:
    token = csrf_of((await client.get("/logga-in")).text)
    response = await client.post(
        "/logga-in",
        data={
            "username": "admin",
            "password": "bootstrap-losenord-1",
            "csrf_token": token,
            "next": "//evil.example/",
        },
    )
    assert response.headers["location"] == "/arenden/mina"


async def test_alla_arenden_lists_the_case_with_the_guides_columns(
    client: httpx.AsyncClient, gw: Any, scenario: Any
) -> None:
    await gw.browser_login(client, scenario.handler.username, scenario.handler.password)
    page = await client.get("/arenden/alla")
    assert page.status_code == 200
    html = page.text
    assert column_headers(html) == COLUMNS
    assert '<a href="/arenden/alla" aria-current="page">Alla ärenden</a>' in html
    assert "Visar 1 av 1 ärenden" in html
    case_id = scenario.case["id"]
    row = text_of(row_of(html, case_id))
    # submitted 2026-11-24T10:15:00+01:00 is shown in Swedish time
    assert row.startswith(
        f"Anmälan till flexlinjen Inskickad {case_id} 191212121212 Carin Testare 2026-11-24 10:15"
    )
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d$", row)
    assert f'href="/arenden/{case_id}"' in row_of(html, case_id)

    case_page = await client.get(f"/arenden/{case_id}")
    assert case_page.status_code == 200
    text = text_of(case_page.text)
    assert f"Ärende id {case_id}" in text
    assert "Status Inskickad" in text
    assert "Skickades in 2026-11-24 10:15" in text
    assert f"Förvaltning Förvaltning {scenario.organization}" in text
    assert "Inskickade uppgifter Person- och kontaktuppgifter Förnamn Carin" in text


async def test_other_organizations_cases_are_not_shown(
    client: httpx.AsyncClient, gw: Any, scenario: Any
) -> None:
    await gw.browser_login(client, scenario.outsider.username, scenario.outsider.password)
    page = await client.get("/arenden/alla")
    assert f'id="arende-{scenario.case["id"]}"' not in page.text
    assert "Visar 0 av 0 ärenden" in page.text
    case_page = await client.get(f"/arenden/{scenario.case['id']}")
    assert case_page.status_code == 404
    assert "Ärendet finns inte eller så saknar du behörighet till det." in case_page.text
    assert "Inloggad som Olle Utanför" in case_page.text


async def test_logout_needs_the_sessions_csrf_token(
    client: httpx.AsyncClient, gw: Any, scenario: Any
) -> None:
    await gw.browser_login(client, scenario.handler.username, scenario.handler.password)
    refused = await client.post("/logga-ut", data={})
    assert refused.status_code == 403
    forged = await client.post("/logga-ut", data={"csrf_token": "gissat"})
    assert forged.status_code == 403
    assert (await client.get("/arenden/mina")).status_code == 200  # still signed in

    token = csrf_of((await client.get("/arenden/mina")).text)
    out = await client.post("/logga-ut", data={"csrf_token": token})
    assert out.status_code == 303
    assert out.headers["location"] == "/logga-in?utloggad=1"
    assert (await client.get("/arenden/mina")).status_code == 303


async def test_api_calls_with_the_session_cookie_need_the_csrf_header(
    client: httpx.AsyncClient, gw: Any, scenario: Any
) -> None:
    await gw.browser_login(client, scenario.handler.username, scenario.handler.password)
    listed = await client.get("/api/v1/cases")
    assert listed.status_code == 200
    assert listed.json()["total"] == 1
    body = {"code": "x", "name": "X"}
    refused = await client.post("/api/v1/admin/organizations", json=body)
    assert refused.status_code == 403
    assert refused.json() == {"detail": "CSRF-token saknas eller är fel"}
    token = csrf_of((await client.get("/arenden/mina")).text)
    allowed = await client.post(
        "/api/v1/admin/organizations", json=body, headers={"x-csrf-token": token}
    )
    assert allowed.status_code == 403  # past CSRF; a handler is no administrator
    assert allowed.json()["detail"] != refused.json()["detail"]


async def test_an_idle_session_expires(
    client: httpx.AsyncClient, gw: Any, gateway_app: Any, scenario: Any
) -> None:
    await gw.browser_login(client, scenario.handler.username, scenario.handler.password)
    assert (await client.get("/arenden/mina")).status_code == 200
    async with gateway_app.state.runtime.sessions() as session, session.begin():
        await session.execute(
            update(WebSession)
            .where(WebSession.user_id.in_(_user_ids(scenario)))
            .values(last_seen_at=WebSession.last_seen_at - timedelta(minutes=31))
        )
    expired = await client.get("/arenden/mina")
    assert expired.status_code == 303
    assert expired.headers["location"] == "/logga-in?next=/arenden/mina&expired=1"
    notice = await client.get(expired.headers["location"])
    assert "Din session har gått ut. Logga in igen." in notice.text


def _user_ids(scenario: Any) -> Any:

    return select(StaffUser.id).where(StaffUser.username == scenario.handler.username)


async def test_the_language_switch_is_remembered(
    client: httpx.AsyncClient, gw: Any, scenario: Any
) -> None:
    await gw.browser_login(client, scenario.handler.username, scenario.handler.password)
    english = await client.get("/arenden/alla?lang=en")
    assert '<html lang="en">' in english.text
    assert column_headers(english.text) == [
        "Case",
        "Status",
        "Reference",
        "Submitted by",
        "Submitted",
        "Changed",
    ]
    assert "Showing 1 of 1 cases" in english.text
    assert "Submitted" in text_of(row_of(english.text, scenario.case["id"]))
    assert "lang=en" in english.headers["set-cookie"]
    again = await client.get("/arenden/alla")
    assert '<html lang="en">' in again.text
    back = await client.get("/arenden/alla?lang=sv")
    assert "Visar 1 av 1 ärenden" in back.text


async def test_case_service_down_shows_a_page_not_a_crash(
    client: httpx.AsyncClient, gw: Any, gateway_app: Any, scenario: Any
) -> None:
    await gw.browser_login(client, scenario.handler.username, scenario.handler.password)
    original = gateway_app.state.case_service

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as down:
        gateway_app.state.case_service = CaseServiceClient(down, "test-internal-token")
        try:
            page = await client.get("/arenden/alla")
        finally:
            gateway_app.state.case_service = original
    assert page.status_code == 503
    assert "Ärendetjänsten svarar inte just nu" in page.text
    assert "Inloggad som" in page.text


async def test_unknown_pages_and_bad_ids_are_pages_too(
    client: httpx.AsyncClient, gw: Any, scenario: Any
) -> None:
    missing = await client.get("/finns-inte")
    assert missing.status_code == 404
    assert "Sidan finns inte" in missing.text
    await gw.browser_login(client, scenario.handler.username, scenario.handler.password)
    assert (await client.get("/arenden/abc")).status_code == 404
    assert (await client.get("/arenden/99999999999999999999")).status_code == 404
