"""Retention (gallring) across the services, over the real broker and databases (F-RT-1..3).

Five service processes of this module's own. The tests prove: a dry run lists exactly what the
real run then does and changes nothing; legal holds and missing retention decisions stop a
purge; after the purge the personnummer is in no table of any service's database (every text,
json and bytea column, outbox and inbox included); the citizen portal is told to withdraw the
cases; a run whose process is killed mid-way is resumed at restart with correct counts; and
resident records (expired shares, the resident audit) are purged after their days.
"""

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aio_pika
import asyncpg
import httpx
import pytest
import pytest_asyncio

from arende_contracts.external import EXCHANGE_ESERVICE, ROUTING_SUBMISSION_CREATED
from arende_platform.testing import (
    SERVER,
    TestEnvironment,
    drain,
    eventually,
    isolated_environment,
    sample_submission,
)

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.slow]

SERVICES = [
    "case-service",
    "notification-service",
    "report-service",
    "retention-service",
    "gateway",
]
BIN = Path(sys.executable).parent
ADMIN, PASSWORD = "admin", "bootstrap-losenord-1"
TOKEN = {"x-internal-token": "test-internal-token"}
DECISION = "KS 2024-123 Dokumenthanteringsplan, gallras efter 2 år"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def personal_number(serial: int) -> str:
    """A valid 12-digit personnummer (Luhn over the last ten digits), distinct per serial."""
    year, rest = 1940 + serial // 9000, serial % 9000
    month, day, number = 1 + rest // 750, 1 + (rest % 750) // 30, 100 + rest % 30 * 10
    base = f"{year % 100:02d}{month:02d}{day:02d}{number:03d}"
    total = 0
    for i, digit in enumerate(base):
        value = int(digit) * (2 if i % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return f"{year // 100}{base}{(10 - total % 10) % 10}"


class Installation:
    """The five services as processes; retention-service can be killed and started again."""

    def __init__(self, env: TestEnvironment, logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.ports = {service: _free_port() for service in SERVICES}
        self.environ = {
            **os.environ,
            **env.environ(
                GATEWAY_PORT=str(self.ports["gateway"]),
                CASE_SERVICE_PORT=str(self.ports["case-service"]),
                NOTIFICATION_SERVICE_PORT=str(self.ports["notification-service"]),
                REPORT_SERVICE_PORT=str(self.ports["report-service"]),
                RETENTION_SERVICE_PORT=str(self.ports["retention-service"]),
                BOOTSTRAP_ADMIN_USER=ADMIN,
                BOOTSTRAP_ADMIN_PASSWORD=PASSWORD,
                RETENTION_SCHEDULE="",
                RETENTION_BATCH_SIZE="40",
                RESIDENT_RECORD_RETENTION_DAYS="30",
            ),
        }
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def start(self, service: str) -> None:
        with (self.logs / f"{service}.log").open("ab") as log:
            self.processes[service] = subprocess.Popen(
                [str(BIN / service)],
                env=self.environ,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    async def ready(self, service: str) -> None:
        async with httpx.AsyncClient(timeout=5) as client:

            async def up() -> bool:
                if self.processes[service].poll() is not None:
                    tail = (self.logs / f"{service}.log").read_text()[-3000:]
                    raise AssertionError(f"{service} exited:\n{tail}")
                try:
                    return (await client.get(f"{self.url(service)}/readyz")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(up, timeout=90, interval=0.2)

    def kill(self, service: str) -> None:
        """kill -9 of the service's own process (by its pid)."""
        process = self.processes[service]
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=20)

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def retention_env() -> Iterator[TestEnvironment]:
    with isolated_environment() as env:
        yield env


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def installation(
    retention_env: TestEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Installation]:
    inst = Installation(retention_env, tmp_path_factory.mktemp("retention-logs"))
    try:
        for service in SERVICES:
            inst.start(service)
        for service in SERVICES:
            await inst.ready(service)
        yield inst
    finally:
        inst.stop()


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def api(installation: Installation) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=installation.url("gateway"), timeout=120) as client:
        token = await client.post("/api/v1/token", data={"username": ADMIN, "password": PASSWORD})
        assert token.status_code == 200, token.text
        client.headers["authorization"] = f"Bearer {token.json()['access_token']}"
        org = {"code": "socialtjansten", "name": "Socialtjänsten"}
        assert (await client.post("/api/v1/admin/organizations", json=org)).status_code == 201
        yield client


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def broker(retention_env: TestEnvironment) -> AsyncIterator[aio_pika.abc.AbstractConnection]:
    connection = await aio_pika.connect_robust(retention_env.rabbitmq_url)
    try:
        yield connection
    finally:
        await connection.close()


async def create_case_type(api: httpx.AsyncClient, code: str, **settings: Any) -> None:
    body = {"code": code, "name": f"Ärendetyp {code}", "organization": "socialtjansten", **settings}
    response = await api.post("/api/v1/admin/case-types", json=body)
    assert response.status_code == 201, response.text


async def submit(
    broker: aio_pika.abc.AbstractConnection, api: httpx.AsyncClient, case_type: str, serials: range
) -> dict[int, str]:
    """Submit one case per serial like an e-service; answer case id -> personnummer."""
    numbers = {personal_number(s) for s in serials}
    assert len(numbers) == len(serials)
    channel = await broker.channel(publisher_confirms=True)
    exchange = await channel.get_exchange(EXCHANGE_ESERVICE, ensure=False)
    for serial in serials:
        body = sample_submission(case_type=case_type)
        body["submitter"]["personal_number"] = personal_number(serial)
        body["submitter"]["email"] = f"person{serial}@example.se"
        body["form"][0]["fields"].append(
            {"key": "personnummer", "label": "Personnummer", "value": personal_number(serial)}
        )
        await exchange.publish(
            aio_pika.Message(
                json.dumps(body).encode(),
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key=ROUTING_SUBMISSION_CREATED,
        )
    await channel.close()

    async def all_there() -> dict[int, str] | None:
        found: dict[int, str] = {}
        cursor = None
        while True:
            params = {"view": "all", "case_type": case_type, "limit": 200, "cursor": cursor}
            page = (
                await api.get("/api/v1/cases", params={k: v for k, v in params.items() if v})
            ).json()
            for item in page["items"]:
                found[item["id"]] = item["submitter"]["personal_number"]
            cursor = page.get("next_cursor")
            if not cursor:
                break
        return found if len(found) == len(serials) else None

    return await eventually(all_there, timeout=60, interval=0.5)  # type: ignore[no-any-return]


async def service_databases(env: TestEnvironment) -> list[str]:
    conn = await asyncpg.connect(f"{SERVER}/postgres")
    try:
        rows = await conn.fetch(
            "SELECT datname FROM pg_database WHERE datname LIKE $1", f"{env.db_prefix}\\_%"
        )
    finally:
        await conn.close()
    return sorted(r["datname"] for r in rows)


async def find_traces(env: TestEnvironment, needles: list[str]) -> dict[str, set[str]]:
    """Where any needle occurs: every text-like, json and bytea column of every table of every
    service database. Answers needle -> {"db.table.column"}."""
    found: dict[str, set[str]] = {}
    for database in await service_databases(env):
        conn = await asyncpg.connect(f"{SERVER}/{database}")
        try:
            columns = await conn.fetch(
                """
                SELECT c.table_name, c.column_name, c.data_type
                FROM information_schema.columns c
                JOIN information_schema.tables t
                  ON t.table_schema = c.table_schema AND t.table_name = c.table_name
                WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
                  AND c.data_type IN ('text', 'character varying', 'character', 'json',
                                      'jsonb', 'bytea', 'tsvector', 'ARRAY', 'USER-DEFINED')
                """
            )
            for col in columns:
                table, column = col["table_name"], col["column_name"]
                if col["data_type"] == "bytea":
                    match = f"position(convert_to(p.needle, 'UTF8') in t.\"{column}\") > 0"
                else:
                    match = f"t.\"{column}\"::text LIKE '%' || p.needle || '%'"
                rows = await conn.fetch(
                    f'SELECT DISTINCT p.needle FROM "{table}" t, unnest($1::text[]) AS p(needle)'
                    f" WHERE {match}",
                    needles,
                )
                for row in rows:
                    found.setdefault(row["needle"], set()).add(f"{database}.{table}.{column}")
        finally:
            await conn.close()
    return found


async def outboxes_empty(env: TestEnvironment) -> bool:
    for database in await service_databases(env):
        conn = await asyncpg.connect(f"{SERVER}/{database}")
        try:
            exists = await conn.fetchval("SELECT to_regclass('outbox') IS NOT NULL")
            if exists and await conn.fetchval("SELECT count(*) FROM outbox"):
                return False
        finally:
            await conn.close()
    return True


def forms(numbers: list[str]) -> list[str]:
    """The ways a personnummer may be written: 12 digits, and with a dash (YYYYMMDD-NNNN)."""
    return [*numbers, *(f"{n[:8]}-{n[8:]}" for n in numbers)]


def rule(run: dict[str, Any], case_type: str) -> dict[str, Any]:
    return next(r for r in run["rules"] if r["case_type"] == case_type)


async def test_dry_run_then_archive_and_purge_across_services(
    installation: Installation,
    api: httpx.AsyncClient,
    broker: aio_pika.abc.AbstractConnection,
    retention_env: TestEnvironment,
) -> None:
    await create_case_type(
        api, "gallras", archive_days=0, purge_days=0, retention_decision=DECISION
    )
    await create_case_type(api, "utan-beslut", archive_days=0, purge_days=0)
    await create_case_type(api, "farsk")  # 180 / 730 days: nothing is due
    purged_cases = await submit(broker, api, "gallras", range(0, 12))
    refused_cases = await submit(broker, api, "utan-beslut", range(100, 102))
    fresh_cases = await submit(broker, api, "farsk", range(200, 201))
    held_id = min(purged_cases)
    held = await api.post(
        f"/api/v1/cases/{held_id}/legal-hold",
        json={"reason": "Överklagat till förvaltningsrätten"},
    )
    assert held.status_code == 200, held.text
    assert held.json()["placed_by"] == ADMIN
    numbers = sorted(purged_cases.values())
    assert set(await find_traces(retention_env, forms(numbers))) >= set(numbers)  # scan works

    async def statistics() -> dict[str, dict[str, int]]:
        rows = (await api.get("/api/v1/statistics")).json()["rows"]
        return {r["case_type"]: r for r in rows}

    async def counted(expected: dict[str, dict[str, int]]) -> bool:
        stats = await statistics()
        return all(
            all(stats.get(t, {}).get(k) == v for k, v in counts.items())
            for t, counts in expected.items()
        )

    before = {
        "gallras": {"submitted": 12, "total": 12},
        "utan-beslut": {"submitted": 2, "total": 2},
    }
    await eventually(lambda: counted(before), timeout=30, interval=0.3)

    dry = await api.post("/api/v1/admin/retention/run", json={"dry_run": True})
    assert dry.status_code == 200, dry.text
    dry_run = dry.json()
    assert dry_run["dry_run"] is True and dry_run["status"] == "succeeded"
    expected_archive = sorted([*purged_cases, *refused_cases])
    expected_purge = sorted(i for i in purged_cases if i != held_id)
    assert dry_run["cases"] == {
        "archive": expected_archive,
        "purge": expected_purge,
        "held": [held_id],
        "refused": sorted(refused_cases),
    }
    assert (dry_run["archived"], dry_run["purged"], dry_run["held"], dry_run["refused"]) == (
        14,
        11,
        1,
        2,
    )
    assert rule(dry_run, "gallras")["retention_decision"] == DECISION
    # The dry run changed nothing.
    page = (await api.get("/api/v1/cases", params={"view": "archived"})).json()
    assert page["total"] == 0
    assert (await api.get(f"/api/v1/cases/{max(purged_cases)}")).status_code == 200

    real = await api.post("/api/v1/admin/retention/run", json={"dry_run": False})
    assert real.status_code == 200, real.text
    run = real.json()
    assert run["dry_run"] is False and run["status"] == "succeeded"
    assert run["cases"] == dry_run["cases"]
    for count in ("archived", "purged", "held", "refused", "skipped"):
        assert run[count] == dry_run[count], count
        for case_type in ("gallras", "utan-beslut", "farsk"):
            assert rule(run, case_type)[count] == rule(dry_run, case_type)[count]

    # Archived and kept: the held case and the cases without a retention decision.
    archived = (await api.get("/api/v1/cases", params={"view": "archived"})).json()
    assert sorted(i["id"] for i in archived["items"]) == sorted([held_id, *refused_cases])
    refused = await api.post(f"/api/v1/cases/{held_id}/close", json={"notify": False})
    assert refused.status_code == 409  # archived: read-only
    for case_id in expected_purge:
        assert (await api.get(f"/api/v1/cases/{case_id}")).status_code == 404
    assert (await api.get(f"/api/v1/cases/{next(iter(fresh_cases))}")).status_code == 200

    # A second run finds nothing more to do; the hold still stands.
    again = (await api.post("/api/v1/admin/retention/run", json={"dry_run": False})).json()
    assert (again["archived"], again["purged"], again["held"], again["refused"]) == (0, 0, 1, 2)

    # Lifting the hold lets the next run purge the case.
    assert (await api.delete(f"/api/v1/cases/{held_id}/legal-hold")).status_code == 204
    last = (await api.post("/api/v1/admin/retention/run", json={"dry_run": False})).json()
    assert last["cases"]["purge"] == [held_id]

    # Every service has published what it had to (outboxes empty) and confirmed the purges.
    await eventually(lambda: outboxes_empty(retention_env), timeout=60, interval=0.5)
    runs = (await api.get("/api/v1/admin/retention/runs")).json()
    assert [r["dry_run"] for r in runs[:4]] == [False, False, False, True]

    async def confirmed() -> bool:
        log = {r["id"]: r for r in (await api.get("/api/v1/admin/retention/runs")).json()}
        return all(
            set(log[r["id"]]["confirmations"].values()) == {r["purged"]}
            and len(log[r["id"]]["confirmations"]) == 3
            for r in (run, last)
        )

    await eventually(confirmed, timeout=60, interval=0.5)
    # Statistics count the same cases before and after: purged ones as Gallrad (F-RE-4).
    after = {
        "gallras": {"purged": 12, "total": 12},
        "utan-beslut": {"archived": 2, "total": 2},
        "farsk": {"submitted": 1, "total": 1},
    }
    await eventually(lambda: counted(after), timeout=30, interval=0.3)
    assert await find_traces(retention_env, forms(numbers)) == {}

    # The citizen portal was told once per step: the cases due for both were purged directly
    # (withdrawn once); the held case was archived, then purged by the last run.
    messages = await drain(broker, "eservice.public.mina-sidor", expect=10_000, timeout=3)
    withdrawn: dict[int, set[str]] = {}
    for message in messages:
        if message.routing_key == "case.withdrawn":
            body = json.loads(message.body)
            assert set(body) == {"submission_id", "case_id", "reason", "occurred_at"}
            withdrawn.setdefault(body["case_id"], set()).add(body["reason"])
    for case_id in purged_cases:
        assert withdrawn[case_id] == ({"archived", "purged"} if case_id == held_id else {"purged"})
    for case_id in refused_cases:
        assert withdrawn[case_id] == {"archived"}

    # The agreed metrics (alerts are written against these names).
    async with httpx.AsyncClient(base_url=installation.url("retention-service")) as client:
        metrics = (await client.get("/metrics")).text
    values = {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("retention_")
    }
    assert values["retention_archived_total"] == 14
    assert values["retention_purged_total"] == 12
    assert values['retention_runs_total{dry_run="true",outcome="succeeded"}'] == 1
    assert values['retention_runs_total{dry_run="false",outcome="succeeded"}'] == 3
    assert values["retention_run_duration_seconds_count"] == 4
    assert values["retention_last_success_timestamp_seconds"] > 0


async def test_only_administrators_run_retention_or_place_holds(
    installation: Installation, api: httpx.AsyncClient
) -> None:
    user = {
        "username": "handlaggare1",
        "name": "Hanna Handläggare",
        "password": "ett-langt-losenord-1",
        "grants": [{"organization": "socialtjansten", "role": "handler"}],
    }
    assert (await api.post("/api/v1/admin/users", json=user)).status_code == 201
    async with httpx.AsyncClient(base_url=installation.url("gateway"), timeout=30) as other:
        token = await other.post(
            "/api/v1/token", data={"username": user["username"], "password": user["password"]}
        )
        other.headers["authorization"] = f"Bearer {token.json()['access_token']}"
        denied = await other.post("/api/v1/admin/retention/run", json={"dry_run": True})
        assert denied.status_code == 403
        assert denied.json()["detail"] == "Administratörsbehörighet krävs"
        assert (await other.get("/api/v1/admin/retention/runs")).status_code == 403


async def test_a_run_killed_mid_way_is_resumed_at_restart_with_correct_counts(
    installation: Installation,
    api: httpx.AsyncClient,
    broker: aio_pika.abc.AbstractConnection,
    retention_env: TestEnvironment,
) -> None:
    await create_case_type(
        api, "massgallring", archive_days=0, purge_days=0, retention_decision=DECISION
    )
    cases = await submit(broker, api, "massgallring", range(1000, 1600))
    database = f"{retention_env.db_prefix}_retention"

    async def progress() -> tuple[int, int]:
        conn = await asyncpg.connect(f"{SERVER}/{database}")
        try:
            row = await conn.fetchrow(
                "SELECT count(*) FILTER (WHERE outcome IS NOT NULL) AS done, count(*) AS total"
                " FROM run_items"
            )
            return int(row["done"]), int(row["total"])
        finally:
            await conn.close()

    async with httpx.AsyncClient(
        base_url=installation.url("retention-service"), headers=TOKEN, timeout=120
    ) as client:
        started = asyncio.create_task(client.post("/internal/runs", json={"dry_run": False}))

        async def mid_way() -> bool:
            done, total = await progress()
            return total > 0 and 200 <= done < total - 200

        await eventually(mid_way, timeout=60, interval=0.02)
        installation.kill("retention-service")
        with pytest.raises(httpx.TransportError):
            await started
        done, total = await progress()
        assert 0 < done < total

        # While it is down, nothing else runs; started again, it finishes the run by itself.
        installation.start("retention-service")
        await installation.ready("retention-service")

        async def finished() -> dict[str, Any] | None:
            runs = (await client.get("/internal/runs")).json()
            newest = runs[0]
            return newest if newest["status"] != "running" else None

        run = await eventually(finished, timeout=120, interval=0.5)
    assert run["status"] == "succeeded"
    mass = rule(run, "massgallring")
    assert (mass["archived"], mass["purged"], mass["skipped"]) == (len(cases), len(cases), 0)
    assert await progress() == (0, 0)  # the plan is forgotten once the run is logged
    async with httpx.AsyncClient(base_url=installation.url("retention-service")) as client:
        metrics = (await client.get("/metrics")).text
    # The restarted process counts what it did itself; its last success is the resumed run.
    assert "retention_last_success_timestamp_seconds 0.0" not in metrics
    for case_id in list(cases)[:5]:
        assert (await api.get(f"/api/v1/cases/{case_id}")).status_code == 404
    listed = (
        await api.get("/api/v1/cases", params={"view": "all", "case_type": "massgallring"})
    ).json()
    assert listed["total"] == 0


async def test_two_runs_never_overlap(
    installation: Installation, retention_env: TestEnvironment
) -> None:
    """While one run holds the lock, a second is refused with 409 (not run twice)."""
    conn = await asyncpg.connect(f"{SERVER}/{retention_env.db_prefix}_retention")
    try:
        assert await conn.fetchval("SELECT pg_try_advisory_lock(7265746001)")
        async with httpx.AsyncClient(base_url=installation.url("gateway"), timeout=30) as client:
            token = await client.post(
                "/api/v1/token", data={"username": ADMIN, "password": PASSWORD}
            )
            client.headers["authorization"] = f"Bearer {token.json()['access_token']}"
            busy = await client.post("/api/v1/admin/retention/run", json={"dry_run": True})
        assert busy.status_code == 409
        assert "pågår redan" in busy.json()["detail"]
    finally:
        await conn.close()


async def test_administrators_see_the_run_log_on_the_gallring_page(
    installation: Installation, api: httpx.AsyncClient
) -> None:
    """The page lists runs with Swedish labels; "Provkör gallring" starts a dry run."""
    async with httpx.AsyncClient(base_url=installation.url("gateway"), timeout=120) as web:
        form = await web.get("/logga-in")
        token = form.cookies.get("arende_login_csrf") or web.cookies.get("arende_login_csrf")
        login = await web.post(
            "/logga-in",
            data={"username": ADMIN, "password": PASSWORD, "csrf_token": token, "next": "/"},
        )
        assert login.status_code == 303, login.text
        page = await web.get("/administration/gallring")
        assert page.status_code == 200
        for label in ("Gallring", "Körningar", "Arkiverade", "Gallrade", "Kvarhållna"):
            assert label in page.text
        csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        runs_before = len((await api.get("/api/v1/admin/retention/runs")).json())
        started = await web.post(
            "/administration/gallring", data={"csrf_token": csrf, "mode": "dry"}
        )
        assert started.status_code == 303
        after = (await web.get(started.headers["location"])).text
        assert "Körningen är klar." in after and "Provkörning" in after
        runs = (await api.get("/api/v1/admin/retention/runs")).json()
        assert len(runs) == runs_before + 1 and runs[0]["dry_run"] is True
        assert runs[0]["requested_by"] == ADMIN
        forged = await web.post(
            "/administration/gallring", data={"csrf_token": "fel", "mode": "real"}
        )
        assert forged.status_code == 403


async def test_expired_shares_and_old_resident_audit_are_purged_after_their_days(
    installation: Installation, api: httpx.AsyncClient, retention_env: TestEnvironment
) -> None:
    """RESIDENT_RECORD_RETENTION_DAYS is 30 here: a share that ran out 40 days ago and audit
    entries written 40 days ago go; a share that ran out 5 days ago, one until further notice,
    an approval and fresh entries stay. The dry run counts the same without deleting."""
    await create_case_type(api, "begransad", restricted=True)
    gone, recent, open_ended, approved = (personal_number(s) for s in range(3000, 3004))
    shares = {}
    for number in (gone, recent, open_ended):
        body = {
            "organization": "socialtjansten",
            "personal_number": number,
            "case_type": "begransad",
            "until": None if number == open_ended else "2099-12-31",
        }
        response = await api.post("/api/v1/admin/residents/shares", json=body)
        assert response.status_code == 201, response.text
        shares[number] = response.json()["id"]
    approval = await api.post(
        "/api/v1/admin/residents",
        json={"organization": "socialtjansten", "personal_number": approved},
    )
    assert approval.status_code == 201, approval.text

    case_db = f"{SERVER}/{retention_env.db_prefix}_case"
    conn = await asyncpg.connect(case_db)
    try:
        today = "(now() AT TIME ZONE 'Europe/Stockholm')::date"
        await conn.execute(
            f"UPDATE resident_shares SET until = {today} - 40 WHERE id = $1", shares[gone]
        )
        await conn.execute(
            f"UPDATE resident_shares SET until = {today} - 5 WHERE id = $1", shares[recent]
        )
        await conn.execute(
            "UPDATE resident_audit SET at = now() - interval '40 days'"
            " WHERE personal_number = ANY($1::text[])",
            [gone, approved],
        )
    finally:
        await conn.close()

    async def records() -> dict[str, Any]:
        conn = await asyncpg.connect(case_db)
        try:
            return {
                "shares": {
                    r["personal_number"]
                    for r in await conn.fetch("SELECT personal_number FROM resident_shares")
                },
                "audit": [
                    (r["personal_number"], r["action"])
                    for r in await conn.fetch(
                        "SELECT personal_number, action FROM resident_audit ORDER BY id"
                    )
                ],
                "approvals": {
                    r["personal_number"]
                    for r in await conn.fetch("SELECT personal_number FROM resident_approvals")
                },
            }
        finally:
            await conn.close()

    before = await records()
    dry = (await api.post("/api/v1/admin/retention/run", json={"dry_run": True})).json()
    assert dry["status"] == "succeeded", dry
    assert (dry["resident_shares_purged"], dry["resident_audit_purged"]) == (1, 2)
    assert dry["resident_record_days"] == 30
    assert await records() == before  # the dry run deleted nothing

    run = (await api.post("/api/v1/admin/retention/run", json={"dry_run": False})).json()
    assert run["status"] == "succeeded", run
    assert (run["resident_shares_purged"], run["resident_audit_purged"]) == (1, 2)
    after = await records()
    assert after["shares"] == {recent, open_ended}
    assert after["approvals"] == {approved}
    # The old entries are gone; the expiries are audited (now) before their shares go.
    assert [a for p, a in after["audit"] if p == gone] == ["share_expired"]
    assert [a for p, a in after["audit"] if p == approved] == []
    assert [a for p, a in after["audit"] if p == recent] == ["shared", "share_expired"]
    assert [a for p, a in after["audit"] if p == open_ended] == ["shared"]

    # Safe to repeat: nothing more is due.
    again = (await api.post("/api/v1/admin/retention/run", json={"dry_run": False})).json()
    assert (again["resident_shares_purged"], again["resident_audit_purged"]) == (0, 0)
    assert await records() == after
    logged = {r["id"]: r for r in (await api.get("/api/v1/admin/retention/runs")).json()}
    assert logged[run["id"]]["resident_shares_purged"] == 1
    assert logged[run["id"]]["resident_audit_purged"] == 2

    # The Gallring page shows the counts and the rule.
    async with httpx.AsyncClient(base_url=installation.url("gateway"), timeout=60) as web:
        form = await web.get("/logga-in")
        token = form.cookies.get("arende_login_csrf") or web.cookies.get("arende_login_csrf")
        await web.post(
            "/logga-in",
            data={"username": ADMIN, "password": PASSWORD, "csrf_token": token, "next": "/"},
        )
        page = (await web.get("/administration/gallring")).text
    assert "Utgångna delningar gallrade" in page and "Invånarloggposter gallrade" in page
    assert "gallras efter 30 dagar" in page
