"""The 1177 and service-desk functions in a real browser (Debian's chromium, Playwright): a
handler approves a resident and shares a restricted case type (the share expires and is shown
so), sends a case to residents (251 recipients refused), sets priority and category, asks a
motfråga, writes an internal note and gives a colleague a task; the colleague finds it in Mina
ärenden and marks it done. A listener queue bound to `eservice.public` meanwhile sees the
motfråga, and nothing of the task or the internal note.

Screenshots go to the test's temporary folder, and to docs/screenshots/ when
UPDATE_SCREENSHOTS=1.
"""

import json
import os
import shutil
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import aio_pika
import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import create_async_engine

from arende_contracts.external import EXCHANGE_ESERVICE, EXCHANGE_PUBLIC, ROUTING_SUBMISSION_CREATED
from arende_platform.testing import TestEnvironment, eventually, publish_json, sample_submission
from case_service.models import ResidentShare
from case_service.settings import CaseServiceSettings

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
PASSWORD = "Vardcentral-losenord-2026"


def personal_number(serial: int, born: str = "19650505") -> str:
    """A valid 12-digit personnummer (Luhn over the last 10 digits)."""
    body = f"{born[2:]}{serial:03d}"
    total = 0
    for i, ch in enumerate(body):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return f"{born}{serial:03d}{(10 - total % 10) % 10}"


async def _setup(installation: dict[str, Any], env: TestEnvironment, token: str) -> dict[str, Any]:
    admin, password = installation["admin"]
    org = f"vardcentralen-{token}"
    world: dict[str, Any] = {
        "org": org,
        "open": f"kontakt-{token}",
        "restricted": f"recept-{token}",
        "handler": f"hanna-{token}",
        "colleague": f"kalle-{token}",
        "resident": personal_number(1),
        "shared": personal_number(2),
        "resident_name": f"Anna Andersson {token}",
    }
    async with httpx.AsyncClient(base_url=installation["gateway"], timeout=10) as api:
        login = await api.post("/api/v1/token", data={"username": admin, "password": password})
        api.headers["authorization"] = f"Bearer {login.json()['access_token']}"
        response = await api.post(
            "/api/v1/admin/organizations", json={"code": org, "name": f"Vårdcentralen {token}"}
        )
        assert response.status_code == 201, response.text
        for code, name, restricted in (
            (world["open"], "Kontakta mottagningen", False),
            (world["restricted"], "Förnyelse av recept", True),
        ):
            response = await api.post(
                "/api/v1/admin/case-types",
                json={"code": code, "name": name, "organization": org, "restricted": restricted},
            )
            assert response.status_code == 201, response.text
        for username, name in (
            (world["handler"], "Hanna Handläggare"),
            (world["colleague"], "Kalle Kollega"),
        ):
            response = await api.post(
                "/api/v1/admin/users",
                json={
                    "username": username,
                    "name": name,
                    "password": PASSWORD,
                    "grants": [{"organization": org, "role": "handler"}],
                },
            )
            assert response.status_code == 201, response.text
        body = sample_submission(
            case_type=world["open"],
            submitter={
                "kind": "citizen",
                "personal_number": world["resident"],
                "name": world["resident_name"],
            },
        )
        connection = await aio_pika.connect(env.rabbitmq_url)
        async with connection:
            await publish_json(connection, EXCHANGE_ESERVICE, ROUTING_SUBMISSION_CREATED, body)

        async def case_id() -> int | None:
            page = (
                await api.get("/api/v1/cases", params={"view": "all", "case_type": world["open"]})
            ).json()
            return page["items"][0]["id"] if page.get("items") else None

        world["case_id"] = await eventually(case_id, timeout=20)
    return world


async def _expire_share(env: TestEnvironment, share_id: int) -> None:
    """The share's last day passes: it was yesterday (Swedish time)."""
    url = env.settings(CaseServiceSettings).service_database_url("case")
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            now = await conn.scalar(select(func.timezone("Europe/Stockholm", func.now())))
            await conn.execute(
                update(ResidentShare)
                .where(ResidentShare.id == share_id)
                .values(until=(now - timedelta(days=1)).date())
            )
    finally:
        await engine.dispose()


async def test_service_desk_functions_in_the_browser(
    installation: dict[str, Any], skeleton_env: TestEnvironment, tmp_path: Path
) -> None:
    from playwright.async_api import async_playwright, expect

    token = uuid.uuid4().hex[:6]
    world = await _setup(installation, skeleton_env, token)
    case_id = world["case_id"]
    shots = tmp_path / "screenshots"
    shots.mkdir()
    gateway = installation["gateway"]

    listener_connection = await aio_pika.connect(skeleton_env.rabbitmq_url)
    channel = await listener_connection.channel()
    listener = await channel.declare_queue(exclusive=True, auto_delete=True)
    await listener.bind(EXCHANGE_PUBLIC, "#")

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 900}, locale="sv-SE")

        async def login(username: str) -> None:
            await page.goto(gateway + "/logga-in")
            await page.get_by_label("Användarnamn").fill(username)
            await page.get_by_label("Lösenord").fill(PASSWORD)
            await page.get_by_role("button", name="Logga in").click()
            await expect(page.get_by_role("heading", name="Mina ärenden")).to_be_visible()

        try:
            await login(world["handler"])

            # --- Invånare: approve (name known from the earlier case), share, expiry, remove
            await page.get_by_role("link", name="Invånare", exact=True).click()
            await expect(page.get_by_role("heading", name="Invånare", level=1)).to_be_visible()
            await page.get_by_label("Personnummer").fill(world["resident"])
            await page.get_by_role("button", name="Hämta").click()
            await expect(page.get_by_text(world["resident_name"])).to_be_visible()
            await page.get_by_role("button", name="Godkänn", exact=True).click()
            await expect(
                page.get_by_text("Invånaren är godkänd för kommunikation.")
            ).to_be_visible()

            await page.get_by_label("Personnummer").fill(world["shared"])
            await page.get_by_role("button", name="Hämta").click()
            await page.get_by_label("Ärendetyp med begränsat urval").select_option(
                world["restricted"]
            )
            await page.get_by_label("Till och med datum").check()
            await page.get_by_label("Datum", exact=True).fill("2099-12-31")
            await page.get_by_role("button", name="Dela ut").click()
            await expect(page.get_by_text("Ärendetypen har delats ut.")).to_be_visible()
            await expect(
                page.get_by_text("Förnyelse av recept: till och med 2099-12-31")
            ).to_be_visible()

            await page.get_by_label("Ny sista dag för Förnyelse av recept").fill("2099-06-30")
            await page.get_by_role("button", name="Ändra").click()
            await expect(page.get_by_text("Den utdelade ärendetypen har ändrats.")).to_be_visible()

            async with httpx.AsyncClient(base_url=gateway, timeout=10) as api:
                login_answer = await api.post(
                    "/api/v1/token", data={"username": world["handler"], "password": PASSWORD}
                )
                api.headers["authorization"] = f"Bearer {login_answer.json()['access_token']}"
                listing = await api.get(
                    "/api/v1/admin/residents", params={"organization": world["org"]}
                )
            shared = next(
                r for r in listing.json()["residents"] if r["personal_number"] == world["shared"]
            )
            await _expire_share(skeleton_env, shared["shares"][0]["id"])
            await page.reload()
            await expect(page.get_by_text("Utgången")).to_be_visible()
            await page.screenshot(path=str(shots / "residents.png"), full_page=True)

            await page.get_by_role("button", name="Ta bort Förnyelse av recept").click()
            await expect(page.get_by_text("Den utdelade ärendetypen är borttagen.")).to_be_visible()
            await page.get_by_label(f"Markera {world['resident_name']}").check()
            await page.get_by_role("button", name="Ta bort markerade").click()
            await expect(
                page.get_by_text("Godkännandet för kommunikation har tagits bort.")
            ).to_be_visible()

            # --- Skicka ärende till invånare: 251 recipients are refused, 2 are sent
            await page.get_by_role("link", name="Skicka ärende till invånare").click()
            await page.get_by_label("Ärendetyp").select_option(world["open"])
            too_many = "\n".join(personal_number(i) for i in range(100, 351))
            await page.get_by_label("Mottagare").fill(too_many)
            await page.get_by_label("Rubrik").fill("Dags för hälsokontroll")
            await page.get_by_label("Meddelande").fill("Boka en tid genom att svara här.")
            await page.get_by_role("button", name="Skicka", exact=True).click()
            await expect(
                page.get_by_text("Du kan skicka till högst 250 mottagare åt gången. Du angav 251.")
            ).to_be_visible()
            await page.get_by_label("Mottagare").fill(
                f"{personal_number(21)}\n{personal_number(22)}"
            )
            await page.get_by_role("button", name="Skicka", exact=True).click()
            await expect(page.get_by_text("Ärendet har skickats till 2 mottagare.")).to_be_visible()
            await page.screenshot(path=str(shots / "outreach.png"), full_page=True)

            # --- The case: priority and category, a motfråga, an internal note, a task
            await page.goto(f"{gateway}/arenden/{case_id}")
            await page.get_by_role("link", name="Prioritet och kategori").click()
            await page.get_by_label("Prioritet").select_option("high")
            await page.get_by_label("Kategori").fill("Recept")
            await page.get_by_role("button", name="Spara").click()
            await expect(page.get_by_text("Prioritet och kategori har sparats.")).to_be_visible()
            await expect(page.get_by_text("Hög", exact=True)).to_be_visible()

            await page.get_by_role("link", name="Uppdatera").click()
            await page.get_by_label("Motfråga").check()
            await page.get_by_label("Händelsens rubrik").fill("Motfråga om dosen")
            await page.get_by_label("Meddelande till användaren").fill("Vilken dos tar du i dag?")
            await page.get_by_role("button", name="Uppdatera").click()
            await expect(page.get_by_text("Ärendet uppdaterat")).to_be_visible()
            await expect(page.get_by_text("Väntar på komplettering").first).to_be_visible()

            await page.get_by_role("link", name="Uppdatera").click()
            await page.get_by_label("Händelsens rubrik").fill("Intern anteckning")
            await page.get_by_label("Internt meddelande").fill("Hemlig anteckning för kollegorna")
            await page.get_by_role("button", name="Uppdatera").click()
            await expect(page.get_by_text("Ärendet uppdaterat")).to_be_visible()

            await page.get_by_role("link", name="Ny uppgift").click()
            await page.get_by_label("Rubrik").fill("Ring apoteket om leveransen")
            await page.get_by_label("Beskrivning").fill("Hemlig uppgiftsbeskrivning")
            await page.get_by_label("Tilldela").select_option(f"user:{world['colleague']}")
            await page.get_by_role("button", name="Skapa uppgift").click()
            await expect(page.get_by_text("Uppgiften har skapats.")).to_be_visible()
            await expect(page.get_by_role("heading", name="Interna uppgifter")).to_be_visible()
            await page.screenshot(path=str(shots / "case-tasks.png"), full_page=True)

            # --- The list: the Prioritet filter
            await page.get_by_role("link", name="Alla ärenden").first.click()
            await page.get_by_label("Prioritet").select_option("high")
            await page.get_by_role("button", name="Sök").click()
            row = page.locator(f"#arende-{case_id}")
            await expect(row.get_by_text("Hög prioritet")).to_be_visible()
            await expect(page.locator("tbody tr")).to_have_count(1)

            # --- The colleague: the task in Mina ärenden, marked done on the case
            await page.get_by_role("button", name="Logga ut").click()
            await login(world["colleague"])
            mine = page.locator(f"#arende-{case_id}")
            await expect(mine.get_by_text("Uppgift", exact=False).first).to_be_visible()
            await mine.get_by_role("link").first.click()
            await page.get_by_role("button", name="Markera som klar").click()
            await expect(page.get_by_text("Uppgiften är markerad som klar.")).to_be_visible()

            # --- English
            await page.goto(f"{gateway}/arenden/{case_id}?lang=en")
            await expect(page.get_by_role("heading", name="Internal tasks")).to_be_visible()
            await expect(page.get_by_role("link", name="Send a case to residents")).to_be_visible()
        finally:
            await browser.close()

    published = []
    while (message := await listener.get(no_ack=True, fail=False)) is not None:
        body = json.loads(message.body)
        if body.get("case_id") == case_id:
            published.append(body)
    await listener_connection.close()
    texts = json.dumps(published, ensure_ascii=False)
    assert "Vilken dos tar du i dag?" in texts  # the motfråga reached Mina sidor
    for secret in ("Hemlig", "Ring apoteket", "Recept", "Prioritet"):
        assert secret not in texts  # tasks, internal notes and priority never do

    if os.environ.get("UPDATE_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for shot in shots.iterdir():
            shutil.copy(shot, SCREENSHOTS / shot.name)
