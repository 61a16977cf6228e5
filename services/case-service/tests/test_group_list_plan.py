"""Mina ärenden with handler groups stays an index read (F-AD-3 at 1M cases): the member's
cases are found through `ix_cases_handler_updated` and `ix_cases_handler_group`, never by
reading the table. Checked with EXPLAIN on the statements a real list request runs."""

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import event, insert, text

from arende_contracts.access import Actor, Grant
from case_service.models import Case

pytestmark = pytest.mark.asyncio(loop_scope="session")

T0 = datetime(2025, 1, 1, tzinfo=UTC)
ROWS = 6000


async def test_mine_with_groups_reads_the_indexes(
    case_app: Any, case_client: httpx.AsyncClient
) -> None:
    token = uuid.uuid4().hex[:6]
    org = f"plan-{token}"
    assert (
        await case_client.post("/internal/organizations", json={"code": org, "name": "Plan"})
    ).status_code == 201
    response = await case_client.post(
        "/internal/case-types", json={"code": f"plan-{token}", "name": "Plan", "organization": org}
    )
    case_type_id = response.json()["id"]
    rng = random.Random(8)
    rows = []
    for n in range(ROWS):
        handler = group = None
        if n % 300 == 0:
            group = f"mine-{token}"
        elif n % 7 == 0:
            group = f"other-{rng.randrange(40)}-{token}"
        elif n % 250 == 1:
            handler = f"kalle-{token}"
        elif n % 3:
            handler = f"h{rng.randrange(200)}"
        rows.append(
            {
                "submission_id": uuid.uuid4(),
                "case_type_id": case_type_id,
                "status": "assigned" if handler or group else "submitted",
                "title": "Plan",
                "handler": handler,
                "handler_group": group,
                "submitter_kind": "anonymous",
                "form": [],
                "submitted_at": T0 + timedelta(minutes=n),
                "updated_at": T0 + timedelta(minutes=n),
            }
        )
    sessions = case_app.state.runtime.sessions
    async with sessions() as session, session.begin():
        await session.execute(insert(Case), rows)
        await session.execute(text("ANALYZE cases"))

    engine = sessions.kw["bind"]
    statements: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "FROM cases" in statement and "handler_group" in statement:
            statements.append((statement, parameters))

    actor = Actor(
        username=f"kalle-{token}",
        grants=[Grant(organization=org, role="handler")],
        groups=[f"mine-{token}"],
    )
    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    try:
        response = await case_client.get(
            "/internal/cases",
            params={"view": "mine", "limit": 50},
            headers={"x-actor": actor.model_dump_json()},
        )
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", capture)
    assert response.status_code == 200, response.text
    page = response.json()
    expected = sum(
        1 for r in rows if r["handler"] == actor.username or r["handler_group"] == f"mine-{token}"
    )
    assert page["total"] == expected and len(page["items"]) == expected

    listed = [s for s in statements if "handler_groups" in s[0] or "ANY" in s[0]]
    assert listed, statements
    async with engine.connect() as conn:
        for statement, parameters in listed:
            raw = await conn.get_raw_connection()
            plan = "\n".join(
                row[0]
                for row in await raw.driver_connection.fetch(
                    f"EXPLAIN {statement}", *(parameters or ())
                )
            )
            assert "Seq Scan on cases" not in plan, plan
            assert "ix_cases_handler_group" in plan, plan
            assert "ix_cases_handler_updated" in plan, plan
            print(plan)
