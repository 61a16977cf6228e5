"""The case view and its action dialogs in the web UI (F-CV-1..8, F-TW-1): the guide's labels,
tabs that work without JavaScript, dialogs as pages with CSRF and POST-redirect-GET, and the
guide's confirmations."""

import re
import uuid
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import select, update

from arende_contracts.external import EXCHANGE_ESERVICE, ROUTING_SUBMISSION_CREATED
from arende_platform.testing import eventually, publish_json, sample_submission
from case_service.models import Case

pytestmark = pytest.mark.asyncio(loop_scope="session")


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def buttons(html: str) -> list[str]:
    nav = re.search(r'<nav class="case-actions".*?</nav>', html, re.S)
    if nav is None:
        return []
    return [text_of(b) for b in re.findall(r"<(?:a|button)[^>]*>.*?</(?:a|button)>", nav.group(0))]


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def ui(gw: Any, case_app: Any, amqp: Any) -> dict[str, Any]:
    organization = await gw.organization()

    async def case_type(**settings: Any) -> str:
        code = f"ct-{uuid.uuid4().hex[:8]}"
        body = {"code": code, "name": "Anmälan till flexlinjen", "organization": organization}
        response = await gw.admin("POST", "/api/v1/admin/case-types", json={**body, **settings})
        assert response.status_code == 201, response.text
        return code

    async def submit(code: str, **overrides: Any) -> int:
        body = sample_submission(case_type=code, **overrides)
        await publish_json(amqp, EXCHANGE_ESERVICE, ROUTING_SUBMISSION_CREATED, body)

        async def found() -> int | None:
            async with case_app.state.runtime.sessions() as session:
                return (
                    await session.execute(
                        select(Case.id).where(Case.submission_id == body["submission_id"])
                    )
                ).scalar_one_or_none()

        return await eventually(found)  # type: ignore[no-any-return]

    grant = {"organization": organization}
    return {
        "email_type": await case_type(notify_email=True),
        "plain_type": await case_type(),
        "internal_type": await case_type(internal=True),
        "submit": submit,
        "handler": await gw.staff([{**grant, "role": "handler"}], name="Behzad Andishmand"),
        "reviewer": await gw.staff([{**grant, "role": "reviewer"}], name="Greta Granskare"),
        "admin": await gw.staff([{**grant, "role": "admin"}], name="Ada Administratör"),
    }


async def set_status(case_app: Any, case_id: int, status: str) -> None:
    async with case_app.state.runtime.sessions() as session, session.begin():
        await session.execute(update(Case).where(Case.id == case_id).values(status=status))


async def test_the_case_view_has_the_guides_header_tabs_and_buttons(
    client: httpx.AsyncClient, gw: Any, ui: dict[str, Any]
) -> None:
    case_id = await ui["submit"](ui["plain_type"])
    handler = ui["handler"]
    await gw.browser_login(client, handler.username, handler.password)
    page = await client.get(f"/arenden/{case_id}")
    assert page.status_code == 200
    html, text = page.text, text_of(page.text)
    assert "<h1>Anmälan till flexlinjen</h1>" in html
    for label in ("Ärende id", "Uppdaterades", "Status Inskickad", "Skickades in", "Förvaltning"):
        assert label in text
    # The guide's buttons, then priority/category and a new task (F-AD-6).
    more = ["Prioritet och kategori", "Ny uppgift"]
    assert buttons(html) == ["Fördela", "Uppdatera", "Referens", "Avsluta", *more]
    tabs = re.findall(r'<a role="tab"[^>]*aria-selected="(true|false)"[^>]*>([^<]+)</a>', html)
    assert tabs == [
        ("false", "Senaste händelserna"),
        ("false", "Hela tidslinjen"),
        ("false", "Bilagor"),
        ("true", "Inskickade uppgifter"),  # the default tab
    ]
    assert 'role="tablist"' in html and 'role="tabpanel"' in html
    assert "Person- och kontaktuppgifter Förnamn Carin" in text

    files = await client.get(f"/arenden/{case_id}?flik=bilagor")
    link = re.search(rf'href="(/arenden/{case_id}/bilagor/\d+)">intyg.pdf</a>', files.text)
    assert link, files.text
    download = await client.get(link.group(1))
    assert download.status_code == 200
    assert download.content == b"%PDF-1.4\n"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["x-content-type-options"] == "nosniff"

    english = await client.get(f"/arenden/{case_id}?lang=en&flik=senaste")
    assert "Latest events" in english.text and "Submitted information" in english.text
    assert buttons(english.text) == [
        "Assign",
        "Update",
        "Reference",
        "Close",
        "Priority and category",
        "New task",
    ]
    await client.get(f"/arenden/{case_id}?lang=sv")


async def test_update_dialog_redirects_with_the_guides_confirmation(
    client: httpx.AsyncClient, gw: Any, ui: dict[str, Any]
) -> None:
    case_id = await ui["submit"](ui["email_type"])
    handler = ui["handler"]
    await gw.browser_login(client, handler.username, handler.password)
    dialog = await client.get(f"/arenden/{case_id}/uppdatera")
    assert dialog.status_code == 200
    html = dialog.text
    for label in (
        "Välj status",
        "Händelsens rubrik",
        "Meddelande till användaren",
        "Internt meddelande",
        "Välj fil",
        "Inaktivera eventuell notifikation till användaren",
    ):
        assert f">{label}" in html, label
    assert 'enctype="multipart/form-data"' in html
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]+)</option>', html)
    assert options == [
        ("", "Oförändrad (Inskickad)"),
        ("in_progress", "Behandlas"),
        ("decided", "Beslutad"),
        ("closed", "Avslutad"),
    ]
    token = csrf_of(html)

    missing_title = await client.post(
        f"/arenden/{case_id}/uppdatera",
        data={"csrf_token": token, "status": "in_progress", "external_message": "Kvar"},
    )
    assert missing_title.status_code == 422
    assert "Händelsens rubrik måste anges." in missing_title.text
    assert ">Kvar</textarea>" in missing_title.text  # what was written is kept

    forged = await client.post(
        f"/arenden/{case_id}/uppdatera", data={"title": "Utan token", "csrf_token": "fel"}
    )
    assert forged.status_code == 403

    done = await client.post(
        f"/arenden/{case_id}/uppdatera",
        data={
            "csrf_token": token,
            "status": "in_progress",
            "title": "Det jobbas på här",
            "external_message": "Skriver något här och då ser användaren det som en ny händelse",
            "internal_message": "Eller så kan man skriva något internt som användaren inte ser",
        },
        files=[("files", ("underlag.pdf", b"%PDF-1.7\n", "application/pdf"))],
    )
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"/arenden/{case_id}"
    page = await client.get(f"/arenden/{case_id}")
    assert (
        '<p class="notice notice--success" role="status">'
        "Ärendet uppdaterat och notifiering har skickats till carin@testare.se.</p>"
    ) in page.text
    text = text_of(page.text)
    assert "Status Behandlas" in text
    assert f"Handläggare Behzad Andishmand ({handler.username})" in text
    assert "notifiering" not in (await client.get(f"/arenden/{case_id}")).text  # shown once

    timeline = await client.get(f"/arenden/{case_id}?flik=tidslinje")
    text = text_of(timeline.text)
    assert "Inskickad" in text and "Ärendet har skickats in" in text
    assert re.search(
        r"Behandlas \d{4}-\d\d-\d\d \d\d:\d\d Det jobbas på här Behzad Andishmand .*"
        r"Skriver något här .* underlag\.pdf .* Intern Det jobbas på här",
        text,
    ), text
    latest = await client.get(f"/arenden/{case_id}?flik=senaste")
    anchors = re.findall(rf'href="/arenden/{case_id}\?flik=tidslinje#(handelse-\d+)"', latest.text)
    assert len(anchors) == 3
    assert all(f'id="{a}"' in timeline.text for a in anchors)


async def test_assign_reference_and_close_dialogs(
    client: httpx.AsyncClient, gw: Any, ui: dict[str, Any]
) -> None:
    case_id = await ui["submit"](ui["email_type"])
    handler = ui["handler"]
    await gw.browser_login(client, handler.username, handler.password)

    dialog = await client.get(f"/arenden/{case_id}/fordela")
    options = re.findall(r'<option value="([^"]+)"[^>]*>([^<]+)</option>', dialog.text)
    assert (handler.username, f"Behzad Andishmand ({handler.username})") in options
    assert ui["reviewer"].username not in dialog.text
    assert "Inaktivera eventuell notifikation till användaren" in dialog.text
    assigned = await client.post(
        f"/arenden/{case_id}/fordela",
        data={
            "csrf_token": csrf_of(dialog.text),
            "handler": handler.username,
            "inaktivera_notifiering": "1",
        },
    )
    assert assigned.status_code == 303
    page = await client.get(f"/arenden/{case_id}")
    assert 'role="status">Ärendet fördelat</p>' in page.text
    assert "Status Fördelad" in text_of(page.text)

    reference = await client.get(f"/arenden/{case_id}/referens")
    assert ">Ärendets referens" in reference.text and ">Spara</button>" in reference.text
    saved = await client.post(
        f"/arenden/{case_id}/referens",
        data={"csrf_token": csrf_of(reference.text), "reference": "8765-23-2"},
    )
    assert saved.status_code == 303
    page = await client.get(f"/arenden/{case_id}")
    assert "Ärendets referens har uppdaterats." in page.text
    assert "Referens 8765-23-2" in text_of(page.text)

    close = await client.get(f"/arenden/{case_id}/avsluta")
    assert 'value="Ändrar status till Avslutad"' in close.text
    assert ">Händelsens rubrik (Både extern och intern)" in close.text
    closed = await client.post(
        f"/arenden/{case_id}/avsluta",
        data={
            "csrf_token": csrf_of(close.text),
            "title": "Ändrar status till Avslutad",
            "reference": "8765-23-2",
        },
    )
    assert closed.status_code == 303
    page = await client.get(f"/arenden/{case_id}")
    assert "Ärendet uppdaterat och notifiering har skickats till carin@testare.se." in page.text
    assert "Status Avslutad" in text_of(page.text)
    # A closed case is updated or given a reference, not assigned or closed again (guide 5.4).
    assert buttons(page.text) == ["Uppdatera", "Referens", "Prioritet och kategori", "Ny uppgift"]
    again = await client.get(f"/arenden/{case_id}/avsluta")
    assert again.status_code == 409
    assert "Ärendet är redan avslutat." in again.text


async def test_switch_user_only_on_employee_cases(
    client: httpx.AsyncClient, gw: Any, ui: dict[str, Any]
) -> None:
    employee = {"kind": "employee", "account": "kajmut0801", "name": "Kaj Mutka"}
    case_id = await ui["submit"](ui["internal_type"], submitter=employee)
    citizen_case = await ui["submit"](ui["plain_type"])
    handler = ui["handler"]
    await gw.browser_login(client, handler.username, handler.password)
    assert "Byt användare" not in buttons((await client.get(f"/arenden/{citizen_case}")).text)
    assert (await client.get(f"/arenden/{citizen_case}/byt-anvandare")).status_code == 409

    page = await client.get(f"/arenden/{case_id}")
    assert buttons(page.text) == [
        "Fördela",
        "Uppdatera",
        "Referens",
        "Avsluta",
        "Byt användare",
        "Prioritet och kategori",
        "Ny uppgift",
    ]
    dialog = await client.get(f"/arenden/{case_id}/byt-anvandare")
    text = text_of(dialog.text)
    assert "Byt användare som skickat in ärendet" in text
    assert "Inskickat av: Kaj Mutka (kajmut0801)" in text
    assert "Obs! Det är viktigt att ange korrekta uppgifter här" in text
    switched = await client.post(
        f"/arenden/{case_id}/byt-anvandare",
        data={
            "csrf_token": csrf_of(dialog.text),
            "account": "ronrov1117",
            "name": "Ronja Rövardotter",
        },
    )
    assert switched.status_code == 303
    page = await client.get(f"/arenden/{case_id}?flik=tidslinje")
    assert "Ärendets användare har ändrats." in page.text
    assert "Användare har bytts från kajmut0801 till ronrov1117 av Behzad Andishmand" in text_of(
        page.text
    )
    assert "Inskickat av ronrov1117 Ronja Rövardotter" in text_of(page.text)


async def test_a_complemented_case_opens_on_the_timeline_with_kvittera(
    client: httpx.AsyncClient, gw: Any, ui: dict[str, Any], case_app: Any
) -> None:
    case_id = await ui["submit"](ui["plain_type"])
    await set_status(case_app, case_id, "complemented")
    handler = ui["handler"]
    await gw.browser_login(client, handler.username, handler.password)
    page = await client.get(f"/arenden/{case_id}")
    assert re.search(r'aria-selected="true"[^>]*>Hela tidslinjen<', page.text)
    assert "Kvittera" in buttons(page.text)
    done = await client.post(
        f"/arenden/{case_id}/kvittera", data={"csrf_token": csrf_of(page.text)}
    )
    assert done.status_code == 303
    page = await client.get(f"/arenden/{case_id}?flik=senaste")
    assert "Kompletteringen har kvitterats." in page.text
    assert "Senaste komplettering från användaren har kvitterats av Behzad Andishmand" in page.text
    assert "Kvittera" not in buttons(page.text)


async def test_reviewers_and_archived_cases_get_no_buttons(
    client: httpx.AsyncClient, gw: Any, ui: dict[str, Any], case_app: Any
) -> None:
    case_id = await ui["submit"](ui["plain_type"])
    reviewer = ui["reviewer"]
    await gw.browser_login(client, reviewer.username, reviewer.password)
    page = await client.get(f"/arenden/{case_id}")
    assert page.status_code == 200 and buttons(page.text) == []
    refused = await client.get(f"/arenden/{case_id}/uppdatera")
    assert refused.status_code == 403
    assert "Din roll ger inte behörighet att göra detta i ärendet." in refused.text
    token = csrf_of(page.text)
    posted = await client.post(
        f"/arenden/{case_id}/referens", data={"csrf_token": token, "reference": "x"}
    )
    assert posted.status_code == 403

    await set_status(case_app, case_id, "archived")
    admin = ui["admin"]
    async with gw.client() as browser:
        await gw.browser_login(browser, admin.username, admin.password)
        archived = await browser.get(f"/arenden/{case_id}")
        assert buttons(archived.text) == []
        assert "Ärendet är arkiverat och kan inte ändras." in archived.text
        dialog = await browser.get(f"/arenden/{case_id}/fordela")
        assert dialog.status_code == 409
        assert "Ärendet är arkiverat och kan inte ändras." in dialog.text
        log = await browser.get("/api/v1/admin/access-log", params={"case_id": case_id})
    reads = [(e["actor"], e["action"]) for e in log.json()["items"]]
    assert (reviewer.username, "read") in reads and (admin.username, "read") in reads
