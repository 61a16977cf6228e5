"""A caseworker's day in a real browser (Debian's chromium, driven by Playwright): log in, search,
open a case, assign it, update it with a file, set a reference, close it.

Screenshots of the list and the case view are written to the test's temporary folder, and to
docs/screenshots/ when UPDATE_SCREENSHOTS=1.
"""

import asyncio
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

import aio_pika
import httpx
import pytest

from arende_contracts.external import EXCHANGE_ESERVICE, ROUTING_SUBMISSION_CREATED
from arende_platform.testing import TestEnvironment, eventually, publish_json, sample_submission

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.slow]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
HANDLER, HANDLER_PASSWORD = "hanna", "Hanna-losenord-2026"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


async def _setup(installation: dict[str, Any], env: TestEnvironment) -> tuple[str, int]:
    admin, password = installation["admin"]
    async with httpx.AsyncClient(base_url=installation["gateway"], timeout=10) as api:
        token = await api.post("/api/v1/token", data={"username": admin, "password": password})
        api.headers["authorization"] = f"Bearer {token.json()['access_token']}"
        await api.post(
            "/api/v1/admin/organizations", json={"code": "fardtjansten", "name": "Färdtjänsten"}
        )
        response = await api.post(
            "/api/v1/admin/case-types",
            json={
                "code": "fardtjanst",
                "name": "Ansökan om färdtjänst",
                "organization": "fardtjansten",
                "notify_email": True,
            },
        )
        assert response.status_code in (201, 409), response.text
        response = await api.post(
            "/api/v1/admin/users",
            json={
                "username": HANDLER,
                "name": "Hanna Handläggare",
                "password": HANDLER_PASSWORD,
                "email": "hanna@example.se",
                "grants": [{"organization": "fardtjansten", "role": "handler"}],
            },
        )
        assert response.status_code in (201, 409), response.text
        name = f"Britta {uuid.uuid4().hex[:6].capitalize()}"
        body = sample_submission(case_type="fardtjanst")
        body["submitter"]["name"] = name
        connection = await aio_pika.connect(env.rabbitmq_url)
        async with connection:
            await publish_json(connection, EXCHANGE_ESERVICE, ROUTING_SUBMISSION_CREATED, body)

        async def case_id() -> int | None:
            page = (await api.get("/api/v1/cases", params={"view": "all", "q": name})).json()
            return page["items"][0]["id"] if page.get("items") else None

        return name, await eventually(case_id, timeout=20)


async def test_caseworker_handles_a_case_in_the_browser(
    installation: dict[str, Any], skeleton_env: TestEnvironment, tmp_path: Path
) -> None:
    from playwright.async_api import async_playwright, expect

    name, case_id = await _setup(installation, skeleton_env)
    attachment = tmp_path / "beslut.pdf"
    attachment.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n")
    shots = tmp_path / "screenshots"
    shots.mkdir()

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 900}, locale="sv-SE")
        try:
            await page.goto(installation["gateway"] + "/")
            await page.get_by_label("Användarnamn").fill(HANDLER)
            await page.get_by_label("Lösenord").fill(HANDLER_PASSWORD)
            await page.get_by_role("button", name="Logga in").click()
            await expect(page.get_by_role("heading", name="Mina ärenden")).to_be_visible()

            await page.get_by_role("link", name="Alla ärenden").first.click()
            await page.get_by_label("Sök ärende").fill(name)
            await page.get_by_role("button", name="Sök").click()
            await expect(
                page.get_by_text(f'Grundläggande sökning på "{name}" resulterade i 1 ärenden')
            ).to_be_visible()
            await page.screenshot(path=str(shots / "case-list.png"))

            await page.get_by_role("link", name="Ansökan om färdtjänst").first.click()
            await expect(page.get_by_text(str(case_id)).first).to_be_visible()
            await page.screenshot(path=str(shots / "case-view.png"), full_page=True)

            await page.get_by_role("link", name="Fördela").click()
            await page.get_by_label("Handläggare").select_option(HANDLER)
            await page.get_by_role("button", name="Uppdatera").click()
            await expect(page.get_by_text("Ärendet fördelat")).to_be_visible()

            await page.get_by_role("link", name="Uppdatera").click()
            await page.get_by_label("Välj status").select_option("in_progress")
            await page.get_by_label("Händelsens rubrik").fill("Vi handlägger din ansökan")
            await page.get_by_label("Meddelande till användaren").fill(
                "Vi återkommer inom två veckor."
            )
            await page.locator("input[name=files]").set_input_files(str(attachment))
            await page.get_by_role("button", name="Uppdatera").click()
            await expect(page.get_by_text("Ärendet uppdaterat")).to_be_visible()

            await page.get_by_role("link", name="Referens").click()
            await page.get_by_label("Referens").fill("DNR-2026-0042")
            await page.get_by_role("button", name="Spara").click()
            await expect(page.get_by_text("DNR-2026-0042").first).to_be_visible()

            await page.get_by_role("link", name="Avsluta").click()
            await page.get_by_role("button", name="Avsluta").click()
            await expect(page.get_by_text("Avslutad").first).to_be_visible()

            await page.get_by_role("tab", name="Bilagor").click()
            await expect(page.get_by_role("link", name="beslut.pdf")).to_be_visible()
        except Exception:
            await page.screenshot(path=str(shots / "failure.png"), full_page=True)
            raise
        finally:
            await browser.close()

    async with httpx.AsyncClient(base_url=installation["gateway"], timeout=10) as api:
        token = await api.post(
            "/api/v1/token", data={"username": HANDLER, "password": HANDLER_PASSWORD}
        )
        api.headers["authorization"] = f"Bearer {token.json()['access_token']}"
        case = (await api.get(f"/api/v1/cases/{case_id}")).json()
    assert case["status"] == "closed"
    assert case["reference"] == "DNR-2026-0042"
    assert case["handler"] == HANDLER
    titles = [e["title"] for e in case["events"]]
    assert "Vi handlägger din ansökan" in titles
    assert "Ändrar status till Avslutad" in titles
    if os.environ.get("UPDATE_SCREENSHOTS"):
        SCREENSHOTS.mkdir(exist_ok=True)
        for shot in ("case-list.png", "case-view.png"):
            shutil.copy(shots / shot, SCREENSHOTS / shot)
    await asyncio.sleep(0)
