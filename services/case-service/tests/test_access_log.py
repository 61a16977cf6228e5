"""The access log (F-CV-8): reads, downloads and actions are written, administrators query them,
and nobody changes them."""

import base64
import json
import uuid
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from arende_contracts.access import Actor, Grant
from arende_platform.testing import VALID_PERSONAL_NUMBER

pytestmark = pytest.mark.asyncio(loop_scope="session")


def headers(actor: Actor) -> dict[str, str]:
    return {
        "x-internal-token": "test-internal-token",
        "x-actor": json.dumps(actor.model_dump(mode="json")),
    }


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def setup(case_client: httpx.AsyncClient) -> dict[str, Any]:
    token = uuid.uuid4().hex[:8]
    org, other = f"logg-{token}", f"logg-annan-{token}"
    for code in (org, other):
        await case_client.post("/internal/organizations", json={"code": code, "name": code})
    code = f"logg-{token}"
    response = await case_client.post(
        "/internal/case-types", json={"code": code, "name": "Logg", "organization": org}
    )
    assert response.status_code == 201, response.text

    def actor(name: str, role: str, organization: str = org) -> Actor:
        return Actor(
            username=f"{name}-{token}",
            name=name,
            grants=[Grant(organization=organization, role=role)],  # type: ignore[arg-type]
        )

    return {
        "case_type": code,
        "handler": actor("handlaggare", "handler"),
        "admin": actor("admin", "admin"),
        "other_admin": actor("annan", "admin", other),
    }


async def test_reads_downloads_and_actions_are_logged_for_administrators(
    case_client: httpx.AsyncClient, setup: dict[str, Any], new_case: Any
) -> None:
    handler, admin = setup["handler"], setup["admin"]
    case_id = await new_case(setup["case_type"])
    path = f"/internal/cases/{case_id}"
    assert (await case_client.get(path, headers=headers(handler))).status_code == 200
    updated = await case_client.post(
        f"{path}/update",
        json={
            "title": "Med fil",
            "files": [{"filename": "a.pdf", "data_base64": base64.b64encode(b"%PDF-1").decode()}],
        },
        headers=headers(handler),
    )
    attachment = updated.json()["attachments"][-1]["id"]
    download = await case_client.get(f"{path}/attachments/{attachment}", headers=headers(handler))
    assert download.status_code == 200
    # Scope lookups for the gateway's decisions are no reads of the case.
    assert (await case_client.get(f"{path}/scope", headers=headers(handler))).status_code == 200

    log = await case_client.get(
        "/internal/access-log", params={"case_id": case_id}, headers=headers(admin)
    )
    assert log.status_code == 200, log.text
    entries = log.json()["items"]
    assert [(e["actor"], e["action"]) for e in entries] == [
        (handler.username, "download"),
        (handler.username, "update"),
        (handler.username, "read"),
    ]
    assert entries[0]["detail"] == f"attachment={attachment}"
    assert all(VALID_PERSONAL_NUMBER not in e["detail"] for e in entries)

    page = await case_client.get(
        "/internal/access-log",
        params={"case_id": case_id, "actor": handler.username, "limit": 2},
        headers=headers(admin),
    )
    assert len(page.json()["items"]) == 2
    rest = await case_client.get(
        "/internal/access-log",
        params={"case_id": case_id, "limit": 2, "cursor": page.json()["next_cursor"]},
        headers=headers(admin),
    )
    assert [e["action"] for e in rest.json()["items"]] == ["read"]
    assert rest.json()["next_cursor"] is None

    other = await case_client.get(
        "/internal/access-log", params={"case_id": case_id}, headers=headers(setup["other_admin"])
    )
    assert other.status_code == 200 and other.json()["items"] == []
    refused = await case_client.get("/internal/access-log", headers=headers(handler))
    assert (refused.status_code, refused.headers["x-error-code"]) == (403, "admin_required")


async def test_the_access_log_cannot_be_changed_or_deleted(case_app: Any) -> None:
    async with case_app.state.runtime.sessions() as session, session.begin():
        await session.execute(
            text("INSERT INTO access_log (actor, case_id, action) VALUES ('t', 1, 'read')")
        )
    for statement in (
        "UPDATE access_log SET actor = 'someone else'",
        "DELETE FROM access_log",
    ):
        async with case_app.state.runtime.sessions() as session:
            with pytest.raises(DBAPIError, match="access_log is append-only"):
                async with session.begin():
                    await session.execute(text(statement))
