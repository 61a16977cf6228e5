"""Reports and statistics in a real browser (Debian's chromium via Playwright) against the five
services as processes: "Exportera till Excel" from Alla ärenden and from Statistik, the Rapporter
list going from Beställd to Klar, the download opened with openpyxl, the Statistik overview and
one case type's page.

Screenshots go to the test's temporary folder, and to docs/screenshots/ (reports.png,
statistics.png, export-dialog.png, statistics-case-type.png) when UPDATE_SCREENSHOTS=1.
"""

import io
import os
import shutil
from pathlib import Path
from typing import Any

import aio_pika
import httpx
import openpyxl
import pytest

from arende_contracts.external import EXCHANGE_ESERVICE, ROUTING_SUBMISSION_CREATED
from arende_platform.testing import TestEnvironment, eventually, publish_json, sample_submission

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.slow]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
USER, PASSWORD = "rut", "Rut-rapporter-2026"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CASE_TYPES = (
    ("flexlinjen-r", "Anmälan till flexlinjen", 7),
    ("matforgiftning-r", "Anmälan om matförgiftning", 4),
    ("lediga-platser-r", "Anmäl lediga platser till SPINK", 3),
)


async def _setup(installation: dict[str, Any], env: TestEnvironment) -> None:
    admin, password = installation["admin"]
    async with httpx.AsyncClient(base_url=installation["gateway"], timeout=20) as api:
        token = await api.post("/api/v1/token", data={"username": admin, "password": password})
        api.headers["authorization"] = f"Bearer {token.json()['access_token']}"
        await api.post(
            "/api/v1/admin/organizations", json={"code": "trafik-r", "name": "Trafikkontoret"}
        )
        for code, name, _ in CASE_TYPES:
            response = await api.post(
                "/api/v1/admin/case-types",
                json={"code": code, "name": name, "organization": "trafik-r"},
            )
            assert response.status_code in (201, 409), response.text
        response = await api.post(
            "/api/v1/admin/users",
            json={
                "username": USER,
                "name": "Rut Rapportör",
                "password": PASSWORD,
                "grants": [{"organization": "trafik-r", "role": "handler"}],
            },
        )
        assert response.status_code in (201, 409), response.text
        connection = await aio_pika.connect(env.rabbitmq_url)
        async with connection:
            for code, _, count in CASE_TYPES:
                for i in range(count):
                    body = sample_submission(case_type=code)
                    body["business_area"] = "Centrum" if i % 2 else "Hisingen"
                    body["form"][0]["fields"].append(
                        {"key": "ovrigt", "label": "Övrigt", "value": "=SUMMA(A1:A9)"}
                    )
                    await publish_json(
                        connection, EXCHANGE_ESERVICE, ROUTING_SUBMISSION_CREATED, body
                    )

        async def cases() -> list[dict[str, Any]] | None:
            page = (await api.get("/api/v1/cases", params={"view": "all", "limit": 100})).json()
            mine = [i for i in page["items"] if i["case_type"].endswith("-r")]
            return mine if len(mine) == sum(c for _, _, c in CASE_TYPES) else None

        items = await eventually(cases, timeout=60)
        # Walk a few cases on, so the statistics have more than one column.
        flex = [i for i in items if i["case_type"] == "flexlinjen-r"]
        for item in flex[:4]:
            await api.post(f"/api/v1/cases/{item['id']}/assign", json={"handler": USER})
        for item in flex[:3]:
            response = await api.post(
                f"/api/v1/cases/{item['id']}/update",
                data={"status": "in_progress", "title": "Vi handlägger ärendet", "notify": "false"},
            )
            assert response.status_code == 200, response.text
        response = await api.post(
            f"/api/v1/cases/{flex[0]['id']}/close", json={"title": "Klart", "notify": False}
        )
        assert response.status_code == 200, response.text

        async def counted() -> bool:
            body = (await api.get("/api/v1/statistics")).json()
            row = next((r for r in body["rows"] if r["case_type"] == "flexlinjen-r"), None)
            return bool(row and row["closed"] == 1 and row["in_progress"] == 2)

        await eventually(counted, timeout=30)


async def test_reports_and_statistics_in_the_browser(
    installation: dict[str, Any], skeleton_env: TestEnvironment, tmp_path: Path
) -> None:
    from playwright.async_api import async_playwright, expect

    await _setup(installation, skeleton_env)
    shots = tmp_path / "screenshots"
    shots.mkdir()
    base = installation["gateway"]

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = await browser.new_context(
            viewport={"width": 1280, "height": 900}, locale="sv-SE", accept_downloads=True
        )
        page = await context.new_page()
        try:
            await page.goto(base + "/")
            await page.get_by_label("Användarnamn").fill(USER)
            await page.get_by_label("Lösenord").fill(PASSWORD)
            await page.get_by_role("button", name="Logga in").click()
            await expect(page.get_by_role("heading", name="Mina ärenden")).to_be_visible()

            # Exportera till Excel from Alla ärenden, with form data.
            await page.get_by_role("link", name="Alla ärenden").first.click()
            await page.get_by_role("link", name="Exportera till Excel").click()
            await expect(page.get_by_role("heading", name="Exportera till Excel")).to_be_visible()
            await page.get_by_label("Ärendetyp").select_option("flexlinjen-r")
            await page.get_by_label("Ja", exact=True).check()
            await page.get_by_label("Namnge din rapport").fill("rapport till chefen")
            await page.screenshot(path=str(shots / "export-dialog.png"))
            await page.get_by_role("button", name="Exportera").click()
            await expect(page.get_by_role("heading", name="Rapporten är beställd")).to_be_visible()
            await expect(
                page.get_by_text("Ärenden - Anmälan till flexlinjen: rapport till chefen")
            ).to_be_visible()

            # Statistik: the overview, one case type, and an export per month.
            await page.get_by_role("link", name="Statistik").first.click()
            await expect(page.get_by_role("heading", name="Statistik")).to_be_visible()
            row = page.locator("tr[data-case-type='flexlinjen-r']")
            await expect(row).to_contain_text("Anmälan till flexlinjen")
            cells = await row.locator("td").all_inner_texts()
            assert cells == ["3", "1", "2", "", "1", "", "", "7"]
            await page.screenshot(path=str(shots / "statistics.png"), full_page=True)
            await page.get_by_label("Verksamhetstyp").select_option("Centrum")
            await page.get_by_role("button", name="Visa").click()
            await expect(page.locator("tr[data-case-type='flexlinjen-r'] td").last).to_have_text(
                "3"
            )
            await page.get_by_role("link", name="Anmälan till flexlinjen").click()
            await expect(page.get_by_role("heading", name="Handläggningstider")).to_be_visible()
            await page.screenshot(path=str(shots / "statistics-case-type.png"), full_page=True)
            await page.get_by_role("link", name="Exportera till Excel").click()
            await expect(page.get_by_label("Månad")).to_be_checked()
            await page.get_by_label("Namnge din rapport").fill("per månad")
            await page.get_by_role("button", name="Exportera").click()
            await expect(page.get_by_role("heading", name="Rapporten är beställd")).to_be_visible()

            # Rapporter: both reports end Klar (the page refreshes itself while one is Beställd).
            await page.get_by_role("link", name="Till Rapporter").click()
            await expect(page.get_by_role("heading", name="Rapporter")).to_be_visible()
            await expect(page.locator("tr[data-status='done']")).to_have_count(2, timeout=60_000)
            await expect(page.locator("tr[data-status='ordered']")).to_have_count(0)
            await page.screenshot(path=str(shots / "reports.png"), full_page=True)
            cases_row = page.locator("tr", has_text="Ärenden - Anmälan till flexlinjen")
            await expect(cases_row).to_contain_text("Ej arkiverade")
            await expect(cases_row.locator("td").nth(2)).to_have_text("7")
            async with page.expect_download() as download_info:
                await cases_row.get_by_role("link").click()
            download = await download_info.value
            path = tmp_path / "rapport.xlsx"
            await download.save_as(path)
        except Exception:
            await page.screenshot(path=str(shots / "failure.png"), full_page=True)
            raise
        finally:
            await browser.close()

    ws = openpyxl.load_workbook(io.BytesIO(path.read_bytes())).active
    rows = list(ws.iter_rows(values_only=True))
    assert len(rows) == 8 and "Övrigt" in rows[0]
    column = rows[0].index("Övrigt")
    assert {r[column] for r in rows[1:]} == {"=SUMMA(A1:A9)"}
    assert all(ws.cell(row=r, column=column + 1).data_type == "s" for r in range(2, 9))
    if os.environ.get("UPDATE_SCREENSHOTS"):
        SCREENSHOTS.mkdir(exist_ok=True)
        for shot in (
            "reports.png",
            "statistics.png",
            "export-dialog.png",
            "statistics-case-type.png",
        ):
            shutil.copy(shots / shot, SCREENSHOTS / shot)
