"""Handler groups (F-AD-3) and the admin audit log: a case assigned to a group is in each
member's Mina ärenden (never a non-member's) until one takes it; every administrative change
is audited; refusals are 403 for non-administrators and 404 for other organizations."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import ANY

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import select

from arende_platform.db import transaction
from gateway.case_client import CaseServiceClient
from gateway.groups.service import open_work_refusal
from gateway.models import AdminAuditEntry

Gateway = Any  # the `gw` fixture of conftest.py
ADMIN, ADMIN_PASSWORD = "admin", "bootstrap-losenord-1"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _mine(gw: Gateway, headers: dict[str, str]) -> set[int]:
    async with gw.client() as http:
        response = await http.get(
            "/api/v1/cases", params={"view": "mine", "limit": 200}, headers=headers
        )
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


async def _call(gw: Gateway, headers: dict[str, str], method: str, path: str, **kwargs: Any) -> Any:
    async with gw.client() as http:
        return await http.request(method, path, headers=headers, **kwargs)


async def test_a_group_case_is_in_every_members_mina_arenden_until_one_takes_it(
    gw: Gateway,
) -> None:
    org = await gw.organization()
    case_type = await gw.case_type(org)
    anna = await gw.staff([{"organization": org, "role": "handler"}], name="Anna Grupp")
    bo = await gw.staff([{"organization": org, "role": "receiver"}], name="Bo Grupp")
    outsider = await gw.staff([{"organization": org, "role": "handler"}], name="Cia Utanför")
    code = unique("grupp")
    created = await gw.admin(
        "POST",
        "/api/v1/admin/groups",
        json={
            "code": code,
            "name": "Färdtjänstgruppen",
            "organization": org,
            "members": [anna.username, bo.username.upper()],
        },
    )
    assert created.status_code == 201, created.text
    assert sorted(created.json()["members"]) == sorted([anna.username, bo.username])
    listed = await gw.admin("GET", "/api/v1/admin/groups")
    assert code in [g["code"] for g in listed.json()]

    case = await gw.submit(case_type)
    assigned = await _call(
        gw, gw.admin_headers, "POST", f"/api/v1/cases/{case['id']}/assign", json={"group": code}
    )
    assert assigned.status_code == 200, assigned.text
    body = assigned.json()
    assert body["handler_group"] == code and body["handler"] is None
    assert body["status"] == "assigned"
    assert any("Färdtjänstgruppen" in e["title"] for e in body["events"] if e["internal"])

    assert case["id"] in await _mine(gw, anna.headers)
    assert case["id"] in await _mine(gw, bo.headers)
    assert case["id"] not in await _mine(gw, outsider.headers)

    # Anna takes it (assigns it to herself): it leaves Bo's Mina ärenden.
    taken = await _call(
        gw,
        anna.headers,
        "POST",
        f"/api/v1/cases/{case['id']}/assign",
        json={"handler": anna.username},
    )
    assert taken.status_code == 200, taken.text
    assert taken.json()["handler"] == anna.username and taken.json()["handler_group"] is None
    assert case["id"] in await _mine(gw, anna.headers)
    assert case["id"] not in await _mine(gw, bo.headers)

    # Membership changes take effect at once: the outsider joins and sees the next group case.
    # (gw.submit finds a case by its case type: one case type per case)
    second = await gw.submit(await gw.case_type(org))
    await _call(
        gw, gw.admin_headers, "POST", f"/api/v1/cases/{second['id']}/assign", json={"group": code}
    )
    assert second["id"] not in await _mine(gw, outsider.headers)
    patched = await gw.admin(
        "PATCH",
        f"/api/v1/admin/groups/{code}",
        json={"members": [anna.username, outsider.username]},
    )
    assert patched.status_code == 200, patched.text
    assert second["id"] in await _mine(gw, outsider.headers)
    assert second["id"] not in await _mine(gw, bo.headers)

    # A member who updates a group case takes it too (as an update of a case without handler).
    third = await gw.submit(await gw.case_type(org))
    await _call(
        gw, gw.admin_headers, "POST", f"/api/v1/cases/{third['id']}/assign", json={"group": code}
    )
    options = await _call(gw, anna.headers, "GET", f"/api/v1/cases/{third['id']}/groups")
    assert options.status_code == 200, options.text
    assert options.json() == [{"code": code, "name": "Färdtjänstgruppen"}]
    updated = await _call(
        gw,
        outsider.headers,
        "POST",
        f"/api/v1/cases/{third['id']}/update",
        json={"status": "in_progress", "title": "Vi har börjat"},
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["handler"] == outsider.username
    assert updated.json()["handler_group"] is None
    detail = await _call(gw, gw.admin_headers, "GET", f"/api/v1/cases/{third['id']}")
    assert detail.json()["handler"] == outsider.username, detail.json()
    assert detail.json()["handler_group"] is None, detail.json()
    assert third["id"] not in await _mine(gw, anna.headers)

    log = await gw.admin("GET", "/api/v1/admin/audit-log", params={"target": code})
    actions = [e["action"] for e in log.json()["items"]]
    assert actions == ["group.update", "group.create"]
    assert log.json()["items"][0]["details"]["members"][1] == sorted(
        [anna.username, outsider.username]
    )

    # The group still has the second case: it cannot be removed until someone else has it.
    refused = await gw.admin("DELETE", f"/api/v1/admin/groups/{code}")
    assert refused.status_code == 409, refused.text
    moved = await _call(
        gw,
        anna.headers,
        "POST",
        f"/api/v1/cases/{second['id']}/assign",
        json={"handler": anna.username},
    )
    assert moved.status_code == 200, moved.text
    deleted = await gw.admin("DELETE", f"/api/v1/admin/groups/{code}")
    assert deleted.status_code == 204
    assert second["id"] not in await _mine(gw, outsider.headers)
    assert second["id"] in await _mine(gw, anna.headers)
    gone = await gw.admin("GET", f"/api/v1/admin/groups/{code}")
    assert gone.status_code == 404


async def test_a_group_with_open_cases_or_tasks_cannot_be_removed(
    gw: Gateway, case_app: Any
) -> None:
    """Removing a group would take its open cases and tasks out of everyone's Mina ärenden: 409
    with the counts, in the caller's language. Closed and archived cases do not stop it and keep
    showing the group's code."""
    org = await gw.organization()
    anna = await gw.staff([{"organization": org, "role": "handler"}], name="Anna Grupp")
    code = unique("grupp")
    created = await gw.admin(
        "POST",
        "/api/v1/admin/groups",
        json={
            "code": code,
            "name": "Bygglovsgruppen",
            "organization": org,
            "members": [anna.username],
        },
    )
    assert created.status_code == 201, created.text
    # gw.submit finds a case by its case type: one case type per case.
    first, second, closed, archived = [await gw.submit(await gw.case_type(org)) for _ in range(4)]
    for case in (first, second, closed, archived):
        assigned = await _call(
            gw, gw.admin_headers, "POST", f"/api/v1/cases/{case['id']}/assign", json={"group": code}
        )
        assert assigned.status_code == 200, assigned.text
    # An administrator outside the group closes one: it keeps the group's code.
    done = await _call(
        gw, gw.admin_headers, "POST", f"/api/v1/cases/{closed['id']}/close", json={"notify": False}
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "closed" and done.json()["handler_group"] == code
    task = await _call(
        gw,
        gw.admin_headers,
        "POST",
        f"/api/v1/cases/{first['id']}/tasks",
        json={"title": "Kontrollera ritningen", "group": code},
    )
    assert task.status_code == 201, task.text
    # A task on a case that is then archived (read-only) does not count either.
    stale = await _call(
        gw,
        gw.admin_headers,
        "POST",
        f"/api/v1/cases/{archived['id']}/tasks",
        json={"title": "Gammal uppgift", "group": code},
    )
    assert stale.status_code == 201, stale.text
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=case_app), base_url="http://case-service"
    ) as internal:
        archive = await internal.post(
            "/internal/retention/archive",
            json={
                "case_ids": [archived["id"]],
                "before": (datetime.now(UTC) + timedelta(minutes=1)).isoformat(),
            },
            headers={"x-internal-token": "test-internal-token"},
        )
    assert archive.json()["archived"] == [archived["id"]], archive.text

    refused = await gw.admin("DELETE", f"/api/v1/admin/groups/{code}")
    assert refused.status_code == 409, refused.text
    assert refused.json()["detail"] == (
        "Gruppen har 2 öppna ärenden och 1 öppen uppgift. "
        "Fördela dem till någon annan innan gruppen tas bort."
    )
    english = await _call(
        gw,
        {**gw.admin_headers, "accept-language": "en"},
        "DELETE",
        f"/api/v1/admin/groups/{code}",
    )
    assert english.json()["detail"] == (
        "The group has 2 open cases and 1 open task. "
        "Assign them to someone else before removing the group."
    )

    # Anna takes both cases; the task is still the group's.
    for case in (first, second):
        taken = await _call(
            gw,
            anna.headers,
            "POST",
            f"/api/v1/cases/{case['id']}/assign",
            json={"handler": anna.username},
        )
        assert taken.status_code == 200, taken.text
    refused = await gw.admin("DELETE", f"/api/v1/admin/groups/{code}")
    assert refused.status_code == 409
    assert refused.json()["detail"] == (
        "Gruppen har 1 öppen uppgift. Fördela den till någon annan innan gruppen tas bort."
    )
    marked = await _call(
        gw,
        anna.headers,
        "PATCH",
        f"/api/v1/cases/{first['id']}/tasks/{task.json()['id']}",
        json={"done": True},
    )
    assert marked.status_code == 200, marked.text

    deleted = await gw.admin("DELETE", f"/api/v1/admin/groups/{code}")
    assert deleted.status_code == 204, deleted.text
    log = await gw.admin("GET", "/api/v1/admin/audit-log", params={"target": code})
    assert [e["action"] for e in log.json()["items"]] == ["group.delete", "group.create"]
    # The closed and the archived case still name the removed group by its code.
    for case in (closed, archived):
        detail = await _call(gw, gw.admin_headers, "GET", f"/api/v1/cases/{case['id']}")
        assert detail.status_code == 200, detail.text
        assert detail.json()["handler_group"] == code


@pytest.mark.parametrize(
    ("cases", "tasks", "expected"),
    [
        (0, 0, None),
        (1, 0, "Gruppen har 1 öppet ärende. Fördela det till någon annan innan gruppen tas bort."),
        (3, 0, "Gruppen har 3 öppna ärenden. Fördela dem till någon annan innan gruppen tas bort."),
        (
            0,
            2,
            "Gruppen har 2 öppna uppgifter. Fördela dem till någon annan innan gruppen tas bort.",
        ),
        (
            1,
            1,
            "Gruppen har 1 öppet ärende och 1 öppen uppgift. "
            "Fördela dem till någon annan innan gruppen tas bort.",
        ),
    ],
)
async def test_the_refusal_names_the_open_cases_and_tasks(
    cases: int, tasks: int, expected: str | None
) -> None:
    refusal = open_work_refusal(cases, tasks)
    assert (refusal.detail if refusal else None) == expected


async def test_assigning_to_a_group_of_another_organization_or_an_unknown_one_is_refused(
    gw: Gateway,
) -> None:
    org, other = await gw.organization(), await gw.organization()
    case_type = await gw.case_type(org)
    foreign = unique("grupp")
    response = await gw.admin(
        "POST",
        "/api/v1/admin/groups",
        json={"code": foreign, "name": "Annan", "organization": other},
    )
    assert response.status_code == 201, response.text
    case = await gw.submit(case_type)
    for group in (foreign, "finns-inte"):
        refused = await _call(
            gw,
            gw.admin_headers,
            "POST",
            f"/api/v1/cases/{case['id']}/assign",
            json={"group": group},
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"] == f"Handläggargruppen {group} finns inte."
    both = await _call(
        gw,
        gw.admin_headers,
        "POST",
        f"/api/v1/cases/{case['id']}/assign",
        json={"group": foreign, "handler": "admin"},
    )
    assert both.status_code == 422


async def test_group_members_must_handle_cases_of_the_organization(gw: Gateway) -> None:
    org, other = await gw.organization(), await gw.organization()
    reviewer = await gw.staff([{"organization": org, "role": "reviewer"}], login=False)
    elsewhere = await gw.staff([{"organization": other, "role": "handler"}], login=False)
    for member in (reviewer.username, elsewhere.username, "finns-inte"):
        response = await gw.admin(
            "POST",
            "/api/v1/admin/groups",
            json={"code": unique("g"), "name": "G", "organization": org, "members": [member]},
        )
        assert response.status_code == 422, response.text
        assert member in response.json()["detail"]
    unknown_org = await gw.admin(
        "POST",
        "/api/v1/admin/groups",
        json={"code": unique("g"), "name": "G", "organization": "finns-inte"},
    )
    assert unknown_org.status_code == 422
    code = unique("g")
    first = await gw.admin(
        "POST", "/api/v1/admin/groups", json={"code": code, "name": "G", "organization": org}
    )
    assert first.status_code == 201
    again = await gw.admin(
        "POST", "/api/v1/admin/groups", json={"code": code, "name": "G", "organization": org}
    )
    assert again.status_code == 409
    assert again.json()["detail"] == f"Handläggargruppen {code} finns redan"


async def test_local_admin_administers_only_their_organization(gw: Gateway) -> None:
    org, other = await gw.organization(), await gw.organization()
    case_type, other_type = await gw.case_type(org), await gw.case_type(other)
    admin = await gw.staff([{"organization": org, "role": "admin"}], name="Lokal Admin")
    handler = await gw.staff([{"organization": org, "role": "handler"}], name="Hans Handläggare")
    other_group = unique("g")
    await gw.admin(
        "POST",
        "/api/v1/admin/groups",
        json={"code": other_group, "name": "Annan", "organization": other},
    )

    # The local administrator changes their own organization, case types, staff and groups.
    renamed = await _call(
        gw, admin.headers, "PATCH", f"/api/v1/admin/organizations/{org}", json={"name": "Nytt"}
    )
    assert renamed.status_code == 200, renamed.text
    settings = {
        "active": False,
        "allow_anonymous": True,
        "internal": True,
        "notify_email": True,
        "notify_sms": True,
        "two_way": False,
        "restricted": True,
        "archive_days": 30,
        "purge_days": 365,
        "retention_decision": "Gallringsbeslut 2026:1",
    }
    changed = await _call(
        gw, admin.headers, "PATCH", f"/api/v1/admin/case-types/{case_type}", json=settings
    )
    assert changed.status_code == 200, changed.text
    assert {k: changed.json()[k] for k in settings} == settings
    fetched = await _call(gw, admin.headers, "GET", f"/api/v1/admin/case-types/{case_type}")
    assert {k: fetched.json()[k] for k in settings} == settings
    created_type = await _call(
        gw,
        admin.headers,
        "POST",
        "/api/v1/admin/case-types",
        json={"code": unique("ct"), "name": "Ny typ", "organization": org, "purge_days": 0},
    )
    assert created_type.status_code == 201, created_type.text
    group = unique("g")
    created = await _call(
        gw,
        admin.headers,
        "POST",
        "/api/v1/admin/groups",
        json={"code": group, "name": "Egen", "organization": org, "members": [handler.username]},
    )
    assert created.status_code == 201, created.text
    groups = await _call(gw, admin.headers, "GET", "/api/v1/admin/groups")
    assert [g["code"] for g in groups.json()] == [group]

    # Other organizations: 404 for what they cannot see, 403 for creating there.
    for method, path, body in (
        ("PATCH", f"/api/v1/admin/organizations/{other}", {"name": "X"}),
        ("PATCH", f"/api/v1/admin/case-types/{other_type}", {"active": False}),
        ("GET", f"/api/v1/admin/case-types/{other_type}", None),
        ("GET", f"/api/v1/admin/groups/{other_group}", None),
        ("PATCH", f"/api/v1/admin/groups/{other_group}", {"name": "X"}),
        ("DELETE", f"/api/v1/admin/groups/{other_group}", None),
    ):
        response = await _call(gw, admin.headers, method, path, json=body)
        assert response.status_code == 404, (path, response.text)
    for path, body in (
        ("/api/v1/admin/organizations", {"code": unique("org"), "name": "X"}),
        ("/api/v1/admin/case-types", {"code": unique("ct"), "name": "X", "organization": other}),
        ("/api/v1/admin/groups", {"code": unique("g"), "name": "X", "organization": other}),
    ):
        response = await _call(gw, admin.headers, "POST", path, json=body)
        assert response.status_code == 403, (path, response.text)

    # The audit log shows the organization's changes, never another's, never a password.
    log = await _call(gw, admin.headers, "GET", "/api/v1/admin/audit-log")
    assert log.status_code == 200, log.text
    entries = log.json()["items"]
    assert {e["organization"] for e in entries} <= {org, None}
    mine = [(e["action"], e["target"]) for e in entries if e["organization"] == org]
    assert ("organization.update", org) in mine
    assert ("case_type.update", case_type) in mine
    assert ("case_type.create", created_type.json()["code"]) in mine
    assert ("group.create", group) in mine
    assert ("user.create", handler.username) in mine
    update = next(e for e in entries if e["action"] == "case_type.update")
    assert update["details"]["retention_decision"] == [None, "Gallringsbeslut 2026:1"]
    assert update["actor"] == admin.username
    assert "ett-langt" not in log.text


async def test_non_administrators_are_refused_with_403(gw: Gateway) -> None:
    org = await gw.organization()
    case_type = await gw.case_type(org)
    handler = await gw.staff([{"organization": org, "role": "handler"}])
    group = unique("g")
    await gw.admin(
        "POST", "/api/v1/admin/groups", json={"code": group, "name": "G", "organization": org}
    )
    for method, path, body in (
        ("GET", "/api/v1/admin/groups", None),
        ("POST", "/api/v1/admin/groups", {"code": unique("g"), "name": "G", "organization": org}),
        ("GET", f"/api/v1/admin/groups/{group}", None),
        ("PATCH", f"/api/v1/admin/groups/{group}", {"members": []}),
        ("DELETE", f"/api/v1/admin/groups/{group}", None),
        ("GET", "/api/v1/admin/audit-log", None),
        ("PATCH", f"/api/v1/admin/organizations/{org}", {"name": "X"}),
        ("PATCH", f"/api/v1/admin/case-types/{case_type}", {"active": False}),
        (
            "POST",
            "/api/v1/admin/case-types",
            {"code": unique("c"), "name": "X", "organization": org},
        ),
        ("POST", "/api/v1/admin/organizations", {"code": unique("o"), "name": "X"}),
    ):
        response = await _call(gw, handler.headers, method, path, json=body)
        assert response.status_code == 403, (method, path, response.text)
        assert response.json()["detail"] == "Administratörsbehörighet krävs"


async def test_user_changes_are_audited_without_secrets(gw: Gateway) -> None:
    org = await gw.organization()
    staff = await gw.staff([{"organization": org, "role": "handler"}], login=False)
    response = await gw.admin(
        "PATCH",
        f"/api/v1/admin/users/{staff.username}",
        json={
            "password": "ett-annat-langt-losenord-9",
            "grants": [{"organization": org, "role": "receiver"}],
        },
    )
    assert response.status_code == 200, response.text
    log = await gw.admin("GET", "/api/v1/admin/audit-log", params={"target": staff.username})
    entries = log.json()["items"]
    assert [e["action"] for e in entries] == ["user.update", "user.create"]
    assert entries[0]["details"]["password"] == "***"
    assert entries[0]["details"]["grants"][1] == [
        {"organization": org, "role": "receiver", "case_types": None}
    ]
    assert "losenord" not in log.text
    paged = await gw.admin("GET", "/api/v1/admin/audit-log", params={"limit": 1})
    assert paged.json()["next_cursor"]
    bad = await gw.admin("GET", "/api/v1/admin/audit-log", params={"cursor": "!!"})
    assert bad.status_code == 422


async def test_a_case_type_notifies_only_on_its_chosen_statuses(gw: Gateway) -> None:
    org = await gw.organization()
    case_type = await gw.case_type(org)
    changed = await gw.admin(
        "PATCH",
        f"/api/v1/admin/case-types/{case_type}",
        json={"notify_email": True, "notify_statuses": ["closed", "decided", "closed"]},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["notify_statuses"] == ["decided", "closed"]
    bad = await gw.admin(
        "PATCH", f"/api/v1/admin/case-types/{case_type}", json={"notify_statuses": ["archived"]}
    )
    assert bad.status_code == 422
    case = await gw.submit(case_type)  # the sample submitter has carin@testare.se
    path = f"/api/v1/cases/{case['id']}"
    progress = await gw.admin(
        "POST", f"{path}/update", json={"status": "in_progress", "title": "Vi har börjat"}
    )
    assert progress.status_code == 200, progress.text
    assert progress.json()["notified"] == []
    closed = await gw.admin("POST", f"{path}/close", json={})
    assert closed.status_code == 200, closed.text
    assert closed.json()["notified"] == ["carin@testare.se"]
    every = await gw.admin(
        "PATCH", f"/api/v1/admin/case-types/{case_type}", json={"notify_statuses": None}
    )
    assert every.json()["notify_statuses"] is None
    log = await gw.admin("GET", "/api/v1/admin/audit-log", params={"target": case_type})
    first = log.json()["items"][-2]["details"]
    assert first["notify_statuses"] == [None, ["decided", "closed"]]


async def _entries(gw: Gateway, target: str) -> list[dict[str, Any]]:
    log = await gw.admin("GET", "/api/v1/admin/audit-log", params={"target": target})
    assert log.status_code == 200, log.text
    return log.json()["items"]  # type: ignore[no-any-return]


async def test_organization_and_case_type_changes_have_one_confirmed_entry_each(
    gw: Gateway,
) -> None:
    org = await gw.organization()
    renamed = await gw.admin("PATCH", f"/api/v1/admin/organizations/{org}", json={"name": "Ny"})
    assert renamed.status_code == 200, renamed.text
    org_entries = await _entries(gw, org)
    assert [(e["action"], e["confirmed"]) for e in org_entries] == [
        ("organization.update", True),
        ("organization.create", True),
    ]
    assert org_entries[0]["details"] == {"name": [f"Förvaltning {org}", "Ny"]}

    code = unique("ct")
    created = await gw.admin(
        "POST",
        "/api/v1/admin/case-types",
        json={"code": code, "name": "Bygglov", "organization": org, "archive_days": 7},
    )
    assert created.status_code == 201, created.text
    changed = await gw.admin(
        "PATCH",
        f"/api/v1/admin/case-types/{code}",
        json={"notify_statuses": ["closed", "decided", "closed"], "archive_days": 7},
    )
    assert changed.status_code == 200, changed.text
    # A change that changes nothing is not an entry.
    same = await gw.admin("PATCH", f"/api/v1/admin/case-types/{code}", json={"archive_days": 7})
    assert same.status_code == 200, same.text
    update, create = await _entries(gw, code)
    assert (create["action"], create["confirmed"]) == ("case_type.create", True)
    assert create["details"]["archive_days"] == 7 and create["details"]["active"] is True
    # The values case-service stored (sorted, without the repeat), not the ones asked for;
    # archive_days, asked but unchanged, is not a change.
    assert (update["action"], update["confirmed"]) == ("case_type.update", True)
    assert update["details"] == {"notify_statuses": [None, ["decided", "closed"]]}


async def test_a_refused_change_leaves_no_entry(gw: Gateway) -> None:
    org = await gw.organization()
    code = await gw.case_type(org)
    again = await gw.admin(
        "POST", "/api/v1/admin/organizations", json={"code": org, "name": "Dubblett"}
    )
    assert again.status_code == 409, again.text
    duplicate = await gw.admin(
        "POST",
        "/api/v1/admin/case-types",
        json={"code": code, "name": "Dubblett", "organization": org},
    )
    assert duplicate.status_code == 409, duplicate.text
    orphan = unique("ct")
    invalid = await gw.admin(
        "POST",
        "/api/v1/admin/case-types",
        json={"code": orphan, "name": "Utan förvaltning", "organization": unique("org")},
    )
    assert invalid.status_code == 422, invalid.text
    assert await _entries(gw, orphan) == []
    assert [(e["action"], e["confirmed"]) for e in await _entries(gw, org)] == [
        ("organization.create", True)
    ]
    assert [(e["action"], e["confirmed"]) for e in await _entries(gw, code)] == [
        ("case_type.create", True)
    ]


class AnswerLost(httpx.AsyncBaseTransport):
    """case-service stores the change; then its answer is lost on the way back: a timeout,
    a failure (500), or a gateway that stops waiting (`hang`, until the request is
    cancelled). Before passing a change on it reads the target's entries from the database
    in a transaction of its own: what a gateway that crashed at that moment would leave."""

    def __init__(self, case_app: Any, sessions: Any, target: str, failure: str) -> None:
        self.case_service = httpx.ASGITransport(app=case_app)
        self.sessions = sessions
        self.target = target
        self.failure = failure
        self.committed: list[tuple[str, bool]] = []
        self.stored = asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return await self.case_service.handle_async_request(request)
        async with transaction(self.sessions) as session:
            rows = await session.execute(
                select(AdminAuditEntry.action, AdminAuditEntry.confirmed)
                .where(AdminAuditEntry.target == self.target)
                .order_by(AdminAuditEntry.id.desc())
            )
            self.committed = [(action, confirmed) for action, confirmed in rows]
        answer = await self.case_service.handle_async_request(request)
        assert answer.status_code < 300, (await answer.aread()).decode()
        self.stored.set()
        if self.failure == "timeout":
            raise httpx.ReadTimeout("no answer in time", request=request)
        if self.failure == "error":
            return httpx.Response(500, json={"detail": "kraschade efter lagringen"})
        await asyncio.Event().wait()  # hang until cancelled
        raise AssertionError("unreachable")


@pytest_asyncio.fixture(loop_scope="session")
async def answer_lost(
    gw: Gateway, case_app: Any
) -> AsyncIterator[Callable[[str, str], AnswerLost]]:
    """Route the gateway's case-service calls through an `AnswerLost` for one test."""
    state = gw.app.state
    real = state.case_service
    clients: list[httpx.AsyncClient] = []

    def install(target: str, failure: str) -> AnswerLost:
        transport = AnswerLost(case_app, state.runtime.sessions, target, failure)
        client = httpx.AsyncClient(base_url="http://case-service", transport=transport)
        clients.append(client)
        state.case_service = CaseServiceClient(client, real.internal_token)
        return transport

    try:
        yield install
    finally:
        state.case_service = real
        for client in clients:
            await client.aclose()


async def test_a_stored_change_whose_answer_is_lost_stays_unconfirmed(
    gw: Gateway, answer_lost: Callable[[str, str], AnswerLost]
) -> None:
    org = await gw.organization()
    code = await gw.case_type(org)

    before = (await gw.admin("GET", f"/api/v1/admin/case-types/{code}")).json()
    assert before["active"] and before["two_way"]
    timeout = answer_lost(code, "timeout")
    response = await gw.admin(
        "PATCH", f"/api/v1/admin/case-types/{code}", json={"active": False, "purge_days": 30}
    )
    assert response.status_code == 503, response.text
    # The entry was committed before case-service was asked.
    assert timeout.committed == [("case_type.update", False), ("case_type.create", True)]

    failing = answer_lost(org, "error")
    response = await gw.admin("PATCH", f"/api/v1/admin/organizations/{org}", json={"name": "X"})
    assert response.status_code == 502, response.text
    assert failing.committed == [("organization.update", False), ("organization.create", True)]

    hanging = answer_lost(code, "hang")
    request = asyncio.create_task(
        gw.admin("PATCH", f"/api/v1/admin/case-types/{code}", json={"two_way": False})
    )
    await asyncio.wait_for(hanging.stored.wait(), timeout=30)
    request.cancel()  # the gateway stops between case-service's answer and the confirmation
    with pytest.raises(asyncio.CancelledError):
        await request

    # Every change was stored (reads pass through the stand-in), and each has its entry,
    # unconfirmed, with the values asked for.
    case_type = (await gw.admin("GET", f"/api/v1/admin/case-types/{code}")).json()
    assert (case_type["active"], case_type["purge_days"], case_type["two_way"]) == (
        False,
        30,
        False,
    )
    organization = (await gw.admin("GET", "/api/v1/admin/organizations")).json()
    assert {"id": ANY, "code": org, "name": "X"} in organization
    hang, update, create = await _entries(gw, code)
    assert (hang["action"], hang["confirmed"]) == ("case_type.update", False)
    assert hang["details"] == {"two_way": [before["two_way"], False]}
    assert (update["action"], update["confirmed"]) == ("case_type.update", False)
    assert update["details"] == {"active": [True, False], "purge_days": [before["purge_days"], 30]}
    assert create["confirmed"] is True
    rename = (await _entries(gw, org))[0]
    assert (rename["confirmed"], rename["details"]) == (
        False,
        {"name": [f"Förvaltning {org}", "X"]},
    )

    # The change log page marks them.
    async with gw.client() as http:
        await gw.browser_login(http, ADMIN, ADMIN_PASSWORD)
        page = await http.get("/administration/logg")
        english = await http.get("/administration/logg?lang=en")
    assert page.status_code == 200, page.text
    assert "Ej bekräftad" in page.text and "Not confirmed" in english.text
