"""The export API report-service builds Excel exports from: keyset pages in the orderer's scope,
the count the gateway checks the 5,000 limit with, and an access-log entry per exported case."""

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from arende_contracts.access import Actor, Grant
from case_service.models import AccessLogEntry

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _as(actor: Actor) -> dict[str, str]:
    return {"x-actor": actor.model_dump_json()}


async def test_export_pages_count_scope_and_access_log(
    case_app: FastAPI, case_client: httpx.AsyncClient, case_type: dict[str, Any], new_case: Any
) -> None:
    ids = [await new_case(case_type["code"]) for _ in range(3)]
    handler = Actor(
        username="exporter",
        grants=[Grant(organization=case_type["organization"], role="reviewer")],
    )
    params = {"case_type": case_type["code"]}
    count = await case_client.get(
        "/internal/cases/export/count", params=params, headers=_as(handler)
    )
    assert count.status_code == 200, count.text
    assert count.json()["count"] >= 3
    assert count.json()["case_type_name"] == case_type["name"]

    seen: list[int] = []
    after, pages = 0, 0
    while True:
        response = await case_client.get(
            "/internal/cases/export",
            params={**params, "after": after, "limit": 2, "include_form": "true"},
            headers=_as(handler),
        )
        assert response.status_code == 200, response.text
        body = response.json()
        pages += 1
        seen += [item["id"] for item in body["items"]]
        if body["next_after"] is None:
            break
        after = body["next_after"]
    assert set(ids) <= set(seen) and seen == sorted(seen) and pages >= 2
    item = next(i for i in body["items"])
    assert item["form"][0]["fields"][0]["label"] == "Förnamn"
    assert item["organization_name"] and item["case_type_name"] == case_type["name"]
    without_form = await case_client.get(
        "/internal/cases/export", params={**params, "limit": 1}, headers=_as(handler)
    )
    assert "form" not in without_form.json()["items"][0]
    archived = await case_client.get(
        "/internal/cases/export/count", params={**params, "archived": "true"}, headers=_as(handler)
    )
    # Other tests of the module share the case type and may archive some of its cases;
    # none of this test's three is archived, so they are not counted there.
    archived_ids = await case_client.get(
        "/internal/cases/export",
        params={**params, "archived": "true", "limit": 1000},
        headers=_as(handler),
    )
    assert archived.json()["count"] == len(archived_ids.json()["items"])
    assert not set(ids) & {item["id"] for item in archived_ids.json()["items"]}
    later = await case_client.get(
        "/internal/cases/export/count",
        params={**params, "date_from": "2030-01-01T00:00:00+00:00"},
        headers=_as(handler),
    )
    assert later.json()["count"] == 0

    outsider = Actor(username="x", grants=[Grant(organization="annan", role="handler")])
    for path in ("/internal/cases/export", "/internal/cases/export/count"):
        response = await case_client.get(path, params=params, headers=_as(outsider))
        assert response.status_code == 404

    async with case_app.state.runtime.sessions() as session:
        logged = (
            await session.execute(
                select(AccessLogEntry.case_id).where(
                    AccessLogEntry.actor == "exporter", AccessLogEntry.action == "export"
                )
            )
        ).scalars()
        assert set(ids) <= set(logged)
