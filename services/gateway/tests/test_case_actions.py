"""The integration API's case actions, attachments and access log (SPEC §4, F-CV-2..8):
answers, refusals in the caller's language, and who may call what."""

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import select, update

from arende_contracts.external import EXCHANGE_ESERVICE, ROUTING_SUBMISSION_CREATED
from arende_platform.testing import eventually, publish_json, sample_submission
from case_service.models import Case

pytestmark = pytest.mark.asyncio(loop_scope="session")

PDF = b"%PDF-1.4\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
EXE = b"MZ\x90\x00" + b"\x00" * 60


@dataclass
class World:
    organization: str
    notifying: str
    plain: str
    internal: str
    staff: dict[str, Any]  # role name -> Staff


async def create_case_type(gw: Any, organization: str, **settings: Any) -> str:
    code = f"ct-{uuid.uuid4().hex[:8]}"
    body = {"code": code, "name": "Anmälan till flexlinjen", "organization": organization}
    response = await gw.admin("POST", "/api/v1/admin/case-types", json={**body, **settings})
    assert response.status_code == 201, response.text
    return code


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def world(gw: Any) -> World:
    organization, other = await gw.organization(), await gw.organization()
    notifying = await create_case_type(gw, organization, notify_email=True, notify_sms=True)
    plain = await create_case_type(gw, organization)
    internal = await create_case_type(gw, organization, internal=True)
    grant = {"organization": organization}
    staff = {
        "handler": await gw.staff([{**grant, "role": "handler"}], name="Hanna Handläggare"),
        "colleague": await gw.staff([{**grant, "role": "handler"}], name="Kalle Kollega"),
        "receiver": await gw.staff([{**grant, "role": "receiver"}], name="Mona Mottagare"),
        "reviewer": await gw.staff([{**grant, "role": "reviewer"}], name="Greta Granskare"),
        "admin": await gw.staff([{**grant, "role": "admin"}], name="Ada Administratör"),
        "limited": await gw.staff(
            [{**grant, "role": "handler", "case_types": [plain]}], name="Lisa Begränsad"
        ),
        "outsider": await gw.staff([{"organization": other, "role": "admin"}], name="Olle Utanför"),
    }
    return World(organization, notifying, plain, internal, staff)


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def submit(case_app: Any, amqp: Any) -> Any:
    """Publish a submission and return the id of its case."""

    async def make(case_type: str, **overrides: Any) -> int:
        body = sample_submission(case_type=case_type, **overrides)
        await publish_json(amqp, EXCHANGE_ESERVICE, ROUTING_SUBMISSION_CREATED, body)

        async def found() -> int | None:
            async with case_app.state.runtime.sessions() as session:
                return (
                    await session.execute(
                        select(Case.id).where(Case.submission_id == body["submission_id"])
                    )
                ).scalar_one_or_none()

        return await eventually(found)  # type: ignore[no-any-return]

    return make


async def set_status(case_app: Any, case_id: int, status: str) -> None:
    async with case_app.state.runtime.sessions() as session, session.begin():
        await session.execute(update(Case).where(Case.id == case_id).values(status=status))


async def test_handlers_are_the_staff_whose_grants_cover_the_case(
    client: httpx.AsyncClient, world: World, submit: Any
) -> None:
    case_id = await submit(world.notifying)
    response = await client.get(
        f"/api/v1/cases/{case_id}/handlers", headers=world.staff["receiver"].headers
    )
    assert response.status_code == 200, response.text
    listed = {h["username"] for h in response.json()}
    allowed = {world.staff[r].username for r in ("handler", "colleague", "receiver", "admin")}
    assert listed == allowed  # not the reviewer, the limited handler or the outsider
    hanna = next(h for h in response.json() if h["username"] == world.staff["handler"].username)
    assert hanna["name"] == "Hanna Handläggare"


async def test_assign_checks_the_handler_and_answers_the_case(
    client: httpx.AsyncClient, world: World, submit: Any
) -> None:
    case_id = await submit(world.notifying)
    path = f"/api/v1/cases/{case_id}/assign"
    receiver = world.staff["receiver"].headers
    colleague = world.staff["colleague"].username
    response = await client.post(path, json={"handler": colleague}, headers=receiver)
    assert response.status_code == 200, response.text
    case = response.json()
    assert (case["status"], case["handler"]) == ("assigned", colleague)
    assert case["events"][0]["title"] == f"Fördelat till Kalle Kollega ({colleague})"
    assert case["notified"] == ["+46735366305", "carin@testare.se"]

    reviewer = world.staff["reviewer"].username
    refused = await client.post(path, json={"handler": reviewer}, headers=receiver)
    assert refused.status_code == 422
    assert refused.json() == {
        "detail": f"Handläggaren {reviewer} finns inte eller har inte behörighet till ärendet."
    }
    group = await client.post(path, json={"group": "team-1"}, headers=receiver)
    assert group.json() == {"detail": "Handläggargruppen team-1 finns inte."}
    both = await client.post(
        path,
        json={"handler": colleague, "group": "team-1"},
        headers={**receiver, "Accept-Language": "en"},
    )
    assert both.status_code == 422
    assert both.json() == {"detail": "Give either a handler or a handler group."}


async def test_update_with_files_as_multipart_and_download_them(
    client: httpx.AsyncClient, world: World, submit: Any
) -> None:
    case_id = await submit(world.notifying)
    handler = world.staff["handler"]
    response = await client.post(
        f"/api/v1/cases/{case_id}/update",
        data={
            "status": "in_progress",
            "title": "Det jobbas på här",
            "external_message": "Vi har börjat.",
            "notify": "true",
        },
        files=[
            ("files", ("Beslut åäö.pdf", PDF, "application/pdf")),
            ("files", ("karta.png", PNG, "image/png")),
        ],
        headers=handler.headers,
    )
    assert response.status_code == 200, response.text
    case = response.json()
    assert case["status"] == "in_progress"
    assert case["handler"] == handler.username
    assert case["notified"] == ["+46735366305", "carin@testare.se"]
    event = case["events"][0]
    assert (event["internal"], event["title"], event["message"]) == (
        False,
        "Det jobbas på här",
        "Vi har börjat.",
    )
    files = {a["id"]: a for a in case["attachments"] if a["id"] in event["attachments"]}
    assert sorted(a["filename"] for a in files.values()) == ["Beslut åäö.pdf", "karta.png"]

    pdf = next(a for a in files.values() if a["filename"] == "Beslut åäö.pdf")
    download = await client.get(
        f"/api/v1/cases/{case_id}/attachments/{pdf['id']}", headers=handler.headers
    )
    assert download.status_code == 200
    assert download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-disposition"] == (
        "attachment; filename=\"Beslut ___.pdf\"; filename*=UTF-8''Beslut%20%C3%A5%C3%A4%C3%B6.pdf"
    )
    missing = await client.get(
        f"/api/v1/cases/{case_id}/attachments/999999999", headers=handler.headers
    )
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Bilagan finns inte."}

    # JSON without files; the status stays when it is left out or "unchanged".
    note = await client.post(
        f"/api/v1/cases/{case_id}/update",
        json={
            "status": "unchanged",
            "title": "Notering",
            "internal_message": "Intern",
            "notify": False,
        },
        headers=handler.headers,
    )
    assert note.status_code == 200, note.text
    assert (note.json()["status"], note.json()["notified"]) == ("in_progress", [])


async def test_files_are_checked_by_content_and_counted(
    client: httpx.AsyncClient, world: World, submit: Any
) -> None:
    case_id = await submit(world.plain)
    headers = world.staff["handler"].headers
    path = f"/api/v1/cases/{case_id}/update"
    exe = await client.post(
        path, data={"title": "Faktura"}, files=[("files", ("faktura.pdf", EXE))], headers=headers
    )
    assert exe.status_code == 415
    assert exe.json() == {
        "detail": "Filen faktura.pdf är ett program eller skript och kan inte bifogas."
    }
    four = await client.post(
        path,
        data={"title": "Fyra"},
        files=[("files", (f"{i}.pdf", PDF)) for i in range(4)],
        headers={**headers, "Accept-Language": "en"},
    )
    assert four.status_code == 422
    assert four.json() == {"detail": "At most 3 files can be attached."}
    no_title = await client.post(path, json={"title": " "}, headers=headers)
    assert no_title.status_code == 422
    assert no_title.json()["detail"].startswith("Ogiltig begäran: title")
    garbage = await client.post(
        path, content=b"{not json", headers={**headers, "content-type": "application/json"}
    )
    assert garbage.status_code == 400
    case = (await client.get(f"/api/v1/cases/{case_id}", headers=headers)).json()
    assert len(case["events"]) == 1 and case["attachments"][0]["filename"] == "intyg.pdf"


async def test_reference_close_switch_user_and_acknowledge(
    client: httpx.AsyncClient, world: World, submit: Any, case_app: Any
) -> None:
    headers = world.staff["handler"].headers
    case_id = await submit(world.plain)
    path = f"/api/v1/cases/{case_id}"
    reference = await client.post(
        f"{path}/reference", json={"reference": "8765-23-2"}, headers=headers
    )
    assert reference.status_code == 200, reference.text
    assert reference.json()["reference"] == "8765-23-2"

    switch = await client.post(
        f"{path}/switch-user", json={"account": "ronrov1117", "name": "Ronja"}, headers=headers
    )
    assert switch.status_code == 409
    assert switch.json() == {
        "detail": "Användaren kan bara bytas i interna ärenden som skickats in med staden-konto."
    }
    acknowledge = await client.post(f"{path}/acknowledge", headers=headers)
    assert acknowledge.status_code == 409
    assert acknowledge.json() == {
        "detail": "Det finns ingen komplettering från användaren att kvittera."
    }
    await set_status(case_app, case_id, "complemented")
    acknowledged = await client.post(f"{path}/acknowledge", headers=headers)
    assert acknowledged.status_code == 200, acknowledged.text
    assert acknowledged.json()["events"][0]["title"] == (
        "Senaste komplettering från användaren har kvitterats av Hanna Handläggare"
    )

    close = await client.post(f"{path}/close", json={"notify": False}, headers=headers)
    assert close.status_code == 200, close.text
    assert close.json()["status"] == "closed"
    assert close.json()["events"][0]["title"] == "Ändrar status till Avslutad"

    employee = {"kind": "employee", "account": "kajmut0801", "name": "Kaj Mutka"}
    internal_case = await submit(world.internal, submitter=employee)
    switched = await client.post(
        f"/api/v1/cases/{internal_case}/switch-user",
        json={"account": "ronrov1117", "name": "Ronja Rövardotter"},
        headers=headers,
    )
    assert switched.status_code == 200, switched.text
    assert switched.json()["submitter"]["account"] == "ronrov1117"
    incomplete = await client.post(
        f"/api/v1/cases/{internal_case}/switch-user",
        json={"account": "a", "name": "B", "other_account": "c"},
        headers=headers,
    )
    assert incomplete.status_code == 422


ACTIONS: list[tuple[str, dict[str, Any]]] = [
    ("assign", {"handler": "someone"}),
    ("update", {"title": "Rubrik"}),
    ("reference", {"reference": "R-1"}),
    ("close", {}),
    ("switch-user", {"account": "a", "name": "B"}),
    ("acknowledge", {}),
]


async def test_an_archived_case_refuses_every_action(
    client: httpx.AsyncClient, world: World, submit: Any, case_app: Any
) -> None:
    case_id = await submit(world.plain)
    await set_status(case_app, case_id, "archived")
    for action, body in ACTIONS:
        response = await client.post(
            f"/api/v1/cases/{case_id}/{action}", json=body, headers=world.staff["admin"].headers
        )
        assert response.status_code == 409, (action, response.text)
        assert response.json() == {"detail": "Ärendet är arkiverat och kan inte ändras."}


async def test_every_endpoint_refuses_outsiders_reviewers_and_strangers(
    client: httpx.AsyncClient, world: World, submit: Any
) -> None:
    case_id = await submit(world.plain)
    path = f"/api/v1/cases/{case_id}"
    attachment = (await client.get(path, headers=world.staff["handler"].headers)).json()[
        "attachments"
    ][0]["id"]
    reads = [path, f"{path}/handlers", f"{path}/attachments/{attachment}"]
    outsider, reviewer = world.staff["outsider"].headers, world.staff["reviewer"].headers

    for url in reads:
        refused = await client.get(url, headers=outsider)
        assert refused.status_code == 404, (url, refused.text)
        assert (await client.get(url, headers=reviewer)).status_code == 200, url
        assert (await client.get(url)).status_code == 401, url
    for action, body in ACTIONS:
        url = f"{path}/{action}"
        outside = await client.post(url, json=body, headers=outsider)
        assert outside.status_code == 404, (action, outside.text)
        assert outside.json() == {
            "detail": "Ärendet finns inte eller så saknar du behörighet till det."
        }
        as_reviewer = await client.post(url, json=body, headers=reviewer)
        assert as_reviewer.status_code == 403, (action, as_reviewer.text)
        assert as_reviewer.json() == {
            "detail": "Din roll ger inte behörighet att göra detta i ärendet."
        }
        stranger = await client.post(url, json=body)
        assert stranger.status_code == 401, action

    log = "/api/v1/admin/access-log"
    assert (await client.get(log)).status_code == 401
    assert (await client.get(log, headers=reviewer)).json() == {
        "detail": "Administratörsbehörighet krävs"
    }
    foreign = await client.get(log, params={"case_id": case_id}, headers=outsider)
    assert foreign.status_code == 200 and foreign.json()["items"] == []


async def test_cookie_authenticated_actions_need_the_csrf_token(
    client: httpx.AsyncClient, gw: Any, world: World, submit: Any
) -> None:
    case_id = await submit(world.plain)
    handler = world.staff["handler"]
    await gw.browser_login(client, handler.username, handler.password)
    for action, body in ACTIONS:
        refused = await client.post(f"/api/v1/cases/{case_id}/{action}", json=body)
        assert refused.status_code == 403, action
        assert refused.json() == {"detail": "CSRF-token saknas eller är fel"}
    page = await client.get("/arenden/mina")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    allowed = await client.post(
        f"/api/v1/cases/{case_id}/reference",
        json={"reference": "R-1"},
        headers={"x-csrf-token": token},
    )
    assert allowed.status_code == 200, allowed.text


async def test_administrators_read_the_access_log_of_their_organization(
    client: httpx.AsyncClient, world: World, submit: Any
) -> None:
    case_id = await submit(world.plain)
    handler = world.staff["handler"]
    case = (await client.get(f"/api/v1/cases/{case_id}", headers=handler.headers)).json()
    attachment = case["attachments"][0]["id"]
    await client.get(f"/api/v1/cases/{case_id}/attachments/{attachment}", headers=handler.headers)
    response = await client.get(
        "/api/v1/admin/access-log",
        params={"case_id": case_id, "since": "2020-01-01T00:00:00"},
        headers=world.staff["admin"].headers,
    )
    assert response.status_code == 200, response.text
    entries = response.json()["items"]
    assert [(e["actor"], e["action"]) for e in entries] == [
        (handler.username, "download"),
        (handler.username, "read"),
    ]
    assert entries[0]["detail"] == f"attachment={attachment}"
    later = await client.get(
        "/api/v1/admin/access-log",
        params={"case_id": case_id, "since": "2999-01-01"},
        headers=world.staff["admin"].headers,
    )
    assert later.json()["items"] == []
