"""Retention at scale: one real run archives and purges N cases while the case list is in use.

Setup: case-service and retention-service as processes on a vhost and database prefix of their
own. The case type `gallras` (archive after 180 days, purge after 730, with a retention
decision) gets N cases last updated three years ago — each with a form holding its
personnummer, a timeline event and an access-log row — loaded with COPY; `aktiv` gets
`--fresh` cases of today that the run leaves alone. Then, while `--readers` clients read the
first page of "Alla ärenden" from case-service one request after the other, one real run is
started (`POST /internal/runs` on retention-service, as the gateway does for an administrator).

Two shapes of the N cases (`--shape`):
- `both` (the first run after go-live, or after a long stop): all N last updated three years
  ago and not archived, so due for archiving and purging at once; the run purges them
  directly (docs/decisions/0008-retention.md).
- `steady` (a night of a system in use): N/2 archived long ago, due for purging, and N/2
  closed 200 days ago, due for archiving only.

Measured: the run's wall time (request → answer; purge batches, then archive batches, of
RETENTION_BATCH_SIZE), the list's latency before and during the run (p50, p95, max), and how
long case-service's outbox takes to publish the messages the run staged (CasePurged or
CaseArchived and one case.withdrawn per case) after the run answered.

    uv run python bench/retention.py                     # 100,000 cases, due for both
    uv run python bench/retention.py --shape steady      # 50,000 archived + 50,000 purged
    uv run python bench/retention.py --count 20000 --set RETENTION_BATCH_SIZE=2000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import (
    BenchEnv,
    CpuMeter,
    Service,
    append_result,
    checkpoint,
    free_port,
    isolated_env,
    percentile,
    print_table,
    venv_script,
)

TOKEN = "bench"
ACTOR = json.dumps({"username": "bench", "superuser": True})
HEADERS = {"x-internal-token": TOKEN, "x-actor": ACTOR}
DECISION = "KS 2024-123 Dokumenthanteringsplan"


def personal_number(serial: int) -> str:
    """A valid 12-digit personnummer (Luhn), distinct for each serial below 10,000,000."""
    day = datetime(1940, 1, 1) + timedelta(days=serial // 900)
    base = f"{day:%y%m%d}{100 + serial % 900:03d}"
    total = 0
    for i, digit in enumerate(base):
        value = int(digit) * (2 if i % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return f"{day.year // 100}{base}{(10 - total % 10) % 10}"


def children(pid: int) -> list[int]:
    """Child processes of `pid` (a service's outbox relay, its PDF worker)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(c) for c in f.read().split()]
    except FileNotFoundError:
        return []


def service(name: str, env: BenchEnv, port: int, extra: dict[str, str]) -> Service:
    return Service(
        name,
        [venv_script(name)],
        {
            "RABBITMQ_URL": env.rabbitmq_url,
            "DATABASE_URL": env.database_url,
            "INTERNAL_API_TOKEN": TOKEN,
            "LOG_LEVEL": "WARNING",
            "CASE_SERVICE_PORT": str(port if name == "case-service" else extra["_case_port"]),
            "RETENTION_SERVICE_PORT": str(port),
            "RETENTION_SCHEDULE": "",
            **{k: v for k, v in extra.items() if not k.startswith("_")},
        },
        port,
    )


async def setup_case_types(http: httpx.AsyncClient) -> None:
    org = {"code": "socialtjansten", "name": "Socialtjänsten"}
    (await http.post("/internal/organizations", json=org)).raise_for_status()
    for code, settings in (
        ("gallras", {"retention_decision": DECISION}),
        ("aktiv", {"retention_decision": DECISION}),
    ):
        body = {"code": code, "name": f"Ärendetyp {code}", "organization": org["code"], **settings}
        (await http.post("/internal/case-types", json=body)).raise_for_status()


async def load_cases(dsn: str, count: int, fresh: int, shape: str) -> float:
    """COPY the cases, then one timeline event and one access-log row per case."""
    started = time.monotonic()
    conn = await asyncpg.connect(dsn)
    try:
        types = dict(await conn.fetch("SELECT code, id FROM case_types"))
        now = datetime.now(UTC)
        old = now - timedelta(days=3 * 365)

        def rows(case_type: int, start: int, n: int, at: datetime, status: str) -> Any:
            for serial in range(start, start + n):
                number = personal_number(serial)
                form = [
                    {
                        "section": "Person- och kontaktuppgifter",
                        "fields": [
                            {"key": "personnummer", "label": "Personnummer", "value": number},
                            {"key": "fornamn", "label": "Förnamn", "value": f"Person {serial}"},
                        ],
                    }
                ]
                yield (
                    uuid.uuid4(),
                    case_type,
                    status,
                    "Ansökan",
                    "citizen",
                    number,
                    f"Person {serial}",
                    f"person{serial}@example.se",
                    json.dumps(form),
                    at,
                    at,
                    at,
                )

        columns = [
            "submission_id",
            "case_type_id",
            "status",
            "title",
            "submitter_kind",
            "submitter_personal_number",
            "submitter_name",
            "submitter_email",
            "form",
            "submitted_at",
            "created_at",
            "updated_at",
        ]
        if shape == "both":
            parts = [(types["gallras"], 0, count, old, "closed")]
        else:
            half = count // 2
            parts = [
                (types["gallras"], 0, half, old, "archived"),
                (types["gallras"], half, count - half, now - timedelta(days=200), "closed"),
            ]
        for part in [*parts, (types["aktiv"], count, fresh, now, "submitted")]:
            await conn.copy_records_to_table("cases", records=rows(*part), columns=columns)
        await conn.execute(
            "INSERT INTO case_events (case_id, internal, kind, status, title, created_at)"
            " SELECT id, false, 'submitted', 'submitted', 'Inskickad', submitted_at FROM cases"
        )
        await conn.execute(
            "INSERT INTO access_log (actor, case_id, action, at)"
            " SELECT 'handlaggare1', id, 'read', updated_at FROM cases"
        )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return time.monotonic() - started


async def read_list(
    http: httpx.AsyncClient,
    stop: asyncio.Event,
    latencies: list[float],
    errors: list[str],
    rate: float = 0.0,
) -> None:
    """One caseworker reading the first page of Alla ärenden again and again; with `rate`,
    at most that many requests a second (a person's pace), else back to back."""
    while not stop.is_set():
        if rate and latencies:
            await asyncio.sleep(max(0.0, 1 / rate - latencies[-1] / 1000))
        started = time.perf_counter()
        try:
            response = await http.get("/internal/cases", params={"view": "all", "limit": 25})
            if response.status_code != 200:
                errors.append(str(response.status_code))
        except httpx.HTTPError as exc:
            errors.append(repr(exc)[:100])
        latencies.append((time.perf_counter() - started) * 1000)


def summary(latencies: list[float]) -> dict[str, float]:
    return {
        "requests": len(latencies),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "max_ms": round(max(latencies), 1) if latencies else 0.0,
    }


async def outbox_backlog(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM outbox"))
    finally:
        await conn.close()


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    overrides = dict(kv.split("=", 1) for kv in args.set)
    with isolated_env("retention") as env:
        case_port, retention_port = free_port(), free_port()
        case = service("case-service", env, case_port, {})
        retention = service(
            "retention-service", env, retention_port, {"_case_port": str(case_port), **overrides}
        )
        case.start()
        try:
            await case.wait_ready()
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{case_port}", headers=HEADERS, timeout=60
            ) as http:
                await setup_case_types(http)
                load_s = await load_cases(env.dsn("case"), args.count, args.fresh, args.shape)
                print(f"loaded {args.count:,} + {args.fresh:,} cases in {load_s:.1f}s")
                retention.start()
                await retention.wait_ready()
                await checkpoint()

                stop = asyncio.Event()
                before: list[float] = []
                errors: list[str] = []
                readers = [
                    asyncio.create_task(read_list(http, stop, before, errors, args.rate))
                    for _ in range(args.readers)
                ]
                await asyncio.sleep(args.warmup)
                stop.set()
                await asyncio.gather(*readers)

                stop = asyncio.Event()
                during: list[float] = []
                readers = [
                    asyncio.create_task(read_list(http, stop, during, errors, args.rate))
                    for _ in range(args.readers)
                ]
                parts = {
                    "case-service": [case.pid],
                    "relays": [*children(case.pid), *children(retention.pid)],
                    "retention-service": [retention.pid],
                }
                meters = {name: CpuMeter(pids) for name, pids in parts.items()}
                for meter in meters.values():
                    meter.start()
                async with httpx.AsyncClient(
                    base_url=f"http://127.0.0.1:{retention_port}",
                    headers={"x-internal-token": TOKEN},
                    timeout=1800,
                ) as control:
                    started = time.monotonic()
                    answer = await control.post("/internal/runs", json={"dry_run": False})
                    run_s = time.monotonic() - started
                cores = {name: meter.stop() for name, meter in meters.items()}
                stop.set()
                await asyncio.gather(*readers)
                answer.raise_for_status()
                run = answer.json()
                drained_at = None
                backlog = await outbox_backlog(env.dsn("case"))
                while backlog and time.monotonic() - started < run_s + args.drain_timeout:
                    await asyncio.sleep(1)
                    backlog = await outbox_backlog(env.dsn("case"))
                drained_at = time.monotonic() - started if not backlog else None
                remaining = await asyncpg.connect(env.dsn("case"))
                try:
                    left = await remaining.fetchval(
                        "SELECT count(*) FROM cases c JOIN case_types t ON t.id = c.case_type_id"
                        " WHERE t.code = 'gallras' AND c.status <> 'archived'"
                    )
                    fresh_left = await remaining.fetchval("SELECT count(*) FROM cases")
                finally:
                    await remaining.close()
        finally:
            retention.stop()
            case.stop()
    result = {
        "shape": args.shape,
        "count": args.count,
        "fresh": args.fresh,
        "batch_size": int(overrides.get("RETENTION_BATCH_SIZE", 1000)),
        "run_s": round(run_s, 1),
        "archived": run["archived"],
        "purged": run["purged"],
        # Cases that left the list (archived, purged or both) per second.
        "cases_per_s": round(args.count / run_s),
        "left_gallras": left,
        "left_total": fresh_left,
        "outbox_drained_s": round(drained_at, 1) if drained_at else None,
        "list_before": summary(before),
        "list_during": summary(during),
        "list_errors": len(errors),
        # Average cores used during the run (2.0 = the whole machine); "other" is what none of
        # the listed parts used (other programs), so the relays and retention-service are
        # taken out of the case-service meter's remainder.
        "cores": {
            **{k: v for k, v in cores["case-service"].items() if k != "process"},
            **{name: c["process"] for name, c in cores.items()},
            "other": round(
                max(
                    cores["case-service"]["other"]
                    - cores["relays"]["process"]
                    - cores["retention-service"]["process"],
                    0.0,
                ),
                2,
            ),
        },
        "readers": args.readers,
        "rate_per_reader": args.rate,
    }
    return result


def _triple(s: dict[str, float]) -> str:
    return f"{s['p50_ms']} / {s['p95_ms']} / {s['max_ms']}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--shape", choices=("both", "steady"), default="both")
    parser.add_argument("--fresh", type=int, default=20_000)
    parser.add_argument("--readers", type=int, default=2)
    parser.add_argument(
        "--rate", type=float, default=0.0, help="requests/s per reader (0: back to back)"
    )
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--drain-timeout", type=float, default=300.0)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    result = asyncio.run(main_async(args))
    rows = [
        {
            "what": "cases archived + purged",
            "value": f"{result['archived']:,} + {result['purged']:,}",
        },
        {"what": "run wall time (s)", "value": result["run_s"]},
        {"what": "cases/s", "value": result["cases_per_s"]},
        {"what": "outbox drained after (s)", "value": result["outbox_drained_s"]},
        {"what": "list p50/p95/max before (ms)", "value": _triple(result["list_before"])},
        {"what": "list p50/p95/max during (ms)", "value": _triple(result["list_during"])},
        {"what": "list requests during", "value": result["list_during"]["requests"]},
        {"what": "list errors", "value": result["list_errors"]},
        {
            "what": "cores during the run",
            "value": ", ".join(f"{k} {v}" for k, v in result["cores"].items()),
        },
    ]
    print_table(rows, [("what", "what"), ("value", "value")])
    append_result("retention", result)


if __name__ == "__main__":
    main()
