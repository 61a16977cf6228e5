"""The administration in a real browser (Debian's chromium, driven by Playwright): the bootstrap
administrator creates an organization, a case type with its settings, a user with grants and a
handler group through the pages; the error summary takes the focus.

A screenshot of the case type form is written to the test's temporary folder, and to
docs/screenshots/admin.png when UPDATE_SCREENSHOTS=1.
"""

import os
import shutil
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.slow]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
USER_PASSWORD = "Gunnel-losenord-2026"


async def test_administrator_sets_up_an_organization_in_the_browser(
    installation: dict[str, Any], tmp_path: Path
) -> None:
    from playwright.async_api import async_playwright, expect

    admin, password = installation["admin"]
    token = uuid.uuid4().hex[:6]
    org, org_name = f"miljo-{token}", f"Miljöförvaltningen {token}"
    case_type, group = f"buller-{token}", f"bullergruppen-{token}"
    username, user_name = f"gunnel-{token}", f"Gunnel Granskare {token}"
    shots = tmp_path / "screenshots"
    shots.mkdir()

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 900}, locale="sv-SE")
        try:
            await page.goto(installation["gateway"] + "/")
            await page.get_by_label("Användarnamn").fill(admin)
            await page.get_by_label("Lösenord").fill(password)
            await page.get_by_role("button", name="Logga in").click()
            await page.get_by_role("link", name="Administration").click()
            await expect(page.get_by_role("heading", name="Förvaltningar", level=1)).to_be_visible()

            # A form sent without its required code: the error summary takes the focus.
            await page.get_by_label("Namn").fill(org_name)
            await page.get_by_role("button", name="Skapa förvaltning").click()
            summary = page.locator("#error-summary")
            await expect(summary).to_be_focused()
            await expect(
                summary.get_by_role("link", name="Kontrollera fältet Kod.")
            ).to_be_visible()
            await expect(page.locator("#code")).to_have_attribute("aria-invalid", "true")
            await page.get_by_label("Kod", exact=False).first.fill(org)
            await page.get_by_role("button", name="Skapa förvaltning").click()
            await expect(page.get_by_text("Förvaltningen har sparats.")).to_be_visible()
            await expect(page.get_by_role("cell", name=org_name, exact=True)).to_be_visible()

            # Ärendetyp with its settings.
            await (
                page.get_by_role("navigation", name="Administration")
                .get_by_role("link", name="Ärendetyper")
                .click()
            )
            await page.get_by_role("link", name="Ny ärendetyp").click()
            await page.locator("#code").fill(case_type)
            await page.get_by_label("Förvaltning").select_option(org)
            await page.locator("#name").fill("Klagomål på buller")
            await page.get_by_label("Notifiering via e-post").check()
            await page.get_by_label("Notifiering via SMS").check()
            notify_on = page.get_by_role("group", name="Notifiera vid status")
            await notify_on.get_by_label("Beslutad", exact=True).check()
            await notify_on.get_by_label("Avslutad", exact=True).check()
            await page.get_by_label("Arkivering efter antal dagar").fill("90")
            await page.get_by_label("Gallring efter antal dagar").fill("365")
            await page.get_by_label("Gallringsbeslut").fill("Gallringsbeslut MN 2026:7")
            await page.screenshot(path=str(shots / "admin.png"), full_page=True)
            await page.get_by_role("button", name="Spara").click()
            await expect(page.get_by_text("Ärendetypen har sparats.")).to_be_visible()
            await expect(
                page.get_by_role("cell", name="Gallringsbeslut MN 2026:7", exact=True)
            ).to_be_visible()

            # Personal: a handler of the new organization, limited to nothing (all case types).
            await (
                page.get_by_role("navigation", name="Administration")
                .get_by_role("link", name="Personal")
                .click()
            )
            await page.get_by_role("link", name="Ny användare").click()
            await page.get_by_label("Användarnamn").fill(username)
            await page.locator("#name").fill(user_name)
            await page.get_by_label("E-post").fill("gunnel@example.se")
            await page.locator("#password").fill(USER_PASSWORD)
            grants = page.get_by_role("group", name=org_name)
            await grants.get_by_label("Handläggare", exact=True).check()
            await grants.get_by_label("Granskare", exact=True).check()
            await page.get_by_role("button", name="Spara").click()
            await expect(page.get_by_text("Användaren har sparats.")).to_be_visible()
            await expect(page.get_by_role("cell", name=user_name, exact=True)).to_be_visible()

            # Handläggargrupp with the new user as its member.
            await (
                page.get_by_role("navigation", name="Administration")
                .get_by_role("link", name="Handläggargrupper")
                .click()
            )
            await page.get_by_role("link", name="Skapa grupp").click()
            await page.locator("#code").fill(group)
            await page.get_by_label("Förvaltning").select_option(org)
            await page.locator("#name").fill("Bullergruppen")
            await page.get_by_label(f"{user_name} ({username})").check()
            await page.get_by_role("button", name="Spara").click()
            await expect(page.get_by_text("Handläggargruppen har sparats.")).to_be_visible()
            await expect(page.get_by_text(f"{user_name} ({username})")).to_be_visible()

            await page.get_by_role("link", name="Ändringslogg").click()
            await expect(
                page.get_by_role("cell", name="Handläggargrupp skapad", exact=True).first
            ).to_be_visible()
            await expect(
                page.get_by_role("cell", name="Ärendetyp skapad", exact=True).first
            ).to_be_visible()
        except Exception:
            await page.screenshot(path=str(shots / "failure.png"), full_page=True)
            raise
        finally:
            await browser.close()

    async with httpx.AsyncClient(base_url=installation["gateway"], timeout=10) as api:
        response = await api.post("/api/v1/token", data={"username": admin, "password": password})
        api.headers["authorization"] = f"Bearer {response.json()['access_token']}"
        settings = (await api.get(f"/api/v1/admin/case-types/{case_type}")).json()
        user = (await api.get(f"/api/v1/admin/users/{username}")).json()
        members = (await api.get(f"/api/v1/admin/groups/{group}")).json()["members"]
        log = (await api.get("/api/v1/admin/audit-log", params={"organization": org})).json()
    assert settings["organization"] == org and settings["name"] == "Klagomål på buller"
    assert settings["notify_email"] and settings["notify_sms"] and settings["active"]
    assert (settings["archive_days"], settings["purge_days"]) == (90, 365)
    assert settings["retention_decision"] == "Gallringsbeslut MN 2026:7"
    assert settings["notify_statuses"] == ["decided", "closed"]
    assert user["grants"] == [
        {"organization": org, "role": "handler", "case_types": None},
        {"organization": org, "role": "reviewer", "case_types": None},
    ]
    assert members == [username]
    assert {e["action"] for e in log["items"]} >= {
        "organization.create",
        "case_type.create",
        "user.create",
        "group.create",
    }
    if os.environ.get("UPDATE_SCREENSHOTS"):
        SCREENSHOTS.mkdir(exist_ok=True)
        shutil.copy(shots / "admin.png", SCREENSHOTS / "admin.png")
