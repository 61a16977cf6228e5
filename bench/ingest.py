"""Ingestion throughput end to end: N submissions → N cases committed → N CaseSubmitted published.

    uv run python bench/ingest.py --count 50000
    uv run python bench/ingest.py --count 20000 --set INTAKE_BATCH_SIZE=500 --skip-baseline

What one run does, in a vhost and a database prefix of its own (removed at the end):

1. starts case-service (`.venv/bin/case-service`) once so that it declares the broker topology
   and migrates its database, creates an organization and a case type through its internal API,
   and stops it (SIGTERM);
2. pre-publishes N distinct valid submissions (SPEC §4) to exchange `eservice`, routing key
   `submission.created`, persistent, mandatory, with publisher confirms (batches in flight) into
   `case-service.submissions`, and N copies to a scratch quorum queue for the baseline;
3. baseline: a plain aio-pika consumer (prefetch 256, manual ack) that INSERTs each message
   into a scratch table with asyncpg (autocommit) and acks it, one message after the other;
4. starts case-service again and times the backlog: from the first case's transaction
   (min(cases.created_at), i.e. excluding process start-up, imports and migrations) until
   count(cases) = N and the outbox is empty, i.e. every CaseSubmitted (and the public
   `case.event`) has been confirmed by the broker. Peak RSS is VmHWM of the service process.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import shlex
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aio_pika
import asyncpg
import httpx
from harness import (
    SERVER,
    BenchEnv,
    CpuMeter,
    Service,
    append_result,
    background_cores,
    checkpoint,
    free_port,
    isolated_env,
    peak_rss_mb,
    percentile,
    print_table,
    venv_script,
)

from arende_contracts.external import EXCHANGE_ESERVICE, ROUTING_SUBMISSION_CREATED
from arende_platform.messaging import publish_confirmed
from arende_platform.testing import sample_submission
from arende_platform.topology import PUBLIC_CASE_EVENTS, REPORT_CASE_EVENTS, SUBMISSIONS

BASELINE_QUEUE = "bench.baseline"
CASE_ID_START = 10000  # case_service.models.CASE_ID_START: ids are an identity from here
TOKEN = "bench"
ACTOR = json.dumps({"username": "bench", "superuser": True})
GOAL_RATE = 1000.0
GOAL_RATIO = 0.5


def submissions(count: int, attachment: bool) -> Iterator[tuple[str, bytes]]:
    """(submission_id, body) of `count` distinct valid submissions, as SPEC §4 shows them."""
    for i in range(count):
        body = sample_submission(
            form=[
                {
                    "section": "Person- och kontaktuppgifter",
                    "fields": [
                        {"key": "fornamn", "label": "Förnamn", "value": "Carin"},
                        {"key": "efternamn", "label": "Efternamn", "value": "Testare"},
                        {"key": "lopnummer", "label": "Löpnummer", "value": i},
                    ],
                }
            ],
        )
        if not attachment:
            body["attachments"] = []
        yield body["submission_id"], json.dumps(body, ensure_ascii=False).encode()


async def publish_backlog(
    url: str, exchange: str, routing_key: str, count: int, attachment: bool, in_flight: int
) -> float:
    """Publish `count` submissions with `in_flight` confirms outstanding; return msgs/s."""
    connection = await aio_pika.connect(url)
    try:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        target = (
            channel.default_exchange
            if exchange == ""
            else await channel.get_exchange(exchange, ensure=False)
        )
        started = time.perf_counter()
        batch: list[Any] = []
        for sid, body in submissions(count, attachment):
            message = aio_pika.Message(
                body,
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                message_id=sid,
            )
            batch.append(publish_confirmed(target, message, routing_key, timeout=60))
            if len(batch) >= in_flight:
                await asyncio.gather(*batch)
                batch = []
        await asyncio.gather(*batch)
        return count / (time.perf_counter() - started)
    finally:
        await connection.close()


async def queue_depth(url: str, queue: str) -> int:
    connection = await aio_pika.connect(url)
    try:
        channel = await connection.channel()
        declared = await channel.declare_queue(queue, passive=True)
        return int(declared.declaration_result.message_count or 0)
    finally:
        await connection.close()


async def wait_depth(url: str, queue: str, count: int, timeout: float = 30) -> int:
    """Wait until a queue reports `count` messages (quorum queues report with a short lag)."""
    deadline = time.monotonic() + timeout
    while True:
        depth = await queue_depth(url, queue)
        if depth >= count or time.monotonic() > deadline:
            return depth
        await asyncio.sleep(0.2)


# --- setup ----


def case_service(
    env: BenchEnv, port: int, overrides: dict[str, str], argv: list[str] | None = None
) -> Service:
    return Service(
        "case-service",
        argv or [venv_script("case-service")],
        {
            "RABBITMQ_URL": env.rabbitmq_url,
            "DATABASE_URL": env.database_url,
            "INTERNAL_API_TOKEN": TOKEN,
            "CASE_SERVICE_PORT": str(port),
            "LOG_LEVEL": "WARNING",
            **overrides,
        },
        port,
    )


async def setup(env: BenchEnv, port: int, overrides: dict[str, str]) -> float:
    """First start: topology, migrations, organization and case type. Returns start-up time."""
    service = case_service(env, port, overrides)
    service.start()
    try:
        ready = await service.wait_ready()
        headers = {"x-internal-token": TOKEN, "x-actor": ACTOR}
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=10
        ) as http:
            org = {"code": "bench", "name": "Benchförvaltningen"}
            response = await http.post("/internal/organizations", json=org)
            response.raise_for_status()
            case_type = {
                "code": "flexlinjen",
                "name": "Anmälan till flexlinjen",
                "organization": "bench",
            }
            response = await http.post("/internal/case-types", json=case_type)
            response.raise_for_status()
        return ready - service.started_at
    finally:
        service.stop()
        service.discard_log()


# --- baseline ----


async def declare_baseline_queue(env: BenchEnv, queue_type: str) -> None:
    connection = await aio_pika.connect(env.rabbitmq_url)
    try:
        channel = await connection.channel()
        await channel.declare_queue(
            BASELINE_QUEUE, durable=True, arguments={"x-queue-type": queue_type}
        )
    finally:
        await connection.close()
    admin = await asyncpg.connect(f"{SERVER}/postgres")
    try:
        await admin.execute(f'CREATE DATABASE "{env.db_prefix}_baseline"')
    finally:
        await admin.close()
    db = await asyncpg.connect(env.dsn("baseline"))
    try:
        await db.execute(
            "CREATE TABLE submissions (submission_id uuid PRIMARY KEY, body jsonb NOT NULL)"
        )
    finally:
        await db.close()


async def run_baseline(env: BenchEnv, count: int, timeout: float) -> dict[str, Any]:
    """aio-pika, prefetch 256, manual ack; one autocommit INSERT per message, then its ack."""
    await checkpoint()
    db = await asyncpg.connect(env.dsn("baseline"))
    connection = await aio_pika.connect(env.rabbitmq_url)
    meter = CpuMeter()  # the consumer is this process: "bench"
    done = 0
    first = 0.0
    try:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=256)
        queue = await channel.get_queue(BASELINE_QUEUE, ensure=False)
        insert = "INSERT INTO submissions (submission_id, body) VALUES ($1, $2::jsonb)"

        async def consume() -> None:
            nonlocal done, first
            async with queue.iterator() as messages:
                async for message in messages:
                    if not done:
                        first = time.time()
                        meter.start()
                    body = message.body.decode()
                    sid = uuid.UUID(json.loads(body)["submission_id"])
                    await db.execute(insert, sid, body)
                    await message.ack()
                    done += 1
                    if done >= count:
                        return

        await asyncio.wait_for(consume(), timeout)
        seconds = time.time() - first
        cpu = meter.stop()
        rows = await db.fetchval("SELECT count(*) FROM submissions")
    finally:
        await connection.close()
        await db.close()
    if rows != count:
        raise RuntimeError(f"baseline stored {rows} rows, expected {count}")
    return {"rate": count / seconds, "seconds": seconds, "cpu_cores": cpu}


# --- case-service ----


def start_py_spy(pid: int, output: Path) -> subprocess.Popen[bytes] | None:
    exe = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(exe).exists():
        print(
            "warning: py-spy not installed (uv pip install py-spy); not profiling", file=sys.stderr
        )
        return None
    return subprocess.Popen(
        [
            exe,
            "record",
            "--pid",
            str(pid),
            "--rate",
            "200",
            "--format",
            "raw",
            "--output",
            str(output),
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def run_service(
    env: BenchEnv,
    count: int,
    overrides: dict[str, str],
    commands: list[list[str]],
    timeout: float,
    stall: float,
    profile: Path | None,
) -> dict[str, Any]:
    """Let case-service (one process per command) take the backlog; time it to the last
    confirmed outbox row."""
    await checkpoint()
    db = await asyncpg.connect(env.dsn("case"))
    services = [case_service(env, free_port(), overrides, argv) for argv in commands]
    meter = CpuMeter()
    spy: subprocess.Popen[bytes] | None = None
    progress: list[tuple[float, int, int]] = []  # (time, cases, outbox backlog)
    t_first_seen = t_cases = t_done = 0.0
    ok = False
    try:
        for service in services:
            service.start()
        meter.pids = [s.pid for s in services]
        ready_tasks = [asyncio.create_task(s.wait_ready()) for s in services]
        deadline = time.monotonic() + timeout
        last_change, last_state = time.monotonic(), (-1, True)
        while True:
            for service in services:
                if service.proc is not None and service.proc.poll() is not None:
                    raise RuntimeError(f"case-service exited:\n{service.log_tail()}")
            max_id, pending, now = await db.fetchrow(
                "SELECT (SELECT max(id) FROM cases), EXISTS (SELECT 1 FROM outbox),"
                " extract(epoch FROM clock_timestamp())::float8"
            )
            cases = 0 if max_id is None else max_id - CASE_ID_START + 1
            if cases and not t_first_seen:
                t_first_seen = now
                meter.start()
                if profile is not None:
                    spy = start_py_spy(services[0].pid, profile)
            if cases >= count and not t_cases:
                cases = await db.fetchval("SELECT count(*) FROM cases")
                if cases == count:
                    t_cases = now
            if t_cases and not pending:
                t_done = now
                break
            if not progress or now - progress[-1][0] >= 1:
                backlog = await db.fetchval("SELECT count(*) FROM outbox")
                progress.append((now, cases, backlog))
            state = (cases, pending)
            if state != last_state:
                last_change, last_state = time.monotonic(), state
            elif t_first_seen and time.monotonic() - last_change > stall:
                raise RuntimeError(
                    f"no progress for {stall}s at {state}:\n{services[0].log_tail()}"
                )
            if time.monotonic() > deadline:
                raise TimeoutError(f"not done in {timeout}s at {state}")
            await asyncio.sleep(0.1)
        cpu = meter.stop()
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            spy.wait(30)
            spy = None
        t_ready = max(await asyncio.gather(*ready_tasks))
        peaks = [peak_rss_mb(s.pid) or 0.0 for s in services]
        first_tx, last_tx, cases, events, outbox, inbox = await db.fetchrow(
            "SELECT extract(epoch FROM min(created_at))::float8,"
            " extract(epoch FROM max(created_at))::float8, count(*),"
            " (SELECT count(*) FROM case_events), (SELECT count(*) FROM outbox),"
            " (SELECT count(*) FROM inbox WHERE consumer = 'intake') FROM cases"
        )
        ok = True
    finally:
        if spy is not None:
            spy.kill()
        for service in services:
            service.stop()
            if ok:
                service.discard_log()
        await db.close()
    if (cases, events, outbox, inbox) != (count, count, 0, count):
        raise RuntimeError(f"cases={cases} events={events} outbox={outbox} inbox={inbox}")
    published = await wait_depth(env.rabbitmq_url, REPORT_CASE_EVENTS.name, count)
    public = await wait_depth(env.rabbitmq_url, PUBLIC_CASE_EVENTS.name, count)
    left = await queue_depth(env.rabbitmq_url, SUBMISSIONS.name)
    dlq = await queue_depth(env.rabbitmq_url, SUBMISSIONS.dead_letter_queue)
    if (published, public, left, dlq) != (count, count, 0, 0):
        raise RuntimeError(
            f"CaseSubmitted={published} case.event={public} "
            f"submissions left={left} dead-lettered={dlq}"
        )
    # Intake rate over consecutive one-second samples, for the spread.
    per_second = [
        (b[1] - a[1]) / (b[0] - a[0])
        for a, b in itertools.pairwise(progress)
        if b[1] < count and b[0] > a[0]
    ]
    started = min(s.started_at for s in services)
    return {
        "processes": len(services),
        "e2e_rate": count / (t_done - first_tx),
        "e2e_rate_from_ready": count / (t_done - t_ready) if t_done > t_ready else None,
        "intake_rate": count / (t_cases - first_tx),
        "seconds": t_done - first_tx,
        "start_to_first_case_s": first_tx - started,
        "start_to_ready_s": t_ready - started,
        "outbox_tail_s": t_done - t_cases,
        "last_case_tx_s": last_tx - first_tx,
        "max_outbox_backlog": max((p[2] for p in progress), default=0),
        "intake_rate_p10_per_s": percentile(per_second, 10),
        "intake_rate_p50_per_s": percentile(per_second, 50),
        "intake_rate_p90_per_s": percentile(per_second, 90),
        "peak_rss_mb": max(peaks),
        "peak_rss_mb_total": sum(peaks),
        "cpu_cores": cpu,
        # CPU time of the case-service process(es) per case: less sensitive than the rate to
        # other programs on the machine, so the figure to compare code changes with.
        "cpu_ms_per_case": 1000 * cpu.get("process", 0.0) * (t_done - t_first_seen) / count,
        "case_submitted_published": published,
        "public_events_published": public,
    }


# --- driver ----


def parse_overrides(values: list[str]) -> dict[str, str]:
    overrides = {}
    for value in values:
        key, sep, val = value.partition("=")
        if not sep:
            raise SystemExit(f"--set wants KEY=VALUE, got {value!r}")
        overrides[key.strip().upper()] = val.strip()
    return overrides


async def bench(env: BenchEnv, args: argparse.Namespace) -> dict[str, Any]:
    overrides = parse_overrides(args.set)
    idle = background_cores()
    if idle > 0.3:
        print(
            f"warning: {idle:.2f} cores busy before the run: other programs skew the figures",
            file=sys.stderr,
            flush=True,
        )
    port = free_port()
    count = args.count
    startup = await setup(env, port, overrides)
    print(f"case-service ready in {startup:.1f}s (first start: topology, migrations)", flush=True)

    publish_rate = await publish_backlog(
        env.rabbitmq_url,
        EXCHANGE_ESERVICE,
        ROUTING_SUBMISSION_CREATED,
        count,
        args.attachment,
        args.in_flight,
    )
    depth = await wait_depth(env.rabbitmq_url, SUBMISSIONS.name, count)
    if depth != count:
        raise RuntimeError(f"{SUBMISSIONS.name} holds {depth} messages, expected {count}")
    print(
        f"pre-published {count:,} submissions at {publish_rate:,.0f} msg/s "
        f"({args.in_flight} confirms in flight)",
        flush=True,
    )

    baseline: dict[str, Any] | None = None
    if not args.skip_baseline:
        await declare_baseline_queue(env, args.baseline_queue_type)
        await publish_backlog(
            env.rabbitmq_url, "", BASELINE_QUEUE, count, args.attachment, args.in_flight
        )
        await wait_depth(env.rabbitmq_url, BASELINE_QUEUE, count)
        baseline = await run_baseline(env, count, args.timeout)
        print(f"baseline: {baseline['rate']:,.0f} msg/s", flush=True)

    commands = [shlex.split(c) for c in args.command] or [[venv_script("case-service")]]
    commands = [commands[i % len(commands)] for i in range(max(args.processes, len(commands)))]
    service = await run_service(
        env, count, overrides, commands, args.timeout, args.stall, args.py_spy
    )
    print(f"case-service: {service['e2e_rate']:,.0f} cases/s end to end", flush=True)
    ratio = service["e2e_rate"] / baseline["rate"] if baseline else None
    return {
        "count": count,
        "attachment": args.attachment,
        "background_cores_before": round(idle, 2),
        "settings": overrides,
        "commands": [" ".join(c) for c in commands],
        "publish_rate": publish_rate,
        "baseline": baseline,
        "service": service,
        "ratio": ratio,
        "goal_met": service["e2e_rate"] >= GOAL_RATE and (ratio is None or ratio >= GOAL_RATIO),
    }


def summary_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    s, b = result["service"], result["baseline"]
    rows = [
        {
            "what": "pre-publish (confirms in flight)",
            "value": result["publish_rate"],
            "unit": "msg/s",
        },
    ]
    if b:
        rows.append(
            {"what": "baseline: aio-pika + 1 INSERT/msg + ack", "value": b["rate"], "unit": "msg/s"}
        )
    rows += [
        {
            "what": "case-service end to end (first case → outbox empty)",
            "value": s["e2e_rate"],
            "unit": "cases/s",
        },
        {
            "what": "case-service end to end, from /readyz",
            "value": s["e2e_rate_from_ready"],
            "unit": "cases/s",
        },
        {
            "what": "case-service intake only (first → last case committed)",
            "value": s["intake_rate"],
            "unit": "cases/s",
        },
    ]
    if result["ratio"] is not None:
        rows.append({"what": "end to end / baseline", "value": 100 * result["ratio"], "unit": "%"})
    rows += [
        {"what": "outbox tail after last case", "value": s["outbox_tail_s"], "unit": "s"},
        {"what": "max outbox backlog (rows)", "value": s["max_outbox_backlog"], "unit": "rows"},
        {"what": "service start → first case", "value": s["start_to_first_case_s"], "unit": "s"},
        {
            "what": "case-service peak RSS (VmHWM)"
            + (f", largest of {s['processes']}" if s["processes"] > 1 else ""),
            "value": s["peak_rss_mb"],
            "unit": "MiB",
        },
        {
            "what": "CPU cores: case-service / rabbitmq / postgres / machine",
            "value": " / ".join(
                f"{s['cpu_cores'].get(k, 0):.2f}"
                for k in ("process", "rabbitmq", "postgres", "machine")
            ),
            "unit": "cores",
        },
        {
            "what": "case-service CPU time per case",
            "value": s["cpu_ms_per_case"],
            "unit": "ms",
        },
        {
            "what": "CPU cores used by other programs: case-service phase",
            "value": s["cpu_cores"].get("other", 0.0),
            "unit": "cores",
        },
    ]
    if b:
        rows.append(
            {
                "what": "CPU cores used by other programs: baseline phase",
                "value": b["cpu_cores"].get("other", 0.0),
                "unit": "cores",
            }
        )
    return rows


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=50_000, help="submissions (default 50000)")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="environment of case-service, e.g. INTAKE_BATCH_SIZE=500 (repeatable)",
    )
    parser.add_argument(
        "--no-attachment",
        dest="attachment",
        action="store_false",
        help="submissions without the tiny PDF attachment",
    )
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument(
        "--baseline-queue-type",
        choices=["quorum", "classic"],
        default="quorum",
        help="queue type of the baseline (default quorum, like case-service.submissions)",
    )
    parser.add_argument(
        "--in-flight",
        type=int,
        default=500,
        help="publisher confirms outstanding while pre-publishing",
    )
    parser.add_argument("--timeout", type=float, default=600, help="per timed phase, seconds")
    parser.add_argument(
        "--stall", type=float, default=60, help="fail when nothing moves for this many seconds"
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="case-service processes consuming side by side (replicas)",
    )
    parser.add_argument(
        "--command",
        action="append",
        default=[],
        help="command line that starts case-service instead of "
        ".venv/bin/case-service (repeatable: one per process, cycled)",
    )
    parser.add_argument(
        "--py-spy",
        type=Path,
        metavar="FILE",
        help="record case-service with py-spy (raw collapsed stacks) to FILE",
    )
    parser.add_argument("--label", default="", help="free text stored with the result")
    args = parser.parse_args(argv)

    with isolated_env("ingest") as env:
        result = asyncio.run(bench(env, args))
    result["label"] = args.label
    path = append_result("ingest", result)
    print()
    print(
        f"ingest: {args.count:,} submissions, settings {result['settings'] or 'default'}, "
        f"{result['service']['processes']} case-service process(es)"
    )
    print_table(summary_rows(result), [("what", "measure"), ("value", "value"), ("unit", "")])
    print(
        "(figures are trustworthy only when other programs used ~0 cores: compare "
        "'CPU time per case' across noisy runs)"
    )
    print(
        f"goal ≥ {GOAL_RATE:,.0f} cases/s and ≥ {GOAL_RATIO:.0%} of baseline: "
        f"{'met' if result['goal_met'] else 'NOT met'}   (result appended to {path})"
    )
    return result


if __name__ == "__main__":
    main()
