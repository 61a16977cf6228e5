"""The administration pages (Lokal administratör) without a browser: forms with CSRF, error
summaries, every case type setting, staff with grants, groups, the change log; and the
Fördela dialog offering handler groups."""

import re
import uuid
from html import unescape
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

pytestmark = pytest.mark.asyncio(loop_scope="session")

ADMIN, ADMIN_PASSWORD = "admin", "bootstrap-losenord-1"
PASSWORD = "ett-langt-losenord-123"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


async def _post(http: httpx.AsyncClient, page: str, path: str, data: Any) -> httpx.Response:
    form = await http.get(page)
    assert form.status_code == 200, form.text
    if isinstance(data, dict):
        data = list(data.items())
    return await http.post(
        path,
        content=urlencode([("csrf_token", csrf(form.text)), *data]),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )


async def test_an_administrator_sets_up_everything_through_the_pages(gw: Any) -> None:
    async with gw.client() as http:
        await gw.browser_login(http, ADMIN, ADMIN_PASSWORD)
        start = await http.get("/administration")
        assert start.status_code == 303 and start.headers["location"].endswith("/forvaltningar")
        home = await http.get("/arenden/mina")
        assert 'href="/administration"' in home.text

        # Förvaltning: an empty code is shown again with an error summary linking to it.
        refused = await _post(
            http,
            "/administration/forvaltningar",
            "/administration/forvaltningar",
            {"code": "", "name": "Utan kod"},
        )
        assert refused.status_code == 422
        assert 'class="error-summary"' in refused.text and 'href="#code"' in refused.text
        assert re.search(r'id="code"[^>]*aria-invalid="true"', refused.text.replace("\n", " "))
        assert 'value="Utan kod"' in refused.text
        org = unique("org")
        created = await _post(
            http,
            "/administration/forvaltningar",
            "/administration/forvaltningar",
            {"code": org, "name": "Stadsmiljöförvaltningen"},
        )
        assert created.status_code == 303
        listed = await http.get(created.headers["location"])
        assert (
            "Förvaltningen har sparats." in listed.text and "Stadsmiljöförvaltningen" in listed.text
        )
        duplicate = await _post(
            http,
            "/administration/forvaltningar",
            "/administration/forvaltningar",
            {"code": org, "name": "Igen"},
        )
        assert duplicate.status_code == 409
        assert f"Förvaltningen {org} finns redan" in unescape(duplicate.text)

        # Ärendetyp with every setting.
        case_type = unique("ct")
        response = await _post(
            http,
            "/administration/arendetyper/ny",
            "/administration/arendetyper/ny",
            {
                "code": case_type,
                "organization": org,
                "name": "Ansökan om parkeringstillstånd",
                "active": "on",
                "allow_anonymous": "on",
                "notify_email": "on",
                "notify_sms": "on",
                "restricted": "on",
                "archive_days": "90",
                "purge_days": "0",
                "retention_decision": "Gallringsbeslut SMN 2026:4",
                "notify_statuses": "closed",
            },
        )
        assert response.status_code == 303, response.text
        fetched = (await gw.admin("GET", f"/api/v1/admin/case-types/{case_type}")).json()
        assert (
            fetched
            | {
                "active": True,
                "allow_anonymous": True,
                "internal": False,
                "notify_email": True,
                "notify_sms": True,
                "two_way": False,
                "restricted": True,
                "archive_days": 90,
                "purge_days": 0,
                "retention_decision": "Gallringsbeslut SMN 2026:4",
                "notify_statuses": ["closed"],
            }
            == fetched
        )
        bad_days = await _post(
            http,
            f"/administration/arendetyper/{case_type}",
            f"/administration/arendetyper/{case_type}",
            {"name": "X", "archive_days": "-3", "purge_days": "10"},
        )
        assert bad_days.status_code == 422
        assert "Kontrollera fältet Arkivering efter antal dagar." in unescape(bad_days.text)
        changed = await _post(
            http,
            f"/administration/arendetyper/{case_type}",
            f"/administration/arendetyper/{case_type}",
            {
                "name": "Parkeringstillstånd",
                "active": "on",
                "two_way": "on",
                "archive_days": "30",
                "purge_days": "365",
            },
        )
        assert changed.status_code == 303
        fetched = (await gw.admin("GET", f"/api/v1/admin/case-types/{case_type}")).json()
        assert fetched["active"] is True and fetched["two_way"] is True
        assert fetched["restricted"] is False and fetched["notify_sms"] is False
        assert fetched["notify_statuses"] is None
        assert fetched["retention_decision"] is None and fetched["archive_days"] == 30

        # Personal with grants: handler limited to the case type, and receiver.
        username = unique("user")
        response = await _post(
            http,
            "/administration/personal/ny",
            "/administration/personal/ny",
            [
                ("username", username),
                ("name", "Petra Parkering"),
                ("password", PASSWORD),
                ("email", "petra@example.se"),
                ("phone", ""),
                (f"grant:{org}:handler", "on"),
                (f"types:{org}:handler", case_type),
                (f"grant:{org}:receiver", "on"),
            ],
        )
        assert response.status_code == 303, response.text
        user = (await gw.admin("GET", f"/api/v1/admin/users/{username}")).json()
        assert user["grants"] == [
            {"organization": org, "role": "handler", "case_types": [case_type]},
            {"organization": org, "role": "receiver", "case_types": None},
        ]
        short = await _post(
            http,
            "/administration/personal/ny",
            "/administration/personal/ny",
            {"username": unique("u"), "name": "Kort", "password": "kort"},
        )
        assert short.status_code == 422 and 'href="#password"' in short.text
        assert "kort" not in re.findall(r'id="password"[^>]*>', short.text)[0]

        # Handläggargrupp with the new user as member.
        group = unique("grupp")
        response = await _post(
            http,
            "/administration/grupper/ny",
            "/administration/grupper/ny",
            [
                ("code", group),
                ("organization", org),
                ("name", "Parkeringsgruppen"),
                (f"members:{org}", username),
            ],
        )
        assert response.status_code == 303, response.text
        fetched_group = (await gw.admin("GET", f"/api/v1/admin/groups/{group}")).json()
        assert fetched_group["members"] == [username]
        page = await http.get("/administration/grupper")
        assert "Parkeringsgruppen" in page.text and "Petra Parkering" in page.text

        log = await http.get("/administration/logg")
        text = unescape(log.text)
        for action in (
            "Förvaltning skapad",
            "Ärendetyp skapad",
            "Ärendetyp ändrad",
            "Användare skapad",
            "Handläggargrupp skapad",
        ):
            assert action in text, action
        assert "Gallringsbeslut: Gallringsbeslut SMN 2026:4 → –" in text
        assert PASSWORD not in text

        english = await http.get("/administration/grupper?lang=en")
        assert "Handler groups" in english.text

        # Fördela offers the group; choosing it puts the case in Petra's Mina ärenden.
        case = await gw.submit(case_type)
        dialog = await http.get(f"/arenden/{case['id']}/fordela")
        assert f'value="grupp:{group}"' in dialog.text
        assigned = await http.post(
            f"/arenden/{case['id']}/fordela",
            data={"csrf_token": csrf(dialog.text), "handler": f"grupp:{group}"},
        )
        assert assigned.status_code == 303, assigned.text
    petra = await gw.token(username, PASSWORD)
    async with gw.client() as http:
        mine = await http.get("/api/v1/cases", params={"view": "mine"}, headers=petra)
        assert [i["id"] for i in mine.json()["items"]] == [case["id"]]
        await gw.browser_login(http, username, PASSWORD)
        listed_mine = await http.get("/arenden/mina")
        assert '<span class="handler">Parkeringsgruppen</span>' in listed_mine.text
        view = await http.get(f"/arenden/{case['id']}")
        assert "Parkeringsgruppen" in view.text and "Ta ärendet" in view.text
        taken = await http.post(
            f"/arenden/{case['id']}/fordela",
            data={
                "csrf_token": csrf(view.text),
                "handler": username,
                "inaktivera_notifiering": "1",
            },
        )
        assert taken.status_code == 303
        detail = (await http.get(f"/api/v1/cases/{case['id']}", headers=petra)).json()
        assert detail["handler"] == username and detail["handler_group"] is None
        # Petra is no administrator: no menu link, and the pages refuse her.
        assert 'href="/administration"' not in view.text
        refused_page = await http.get("/administration/forvaltningar")
        assert refused_page.status_code == 403


async def test_a_local_administrator_sees_only_their_organization(gw: Any) -> None:
    org, other = await gw.organization(), await gw.organization()
    other_type = await gw.case_type(other)
    admin = await gw.staff([{"organization": org, "role": "admin"}], name="Lena Lokal")
    async with gw.client() as http:
        await gw.browser_login(http, admin.username, admin.password)
        orgs = await http.get("/administration/forvaltningar")
        assert org in orgs.text and other not in orgs.text
        assert "Ny förvaltning" not in orgs.text  # only superusers create organizations
        assert (await http.get(f"/administration/forvaltningar/{other}")).status_code == 404
        assert (await http.get(f"/administration/arendetyper/{other_type}")).status_code == 404
        form = await http.get("/administration/personal/ny")
        assert f"grant:{org}:handler" in form.text and f"grant:{other}:" not in form.text
        forged = await http.post(
            "/administration/forvaltningar",
            data={"csrf_token": "fel", "code": unique("o"), "name": "X"},
        )
        assert forged.status_code == 403


async def test_changes_through_the_pages_take_effect_at_once(gw: Any) -> None:
    org = await gw.organization()
    case_type = await gw.case_type(org)
    staff = await gw.staff([{"organization": org, "role": "handler"}], name="Rut Ändras")
    other = await gw.staff([{"organization": org, "role": "receiver"}], name="Sam Ändras")
    group = unique("g")
    response = await gw.admin(
        "POST",
        "/api/v1/admin/groups",
        json={"code": group, "name": "Gamla", "organization": org, "members": [staff.username]},
    )
    assert response.status_code == 201
    async with gw.client() as http:
        await gw.browser_login(http, ADMIN, ADMIN_PASSWORD)
        renamed = await _post(
            http,
            f"/administration/forvaltningar/{org}",
            f"/administration/forvaltningar/{org}",
            {"name": "Nytt namn på förvaltningen"},
        )
        assert renamed.status_code == 303
        orgs = (await gw.admin("GET", "/api/v1/admin/organizations")).json()
        assert {"code": org, "name": "Nytt namn på förvaltningen"} in [
            {"code": o["code"], "name": o["name"]} for o in orgs
        ]

        page = await http.get(f"/administration/grupper/{group}")
        assert re.search(rf'value="{staff.username}" checked', page.text)
        changed = await _post(
            http,
            f"/administration/grupper/{group}",
            f"/administration/grupper/{group}",
            [("name", "Nya"), (f"members:{org}", other.username)],
        )
        assert changed.status_code == 303, changed.text
        fetched = (await gw.admin("GET", f"/api/v1/admin/groups/{group}")).json()
        assert (fetched["name"], fetched["members"]) == ("Nya", [other.username])

        # Grants: the user becomes a reviewer limited to the case type, and is deactivated.
        form = await http.get(f"/administration/personal/{staff.username}")
        assert re.search(rf'name="grant:{org}:handler" checked', form.text)
        changed = await _post(
            http,
            f"/administration/personal/{staff.username}",
            f"/administration/personal/{staff.username}",
            [
                ("name", "Rut Ändrad"),
                (f"grant:{org}:reviewer", "on"),
                (f"types:{org}:reviewer", case_type),
            ],
        )
        assert changed.status_code == 303, changed.text
        user = (await gw.admin("GET", f"/api/v1/admin/users/{staff.username}")).json()
        assert user["name"] == "Rut Ändrad" and user["active"] is False
        assert user["grants"] == [
            {"organization": org, "role": "reviewer", "case_types": [case_type]}
        ]
        async with gw.client() as api:
            signed_out = await api.get("/api/v1/cases", headers=staff.headers)
        assert signed_out.status_code == 401

        removed = await _post(
            http,
            f"/administration/grupper/{group}",
            f"/administration/grupper/{group}/ta-bort",
            {},
        )
        assert removed.status_code == 303
        assert (await gw.admin("GET", f"/api/v1/admin/groups/{group}")).status_code == 404
        log = unescape((await http.get("/administration/logg")).text)
        assert "Handläggargrupp borttagen" in log and "Förvaltning ändrad" in log
        assert "Aktiv: Ja → Nej" in log


async def test_removing_a_group_with_open_cases_is_refused_on_the_page(gw: Any) -> None:
    """The refusal is the form's error summary, in the user's language; once the case is
    closed the group goes, and the case view and list show its code."""
    org = await gw.organization()
    member = await gw.staff([{"organization": org, "role": "handler"}], login=False)
    group = unique("grupp")
    created = await gw.admin(
        "POST",
        "/api/v1/admin/groups",
        json={"code": group, "name": "Tillsyn", "organization": org, "members": [member.username]},
    )
    assert created.status_code == 201, created.text
    case_type = await gw.case_type(org)
    case = await gw.submit(case_type)
    assigned = await gw.admin("POST", f"/api/v1/cases/{case['id']}/assign", json={"group": group})
    assert assigned.status_code == 200, assigned.text
    page, remove = f"/administration/grupper/{group}", f"/administration/grupper/{group}/ta-bort"
    async with gw.client() as http:
        await gw.browser_login(http, ADMIN, ADMIN_PASSWORD)
        form = unescape((await http.get(page)).text)
        assert "En grupp med öppna ärenden eller uppgifter kan inte tas bort." in form
        refused = await _post(http, page, remove, {})
        assert refused.status_code == 409
        assert 'class="error-summary"' in refused.text
        assert (
            "Gruppen har 1 öppet ärende. Fördela det till någon annan innan gruppen tas bort."
            in unescape(refused.text)
        )
        english = await _post(http, f"{page}?lang=en", f"{remove}?lang=en", {})
        assert english.status_code == 409
        assert (
            "The group has 1 open case. Assign it to someone else before removing the group."
            in unescape(english.text)
        )
        await http.get(f"{page}?lang=sv")
        assert (await gw.admin("GET", f"/api/v1/admin/groups/{group}")).status_code == 200

        closed = await gw.admin("POST", f"/api/v1/cases/{case['id']}/close", json={"notify": False})
        assert closed.status_code == 200, closed.text
        removed = await _post(http, page, remove, {})
        assert removed.status_code == 303, removed.text
        notice = await http.get(removed.headers["location"])
        assert "Handläggargruppen har tagits bort." in unescape(notice.text)

        # The closed case keeps the removed group's code, and says so.
        view = await http.get(f"/arenden/{case['id']}")
        assert view.status_code == 200
        assert f"{group} (gruppen finns inte längre)" in unescape(view.text)
        listed = await http.get(
            "/arenden/alla", params={"case_type": case_type, "status": "closed"}
        )
        assert listed.status_code == 200
        assert f'<span class="handler">{group}</span>' in listed.text
