"""Observability of a running installation (F-OP-1, F-OP-2): every service exposes the agreed
metric families on /metrics, and one case's correlation id can be followed through the logs of
the services it passes and through its events.

The metric names are the ones deploy/prometheus/alerts.yml and deploy/grafana/ use; a rename
here must go there too (tests/deploy/test_grafana.py checks the dashboard against the code)."""

import json
from pathlib import Path
from typing import Any

import aio_pika
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from arende_contracts.events import EXCHANGE_INTERNAL
from arende_contracts.external import EXCHANGE_ESERVICE, ROUTING_SUBMISSION_CREATED
from arende_platform.logging import CASE_CORRELATION_HEADER
from arende_platform.testing import TestEnvironment, eventually, publish_json, sample_submission

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.slow]

# Every service runs the platform: HTTP (RED), consumers, outbox, database pool.
PLATFORM_FAMILIES = {
    "http_requests_total",
    "http_request_duration_seconds",
    "messages_consumed_total",
    "messages_dead_lettered_total",
    "messages_redelivered_total",
    "message_batch_duration_seconds",
    "outbox_backlog",
    "outbox_oldest_age_seconds",
    "outbox_published_total",
    "outbox_publish_failures_total",
    "events_published_total",
    "db_pool_connections_in_use",
}
# The families of each service's own work (docs/operations.md, "Metrics").
SERVICE_FAMILIES: dict[str, set[str]] = {
    "gateway": set(),
    "case-service": set(),
    "notification-service": {
        "notifications_sent_total",
        "notifications_failed_total",
        "notification_retries_total",
        "notification_send_duration_seconds",
    },
    "report-service": {
        "reports_requested_total",
        "reports_completed_total",
        "reports_failed_total",
        "report_duration_seconds",
        "reports_pending",
        "report_oldest_pending_age_seconds",
    },
    "retention-service": {
        "retention_archived_total",
        "retention_purged_total",
        "retention_run_duration_seconds",
        "retention_last_success_timestamp_seconds",
        "retention_runs_total",
        "retention_resident_records_purged_total",
    },
}


def exposed_families(text: str) -> dict[str, str]:
    """Family name → type, from the `# TYPE` lines of a Prometheus text exposition."""
    families = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            families[name] = kind
    return families


def sample_value(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample of an exposition (labels must match exactly)."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    return None


async def test_every_service_exposes_the_agreed_metric_families(
    installation: dict[str, Any],
) -> None:
    async with httpx.AsyncClient(timeout=5) as client:
        for service, port in installation["ports"].items():
            base = f"http://127.0.0.1:{port}"
            await client.get(f"{base}/readyz")  # the readiness check samples the pool gauge

            async def scraped(base: str = base, service: str = service) -> str | None:
                text = (await client.get(f"{base}/metrics")).text
                # The outbox gauges are measured every 5 s once the service runs.
                measured = sample_value(text, "outbox_backlog", service=service) is not None
                return text if measured else None

            text = await eventually(scraped, timeout=20, interval=0.5)
            families = exposed_families(text)
            missing = (PLATFORM_FAMILIES | SERVICE_FAMILIES[service]) - set(families)
            assert not missing, f"{service} lacks {sorted(missing)}"
            assert families["http_request_duration_seconds"] == "histogram"
            assert families["outbox_oldest_age_seconds"] == "gauge"
            assert sample_value(text, "db_pool_connections_in_use", service=service) is not None
            assert sample_value(
                text,
                "http_requests_total",
                method="GET",
                route="/readyz",
                service=service,
                status="200",
            ), service


def log_entries(logs: Path, service: str, cid: str) -> list[dict[str, Any]]:
    """The JSON log lines of a service that carry `cid` (alone or among a batch's ids)."""
    found = []
    for line in (logs / f"{service}.log").read_text(errors="replace").splitlines():
        if cid not in line:
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("correlation_id") == cid or cid in entry.get("correlation_ids", []):
            found.append(entry)
    return found


# The services whose logs one case with an e-mail notification passes through, and a message
# each must have logged under the case's correlation id. retention-service meets the case when
# a retention run purges it: report-service and notification-service confirm the purge with
# events under the case's id, which retention-service consumes.
FOLLOWED = {
    "case-service": {"cases created", "messages handled"},
    "gateway": {"case action"},
    "report-service": {"messages handled"},
    "notification-service": {"messages handled"},
    "retention-service": {"messages handled"},
}


async def test_one_case_is_followed_by_its_correlation_id(
    installation: dict[str, Any], skeleton_env: TestEnvironment
) -> None:
    admin, password = installation["admin"]
    connection = await aio_pika.connect_robust(skeleton_env.rabbitmq_url)
    async with connection, httpx.AsyncClient(base_url=installation["gateway"], timeout=10) as api:
        # Every internal event, as the services publish them.
        channel = await connection.channel()
        events = await channel.declare_queue(exclusive=True)
        await events.bind(EXCHANGE_INTERNAL, routing_key="#")

        token = await api.post("/api/v1/token", data={"username": admin, "password": password})
        api.headers["authorization"] = f"Bearer {token.json()['access_token']}"
        org = await api.post(
            "/api/v1/admin/organizations", json={"code": "driftkontoret", "name": "Driftkontoret"}
        )
        assert org.status_code == 201, org.text
        case_type = await api.post(
            "/api/v1/admin/case-types",
            json={
                "code": "felanmalan",
                "name": "Felanmälan",
                "organization": "driftkontoret",
                "notify_email": True,
                # Archived and purged at the next retention run (0 days: "at the next run").
                "archive_days": 0,
                "purge_days": 0,
                "retention_decision": "Gallringsbeslut för felanmälningar, testfall",
            },
        )
        assert case_type.status_code == 201, case_type.text

        submission = sample_submission("felanmalan")
        cid = submission["submission_id"]
        await publish_json(connection, EXCHANGE_ESERVICE, ROUTING_SUBMISSION_CREATED, submission)

        async def created() -> int | None:
            page = (
                await api.get("/api/v1/cases", params={"view": "all", "case_type": "felanmalan"})
            ).json()
            return page["items"][0]["id"] if page["total"] else None

        case_id = await eventually(created, timeout=20)
        # A caseworker writes to the submitter, who is notified by e-mail.
        answer = await api.post(
            f"/api/v1/cases/{case_id}/update",
            json={
                "status": "in_progress",
                "title": "Vi har tittat på ärendet",
                "external_message": "Vi återkommer inom en vecka.",
                "notify": True,
            },
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["notified"] == ["carin@testare.se"]
        assert answer.headers[CASE_CORRELATION_HEADER] == cid
        assert answer.headers["x-correlation-id"] != cid  # the request's own id stays its own

        # The case's events carry its correlation id, in the envelope and as the AMQP property.
        seen: dict[str, Any] = {}

        async def collected() -> bool:
            while (message := await events.get(no_ack=True, fail=False)) is not None:
                envelope = json.loads(message.body)
                if (envelope.get("data") or {}).get("case_id") == case_id:
                    seen[envelope["event_type"]] = (envelope, message.correlation_id)
            return {"CaseSubmitted", "CaseUpdated", "NotificationRequested"} <= set(seen)

        async def collected_types(types: set[str]) -> bool:
            await collected()
            return types <= set(seen)

        await eventually(collected, timeout=20, interval=0.2)
        # Retention: the case, due for archiving and purging at once, is purged directly
        # (decision 0008); the other services confirm the purge.
        run = await api.post("/api/v1/admin/retention/run", json={"dry_run": False}, timeout=120)
        assert run.status_code == 200, run.text
        await eventually(
            lambda: collected_types({"CasePurged", "CasePurgeConfirmed"}),
            timeout=30,
            interval=0.2,
        )
        for event_type, (envelope, property_cid) in seen.items():
            assert envelope["correlation_id"] == cid, event_type
            assert property_cid == cid, event_type

        logs: Path = installation["logs"]

        async def followed() -> bool:
            return all(
                messages <= {e["message"] for e in log_entries(logs, service, cid)}
                for service, messages in FOLLOWED.items()
            )

        try:
            await eventually(followed, timeout=30, interval=0.5)
        except AssertionError:
            trail = {s: [e["message"] for e in log_entries(logs, s, cid)] for s in FOLLOWED}
            raise AssertionError(f"correlation id {cid} not in every log: {trail}") from None
        # No personnummer in any log line about the case.
        for service in FOLLOWED:
            for entry in log_entries(logs, service, cid):
                assert submission["submitter"]["personal_number"] not in json.dumps(entry)

    # The relay's publications reach case-service's /metrics (relay_process.CounterMirror).
    async with httpx.AsyncClient(timeout=5) as client:
        port = installation["ports"]["case-service"]

        async def mirrored() -> float | None:
            text = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
            return sample_value(
                text, "events_published_total", service="case-service", event_type="CaseUpdated"
            )

        assert await eventually(mirrored, timeout=10, interval=0.5) >= 1
