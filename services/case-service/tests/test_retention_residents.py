"""case-service's side of the resident-record rule (docs/decisions/0008, "Resident records"):
expired shares and old resident audit entries are deleted in batches at retention-service's
cut-offs, a dry run only counts, and a repeated command deletes nothing more."""

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update

from arende_contracts.access import Actor
from case_service.models import ResidentApproval, ResidentAudit, ResidentShare

from .test_service_desk import personal_number

pytestmark = pytest.mark.asyncio(loop_scope="session")

TOKEN = {"x-internal-token": "test-internal-token"}
ADMIN = {
    "x-internal-token": "test-internal-token",
    "x-actor": Actor(username="admin", superuser=True).model_dump_json(),
}
DAYS = 30


async def _today(case_app: FastAPI) -> date:
    async with case_app.state.runtime.sessions() as session:
        now = await session.scalar(select(func.timezone("Europe/Stockholm", func.now())))
    return now.date()  # type: ignore[no-any-return]


async def _share(client: httpx.AsyncClient, org: str, case_type: str, pnr: str) -> int:
    body = {"organization": org, "personal_number": pnr, "case_type": case_type}
    response = await client.post("/internal/residents/shares", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def test_expired_shares_and_old_audit_entries_are_purged_in_batches(
    case_app: FastAPI, case_client: httpx.AsyncClient
) -> None:
    org = f"invanare-{uuid.uuid4().hex[:8]}"
    assert (
        await case_client.post("/internal/organizations", json={"code": org, "name": org})
    ).status_code == 201
    restricted = f"{org}-begransad"
    body = {"code": restricted, "name": "Recept", "organization": org, "restricted": True}
    assert (await case_client.post("/internal/case-types", json=body)).status_code == 201
    long_gone, recent, open_ended, approved = (personal_number(n, "19700101") for n in range(4))
    gone_id = await _share(case_client, org, restricted, long_gone)
    recent_id = await _share(case_client, org, restricted, recent)
    open_id = await _share(case_client, org, restricted, open_ended)
    approval = await case_client.post(
        "/internal/residents",
        json={"organization": org, "personal_number": approved},
        headers=ADMIN,
    )
    assert approval.status_code == 201, approval.text

    # One share ran out 40 days ago, one 5 days ago (its expiry not audited yet); the audit of
    # the first and of the approval is 40 days old.
    today = await _today(case_app)
    now = datetime.now(UTC)
    sessions = case_app.state.runtime.sessions
    async with sessions() as session, session.begin():
        for share_id, days in ((gone_id, 40), (recent_id, 5)):
            await session.execute(
                update(ResidentShare)
                .where(ResidentShare.id == share_id)
                .values(until=today - timedelta(days=days))
            )
        await session.execute(
            update(ResidentAudit)
            .where(ResidentAudit.personal_number.in_([long_gone, approved]))
            .values(at=now - timedelta(days=40))
        )
    cutoffs = {
        "shares_until_before": (today - timedelta(days=DAYS)).isoformat(),
        "audit_before": (now - timedelta(days=DAYS)).isoformat(),
    }

    async def audit_of(pnr: str) -> list[tuple[str, datetime]]:
        async with sessions() as session:
            rows = await session.execute(
                select(ResidentAudit.action, ResidentAudit.at)
                .where(ResidentAudit.personal_number == pnr)
                .order_by(ResidentAudit.id)
            )
            return [(a, at) for a, at in rows.all()]

    dry = await case_client.post(
        "/internal/retention/residents", json={**cutoffs, "dry_run": True}, headers=TOKEN
    )
    assert dry.status_code == 200, dry.text
    assert dry.json() == {"shares": 1, "audit_entries": 2, "expiries_recorded": 0, "more": False}
    # The dry run changed nothing.
    async with sessions() as session:
        assert await session.get(ResidentShare, gone_id) is not None
    assert [a for a, _ in await audit_of(long_gone)] == ["shared"]

    # One row of each per batch: the first batch is full, so another is due.
    first = await case_client.post(
        "/internal/retention/residents", json={**cutoffs, "limit": 1}, headers=TOKEN
    )
    assert first.status_code == 200, first.text
    assert first.json()["shares"] == 1 and first.json()["audit_entries"] == 1
    assert first.json()["more"] is True
    # Both expiries were audited before any share went (the 40 days old one and the recent one).
    assert first.json()["expiries_recorded"] >= 2
    second = await case_client.post(
        "/internal/retention/residents", json={**cutoffs, "limit": 1}, headers=TOKEN
    )
    assert second.json() == {"shares": 0, "audit_entries": 1, "expiries_recorded": 0, "more": True}
    last = await case_client.post("/internal/retention/residents", json=cutoffs, headers=TOKEN)
    assert last.json() == {"shares": 0, "audit_entries": 0, "expiries_recorded": 0, "more": False}

    async with sessions() as session:
        assert await session.get(ResidentShare, gone_id) is None
        kept = await session.get(ResidentShare, recent_id)
        assert kept is not None and kept.expired_at is not None
        assert await session.get(ResidentShare, open_id) is not None
        assert await session.scalar(
            select(ResidentApproval.id).where(ResidentApproval.personal_number == approved)
        )
    # Old entries are gone; the expiry written now stays its own days.
    assert [a for a, _ in await audit_of(long_gone)] == ["share_expired"]
    assert await audit_of(approved) == []
    assert [a for a, _ in await audit_of(recent)] == ["shared", "share_expired"]
    assert [a for a, _ in await audit_of(open_ended)] == ["shared"]

    # With 0 days (every expired share, every entry before now) the rest of the expired go.
    zero = {"shares_until_before": today.isoformat(), "audit_before": cutoffs["audit_before"]}
    counted = await case_client.post(
        "/internal/retention/residents", json={**zero, "dry_run": True}, headers=TOKEN
    )
    assert counted.json()["shares"] >= 1
    async with sessions() as session:
        assert await session.get(ResidentShare, recent_id) is not None


@pytest.mark.parametrize(
    "body",
    [
        {"shares_until_before": "2026-01-01", "audit_before": "2026-01-01T00:00:00Z", "limit": 0},
        {
            "shares_until_before": "2026-01-01",
            "audit_before": "2026-01-01T00:00:00Z",
            "limit": 5001,
        },
        {"shares_until_before": "inte ett datum", "audit_before": "2026-01-01T00:00:00Z"},
        {"audit_before": "2026-01-01T00:00:00Z"},
        {"shares_until_before": "2026-01-01", "audit_before": "2026-01-01T00:00:00Z", "x": 1},
    ],
)
async def test_a_bad_command_is_refused_with_422(
    case_client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    response = await case_client.post("/internal/retention/residents", json=body, headers=TOKEN)
    assert response.status_code == 422, response.text


async def test_the_command_needs_the_internal_token(case_app: FastAPI) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=case_app), base_url="http://case-service"
    ) as anonymous:
        response = await anonymous.post(
            "/internal/retention/residents",
            json={"shares_until_before": "2026-01-01", "audit_before": "2026-01-01T00:00:00Z"},
        )
    assert response.status_code in (401, 403)
