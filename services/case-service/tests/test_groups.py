"""What a handler group still has open (asked by the gateway before it removes the group):
open cases of the organization assigned to it and open tasks for it; Avslutad and Arkiverad
cases, tasks done and tasks on archived cases do not count."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from arende_contracts.access import Actor, Grant

from .test_actions import as_actor

pytestmark = pytest.mark.asyncio(loop_scope="session")

TOKEN = {"x-internal-token": "test-internal-token"}
SUPERUSER = Actor(username="admin", superuser=True)


async def _organization(client: httpx.AsyncClient) -> tuple[str, list[str]]:
    """A new organization with four case types (one case each keeps the cases apart)."""
    org = f"grupper-{uuid.uuid4().hex[:8]}"
    response = await client.post("/internal/organizations", json={"code": org, "name": org})
    assert response.status_code == 201, response.text
    types = []
    for n in range(4):
        body = {"code": f"{org}-{n}", "name": f"Typ {n}", "organization": org}
        assert (await client.post("/internal/case-types", json=body)).status_code == 201
        types.append(body["code"])
    return org, types


async def _act(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(path, json=body, headers=as_actor(SUPERUSER))
    assert response.status_code in (200, 201), response.text
    return response.json()  # type: ignore[no-any-return]


async def test_open_work_counts_open_cases_and_tasks_of_the_group_in_its_organization(
    case_client: httpx.AsyncClient, new_case: Any
) -> None:
    org, types = await _organization(case_client)
    other_org, other_types = await _organization(case_client)
    group = f"grupp-{uuid.uuid4().hex[:8]}"
    open_case, closed, archived, unassigned = [await new_case(t) for t in types]
    elsewhere = await new_case(other_types[0])
    for case_id in (open_case, closed, archived, elsewhere):
        await _act(
            case_client,
            f"/internal/cases/{case_id}/assign",
            {"group": group, "group_name": "Gruppen", "notify": False},
        )
    await _act(case_client, f"/internal/cases/{closed}/close", {"notify": False})
    for case_id in (unassigned, closed, archived):
        await _act(
            case_client, f"/internal/cases/{case_id}/tasks", {"title": "Titta på", "group": group}
        )
    done = await _act(
        case_client, f"/internal/cases/{unassigned}/tasks", {"title": "Klar", "group": group}
    )
    marked = await case_client.patch(
        f"/internal/cases/{unassigned}/tasks/{done['id']}",
        json={"done": True},
        headers=as_actor(SUPERUSER),
    )
    assert marked.status_code == 200, marked.text
    before = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    archive = await case_client.post(
        "/internal/retention/archive", json={"case_ids": [archived], "before": before}
    )
    assert archive.json()["archived"] == [archived]

    async def open_work(organization: str, actor: Actor = SUPERUSER) -> httpx.Response:
        return await case_client.get(
            f"/internal/groups/{group}/open-work",
            params={"organization": organization},
            headers=as_actor(actor),
        )

    # The open case; the open tasks on the unassigned and the closed case (not the done one,
    # not the one on the archived case).
    answer = await open_work(org)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"group": group, "organization": org, "cases": 1, "tasks": 2}
    # The same code in another organization (a group removed and made anew there) is apart.
    assert (await open_work(other_org)).json()["cases"] == 1
    assert (await open_work(other_org)).json()["tasks"] == 0

    admin = Actor(username="lokal", grants=[Grant(organization=org, role="admin")])
    assert (await open_work(org, admin)).status_code == 200
    handler = Actor(username="hanna", grants=[Grant(organization=org, role="handler")])
    refused = await open_work(org, handler)
    assert refused.status_code == 403
    assert refused.headers["x-error-code"] == "admin_required"
    assert (await open_work(other_org, admin)).status_code == 403
    missing = await case_client.get(
        f"/internal/groups/{group}/open-work", headers=as_actor(SUPERUSER)
    )
    assert missing.status_code == 422
