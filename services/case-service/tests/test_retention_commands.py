"""case-service's side of retention: what is due, and archive/purge commands that re-check
every case under lock, so a repeated or late command is harmless (docs/decisions/0008)."""

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, text

from case_service.models import AccessLogEntry, Attachment, Case, CaseEvent, outbox

pytestmark = pytest.mark.asyncio(loop_scope="session")

TOKEN = {"x-internal-token": "test-internal-token"}


def soon() -> str:
    return (datetime.now(UTC) + timedelta(seconds=5)).isoformat()


async def test_due_archive_and_purge_are_idempotent_and_recheck_each_case(
    case_app: FastAPI, case_client: httpx.AsyncClient, new_case: Any
) -> None:
    org = f"gallring-{uuid.uuid4().hex[:8]}"
    assert (
        await case_client.post("/internal/organizations", json={"code": org, "name": org})
    ).status_code == 201
    code = f"{org}-typ"
    body = {
        "code": code,
        "name": "Gallras",
        "organization": org,
        "archive_days": 0,
        "purge_days": 0,
    }
    assert (await case_client.post("/internal/case-types", json=body)).status_code == 201
    first, second = await new_case(code), await new_case(code)
    await case_client.get(f"/internal/cases/{first}")  # an access-log row to be purged
    sessions = case_app.state.runtime.sessions
    # An unpublished message that carries the personnummer (as none does today) goes too.
    number = "191212121212"
    async with sessions() as session, session.begin():
        await session.execute(
            outbox.insert().values(
                event_id=uuid.uuid4(),
                exchange="arende.events",
                routing_key="test.v1",
                event_type="Test",
                body=f'{{"pnr": "{number}"}}'.encode(),
                next_attempt_at=datetime.now(UTC) + timedelta(hours=1),
            )
        )

    rules = (await case_client.get("/internal/retention/rules", headers=TOKEN)).json()
    assert {
        "case_type": code,
        "organization": org,
        "archive_days": 0,
        "purge_days": 0,
        "retention_decision": None,
    } in rules
    due = await case_client.post(
        "/internal/retention/due",
        json={"case_type": code, "archive_before": soon(), "purge_before": soon()},
    )
    assert due.json() == {"archive": [first, second], "purge": [first, second]}
    unknown = await case_client.post(
        "/internal/retention/due",
        json={"case_type": "finns-inte", "archive_before": soon(), "purge_before": soon()},
    )
    assert unknown.status_code == 404

    # A cut-off before the cases' last update (their submission, 2026-11-24): nothing is due.
    past = "2026-11-01T00:00:00+00:00"
    early = await case_client.post(
        "/internal/retention/archive", json={"case_ids": [first, second], "before": past}
    )
    assert early.json() == {"archived": [], "already": [], "skipped": [first, second]}
    # Purging a case that is not archived is refused case by case.
    not_archived = await case_client.post(
        "/internal/retention/purge", json={"case_ids": [first], "before": soon()}
    )
    assert not_archived.json() == {"purged": [], "already": [], "skipped": [first]}

    async with sessions() as session:
        last_update = (
            await session.execute(select(Case.updated_at).where(Case.id == first))
        ).scalar_one()
    archived = await case_client.post(
        "/internal/retention/archive", json={"case_ids": [first, second], "before": soon()}
    )
    assert archived.json() == {"archived": [first, second], "already": [], "skipped": []}
    again = await case_client.post(
        "/internal/retention/archive", json={"case_ids": [first, second], "before": soon()}
    )
    assert again.json() == {"archived": [], "already": [first, second], "skipped": []}
    async with sessions() as session:
        status, updated = (
            await session.execute(select(Case.status, Case.updated_at).where(Case.id == first))
        ).one()
        assert status == "archived"
        # Purge days count from the last update: archiving is not one.
        assert updated == last_update
        kinds = (
            await session.execute(select(CaseEvent.kind).where(CaseEvent.case_id == first))
        ).scalars()
        assert "archived" in set(kinds)
    # Archived: read-only for caseworkers.
    refused = await case_client.post(f"/internal/cases/{first}/close", json={"notify": False})
    assert refused.status_code == 409

    purged = await case_client.post(
        "/internal/retention/purge", json={"case_ids": [first], "before": soon()}
    )
    assert purged.json() == {"purged": [first], "already": [], "skipped": []}
    repeated = await case_client.post(
        "/internal/retention/purge", json={"case_ids": [first], "before": soon()}
    )
    assert repeated.json() == {"purged": [], "already": [first], "skipped": []}
    async with sessions() as session:
        assert (await session.get(Case, first)) is None
        for model in (CaseEvent, Attachment, AccessLogEntry):
            count = select(func.count()).select_from(model).where(model.case_id == first)
            assert (await session.execute(count)).scalar() == 0
        left = await session.execute(
            text("SELECT count(*) FROM outbox WHERE position(convert_to(:n, 'UTF8') in body) > 0"),
            {"n": number},
        )
        assert left.scalar() == 0
        # The other case stays archived.
        assert (
            await session.execute(select(Case.status).where(Case.id == second))
        ).scalar() == "archived"


async def test_a_case_due_for_both_is_purged_directly(
    case_app: FastAPI, case_client: httpx.AsyncClient, new_case: Any
) -> None:
    """The purge command's `archive_before` lets a run purge a case not archived yet when it is
    due for both; without it, or with a cut-off before the last update, the case is skipped."""
    org = f"direkt-{uuid.uuid4().hex[:8]}"
    assert (
        await case_client.post("/internal/organizations", json={"code": org, "name": org})
    ).status_code == 201
    code = f"{org}-typ"
    body = {"code": code, "name": "Gallras direkt", "organization": org}
    assert (await case_client.post("/internal/case-types", json=body)).status_code == 201
    case_id = await new_case(code)
    past = "2026-11-01T00:00:00+00:00"

    def purge(**cutoffs: str) -> Any:
        return case_client.post(
            "/internal/retention/purge", json={"case_ids": [case_id], **cutoffs}
        )

    for cutoffs in ({"before": soon()}, {"before": soon(), "archive_before": past}):
        skipped = await purge(**cutoffs)
        assert skipped.json() == {"purged": [], "already": [], "skipped": [case_id]}, cutoffs
    # Archive commands take no archive_before.
    wrong = await case_client.post(
        "/internal/retention/archive",
        json={"case_ids": [case_id], "before": soon(), "archive_before": soon()},
    )
    assert wrong.status_code == 422
    assert wrong.json()["detail"] == "archive_before is for purge commands only"

    purged = await purge(before=soon(), archive_before=soon())
    assert purged.json() == {"purged": [case_id], "already": [], "skipped": []}
    async with case_app.state.runtime.sessions() as session:
        assert (await session.get(Case, case_id)) is None
        # One internal event and one withdrawal, with the status the case had.
        rows = (
            await session.execute(
                select(outbox.c.event_type, outbox.c.body).where(
                    outbox.c.event_type.in_(["CaseArchived", "CasePurged", "case.withdrawn"])
                )
            )
        ).all()
    mine = {}
    for row in rows:
        message = json.loads(row.body)
        data = message.get("data", message)
        if data["case_id"] == case_id:
            assert row.event_type not in mine
            mine[row.event_type] = data
    assert set(mine) == {"CasePurged", "case.withdrawn"}
    assert mine["CasePurged"]["status"] == "submitted"
    assert mine["case.withdrawn"]["reason"] == "purged"
