"""Reports end to end inside report-service: orders from the bus, the worker, case content from
an in-process case-service, the files as openpyxl reads them, failures, stuck jobs, retention,
orderer-only access; statistics counters, archiving and purging."""

import io
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import openpyxl
import pytest
import pytest_asyncio
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from openpyxl.utils import get_column_letter
from sqlalchemy import select, text

from arende_contracts.access import Actor, Grant
from arende_contracts.events import (
    EXCHANGE_INTERNAL,
    CaseArchived,
    CaseAssigned,
    CaseClosed,
    CasePurgeConfirmed,
    CasePurged,
    CaseSubmitted,
    CaseUpdated,
    EventEnvelope,
    ReportRequested,
)
from arende_platform.testing import TestEnvironment, drain, eventually, publish_json
from case_service.app import build_app as build_case_service
from case_service.settings import CaseServiceSettings
from report_service.app import build_app
from report_service.models import CaseFact, Report, ReportFile
from report_service.settings import ReportServiceSettings

pytestmark = pytest.mark.asyncio(loop_scope="session")

TOKEN = "test-internal-token"
ADMIN = Actor(username="admin", superuser=True)
ORG, OTHER_ORG = "trafikkontoret", "socialforvaltningen"
CASE_TYPE, SECRET_TYPE = "flexlinjen", "forsorjningsstod"


def headers(actor: Actor) -> dict[str, str]:
    return {"x-internal-token": TOKEN, "x-actor": actor.model_dump_json()}


HANNA = Actor(username="hanna", name="Hanna", grants=[Grant(organization=ORG, role="handler")])
OLLE = Actor(username="olle", name="Olle", grants=[Grant(organization=ORG, role="handler")])


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def case_app(test_env: TestEnvironment) -> AsyncIterator[FastAPI]:
    app = build_case_service(test_env.settings(CaseServiceSettings, intake_batch_wait=0.02))
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=30):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://case", headers=headers(ADMIN)
        ) as client:
            for org, name in ((ORG, "Trafikkontoret"), (OTHER_ORG, "Socialförvaltningen")):
                response = await client.post(
                    "/internal/organizations", json={"code": org, "name": name}
                )
                assert response.status_code in (201, 409), response.text
            for code, name, org in (
                (CASE_TYPE, "Anmälan till flexlinjen", ORG),
                (SECRET_TYPE, "Ansök om försörjningsstöd", OTHER_ORG),
            ):
                body = {"code": code, "name": name, "organization": org}
                response = await client.post("/internal/case-types", json=body)
                assert response.status_code in (201, 409), response.text
        yield app


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def report_app(test_env: TestEnvironment, case_app: FastAPI) -> AsyncIterator[FastAPI]:
    settings = test_env.settings(
        ReportServiceSettings, report_poll_seconds=0.1, report_page_size=50
    )
    app = build_app(settings, case_service_transport=httpx.ASGITransport(app=case_app))
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=30):
        yield app


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def reports(report_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=report_app), base_url="http://report"
    ) as client:
        yield client


async def insert_cases(case_app: FastAPI, case_type: str, rows: list[dict[str, Any]]) -> list[int]:
    """Cases straight into case-service's table (many at once, no intake round trips)."""
    async with case_app.state.runtime.sessions() as session, session.begin():
        type_id = await session.scalar(
            text("SELECT id FROM case_types WHERE code = :code"), {"code": case_type}
        )
        ids = []
        for row in rows:
            values = {
                "submission_id": uuid.uuid4(),
                "case_type_id": type_id,
                "status": "submitted",
                "title": "Ärende",
                "business_area": None,
                "submitter_kind": "citizen",
                "submitter_personal_number": "191212121212",
                "submitter_name": "Carin Testare",
                "reference": None,
                "handler": None,
                "form": [],
                "submitted_at": datetime(2026, 11, 24, 9, 15, tzinfo=UTC),
                **row,
            }
            values["form"] = json.dumps(values["form"])
            case_id = await session.scalar(
                text(
                    "INSERT INTO cases (submission_id, case_type_id, status, title, business_area,"
                    " submitter_kind, submitter_personal_number, submitter_name, reference,"
                    " handler, form, submitted_at) VALUES (:submission_id, :case_type_id,"
                    " :status, :title, :business_area, :submitter_kind,"
                    " :submitter_personal_number, :submitter_name, :reference, :handler,"
                    " CAST(:form AS jsonb), :submitted_at) RETURNING id"
                ),
                values,
            )
            ids.append(int(case_id))
        return ids


async def order(amqp: Any, actor: Actor, **data: Any) -> uuid.UUID:
    report_id = uuid.uuid4()
    event = ReportRequested(
        correlation_id="test",
        producer="gateway",
        data={
            "report_id": report_id,
            "kind": "cases",
            "ordered_by": actor.username,
            "orderer_name": actor.name,
            "grants": actor.grants,
            "superuser": actor.superuser,
            "case_type": CASE_TYPE,
            "case_type_name": "Anmälan till flexlinjen",
            "name": "rapport till chefen",
            **data,
        },
    )
    await publish(amqp, event)
    return report_id


async def publish(amqp: Any, event: EventEnvelope) -> None:
    await publish_json(
        amqp,
        EXCHANGE_INTERNAL,
        event.routing_key,
        event.model_dump_json().encode(),
        message_id=str(event.event_id),
    )


async def finished(app: FastAPI, report_id: uuid.UUID, timeout: float = 30) -> Report:
    async def check() -> Report | None:
        async with app.state.runtime.sessions() as session:
            report = await session.get(Report, report_id)
            return report if report is not None and report.status != "ordered" else None

    return await eventually(check, timeout=timeout)  # type: ignore[no-any-return]


async def workbook(reports: httpx.AsyncClient, actor: Actor, report_id: uuid.UUID) -> Any:
    response = await reports.get(f"/internal/reports/{report_id}/file", headers=headers(actor))
    assert response.status_code == 200, response.text
    return openpyxl.load_workbook(io.BytesIO(response.content))


async def test_case_export_with_form_data_opens_in_openpyxl_with_text_cells(
    case_app: FastAPI, report_app: FastAPI, reports: httpx.AsyncClient, amqp: Any
) -> None:
    form = [
        {
            "section": "Person- och kontaktuppgifter",
            "fields": [
                {"key": "fornamn", "label": "Förnamn", "value": '=HYPERLINK("x")'},
                {"key": "telefon", "label": "Telefon", "value": "+46701234567"},
            ],
        },
        {"section": "Ärendet", "fields": [{"key": "antal", "label": "Antal", "value": 3}]},
    ]
    ids = await insert_cases(
        case_app,
        CASE_TYPE,
        [
            {"title": "=1+1", "reference": "@SUM(A1)", "form": form, "business_area": "Centrum"},
            {"title": "-5", "reference": "\t=2", "status": "in_progress", "handler": "hanna"},
            {"title": "Vanlig", "submitted_at": datetime(2020, 1, 1, tzinfo=UTC)},
        ],
    )
    report_id = await order(
        amqp,
        HANNA,
        include_form_data=True,
        date_from=datetime(2026, 1, 1, tzinfo=UTC),
        expected_count=2,
    )
    report = await finished(report_app, report_id)
    assert report.status == "done", report.reason
    assert report.case_count >= 2
    assert report.name == "Ärenden - Anmälan till flexlinjen: rapport till chefen"

    ws = (await workbook(reports, HANNA, report_id))["Ärenden"]
    rows = list(ws.iter_rows(values_only=True))
    header = rows[0]
    assert header[:12] == (
        "Ärende id", "Ärendetyp", "Rubrik", "Status", "Skickades in", "Ändrades",
        "Inskickat av", "Namn", "Handläggare", "Referens", "Förvaltning", "Verksamhetstyp",
    )  # fmt: skip
    # Form columns: the union over the exported cases, in form order. Other tests' cases of the
    # shared case type may add fields of their own between these.
    form_columns = [name for name in header[12:] if name in ("Förnamn", "Telefon", "Antal")]
    assert form_columns == ["Förnamn", "Telefon", "Antal"]
    at = {name: index for index, name in enumerate(header)}
    by_id = {row[0]: row for row in rows[1:]}
    assert set(ids[:2]) <= set(by_id) and ids[2] not in by_id  # 2020 is before date_from
    first, second = by_id[ids[0]], by_id[ids[1]]
    assert first[1:4] == ("Anmälan till flexlinjen", "=1+1", "Inskickad")
    assert first[4] == datetime(2026, 11, 24, 10, 15)  # a real date, Swedish time
    assert first[6:12] == (
        "191212121212", "Carin Testare", None, "@SUM(A1)", "Trafikkontoret", "Centrum"
    )  # fmt: skip
    assert (first[at["Förnamn"]], first[at["Telefon"]], first[at["Antal"]]) == (
        '=HYPERLINK("x")',
        "+46701234567",
        "3",
    )
    assert second[2:4] == ("-5", "Behandlas") and second[8:10] == ("hanna", "\t=2")
    for row in ws.iter_rows(min_row=2):
        assert row[0].data_type == "n" and row[4].is_date
        for cell in row[1:4] + row[6:]:
            assert cell.value is None or cell.data_type == "s"  # never "f"
    last_column = get_column_letter(len(header))
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == f"A1:{last_column}{len(rows)}"


async def test_header_export_of_many_cases_is_paged_and_counts_them(
    case_app: FastAPI, report_app: FastAPI, reports: httpx.AsyncClient, amqp: Any
) -> None:
    await insert_cases(
        case_app,
        CASE_TYPE,
        [{"title": f"Arkiverat {i}", "status": "archived"} for i in range(120)],
    )
    report_id = await order(amqp, HANNA, archived=True, name="")
    report = await finished(report_app, report_id)
    assert report.status == "done", report.reason
    assert report.name == "Ärenden - Anmälan till flexlinjen"
    ws = (await workbook(reports, HANNA, report_id)).active
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(rows) == report.case_count >= 120  # more than two pages of 50
    assert {row[3] for row in rows} == {"Arkiverad"}
    assert len(ws[1]) == 12  # no form columns


async def test_another_users_report_is_invisible(
    report_app: FastAPI, reports: httpx.AsyncClient, amqp: Any
) -> None:
    report_id = await order(amqp, HANNA, name="bara min")
    await finished(report_app, report_id)
    mine = (await reports.get("/internal/reports", headers=headers(HANNA))).json()
    assert str(report_id) in {r["id"] for r in mine}
    theirs = (await reports.get("/internal/reports", headers=headers(OLLE))).json()
    assert str(report_id) not in {r["id"] for r in theirs}
    for method, path in (
        ("GET", f"/internal/reports/{report_id}"),
        ("GET", f"/internal/reports/{report_id}/file"),
        ("DELETE", f"/internal/reports/{report_id}"),
    ):
        response = await reports.request(method, path, headers=headers(OLLE))
        assert response.status_code == 404, (method, path)
    deleted = await reports.delete(f"/internal/reports/{report_id}", headers=headers(HANNA))
    assert deleted.status_code == 204
    async with report_app.state.runtime.sessions() as session:
        assert await session.get(Report, report_id) is None
        assert await session.get(ReportFile, report_id) is None


async def test_a_failing_job_ends_misslyckad_with_a_reason(
    report_app: FastAPI, reports: httpx.AsyncClient, amqp: Any
) -> None:
    # Hanna's grants do not reach the other organization's case type: case-service says 404.
    report_id = await order(amqp, HANNA, case_type=SECRET_TYPE, case_type_name="Försörjningsstöd")
    report = await finished(report_app, report_id)
    assert report.status == "failed"
    assert report.reason == "Du har inte behörighet till ärendetypen."
    listed = (await reports.get("/internal/reports", headers=headers(HANNA))).json()
    entry = next(r for r in listed if r["id"] == str(report_id))
    assert entry["status"] == "failed" and entry["reason"] == report.reason
    response = await reports.get(f"/internal/reports/{report_id}/file", headers=headers(HANNA))
    assert response.status_code == 409  # no file unless Klar


async def test_a_stuck_job_is_taken_up_again_and_finally_fails(report_app: FastAPI) -> None:
    worker = report_app.state.worker
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    stuck, retried = uuid.uuid4(), uuid.uuid4()
    async with report_app.state.runtime.sessions() as session, session.begin():
        for report_id, attempts in ((stuck, 3), (retried, 1)):
            session.add(
                Report(
                    id=report_id,
                    kind="statistics",
                    ordered_by="hanna",
                    name="Statistik - x",
                    case_type="ingen-sadan-typ",
                    include_form_data=False,
                    archived=False,
                    request={
                        "report_id": str(report_id),
                        "kind": "statistics",
                        "ordered_by": "hanna",
                        "case_type": "ingen-sadan-typ",
                        "name": "",
                        "period": "month",
                    },
                    status="ordered",
                    attempts=attempts,
                    ordered_at=long_ago,
                    started_at=long_ago,
                    heartbeat_at=long_ago,  # its worker died an hour ago
                )
            )
    await worker.housekeeping()
    first = await finished(report_app, stuck, timeout=5)
    assert first.status == "failed"
    assert first.reason == "Rapporten kunde inte skapas: arbetet avbröts 3 gånger."
    second = await finished(report_app, retried, timeout=10)  # taken up again and built
    assert second.status == "done" and second.attempts == 2

    await worker.housekeeping()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=report_app), base_url="http://report"
    ) as http:
        metrics = (await http.get("/metrics")).text
    for name in (
        'reports_requested_total{kind="cases"}',
        'reports_completed_total{kind="statistics"}',
        'reports_failed_total{kind="statistics"}',
        'report_duration_seconds_count{kind="cases"}',
        "reports_pending 0.0",
        "report_oldest_pending_age_seconds 0.0",
    ):
        assert name in metrics, name


async def test_finished_reports_are_deleted_after_the_retention_days(report_app: FastAPI) -> None:
    worker = report_app.state.worker
    old, recent = uuid.uuid4(), uuid.uuid4()
    now = datetime.now(UTC)
    async with report_app.state.runtime.sessions() as session, session.begin():
        for report_id, finished_at in ((old, now - timedelta(days=31)), (recent, now)):
            session.add(
                Report(
                    id=report_id,
                    kind="cases",
                    ordered_by="hanna",
                    name="Ärenden - x",
                    case_type=CASE_TYPE,
                    include_form_data=False,
                    archived=False,
                    request={},
                    status="done",
                    ordered_at=finished_at,
                    finished_at=finished_at,
                )
            )
            session.add(ReportFile(report_id=report_id, data=b"PK"))
    assert await worker.expire() >= 1
    async with report_app.state.runtime.sessions() as session:
        assert await session.get(Report, old) is None
        assert await session.get(ReportFile, old) is None
        assert await session.get(Report, recent) is not None


def _case_event(cls: type[EventEnvelope], case_id: int, at: datetime, **data: Any) -> Any:
    return cls(
        correlation_id="t",
        producer="case-service",
        occurred_at=at,
        data={"case_id": case_id, "case_type": "statistiktyp", "organization": ORG, **data},
    )


async def test_statistics_follow_the_events_and_purged_cases_keep_counting(
    report_app: FastAPI, reports: httpx.AsyncClient, amqp: Any
) -> None:
    base = 7_000_000 + uuid.uuid4().int % 1_000_000
    t0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)

    def submitted(case_id: int, day: datetime) -> Any:
        return _case_event(
            CaseSubmitted,
            case_id,
            day,
            submission_id=uuid.uuid4(),
            status="submitted",
            submitter_kind="citizen",
            business_area="Centrum",
            submitted_at=day,
        )

    events = [submitted(base + i, t0 + timedelta(days=i)) for i in range(6)]
    h = timedelta(hours=1)
    events += [
        _case_event(CaseAssigned, base + 1, t0 + timedelta(days=1) + 2 * h, assigned_by="a"),
        _case_event(CaseAssigned, base + 2, t0 + timedelta(days=2) + 4 * h, assigned_by="a"),
        _case_event(
            CaseUpdated, base + 2, t0 + timedelta(days=2) + 10 * h,
            status="in_progress", previous_status="assigned", updated_by="a",
        ),
        _case_event(
            CaseClosed, base + 2, t0 + timedelta(days=2) + 30 * h, status="closed", closed_by="a"
        ),
        _case_event(CaseArchived, base + 3, t0 + timedelta(days=40), archived_at=t0 + timedelta(days=40)),
        _case_event(
            CasePurged, base + 4, t0 + timedelta(days=50),
            status="submitted", submitted_at=t0 + timedelta(days=4), purged_at=t0 + timedelta(days=50),
        ),
        # A purged case report-service never saw still counts, once, however often it comes.
        _case_event(
            CasePurged, base + 99, t0 + timedelta(days=50),
            status="closed", submitted_at=datetime(2019, 1, 5, tzinfo=UTC), purged_at=t0,
        ),
        _case_event(
            CasePurged, base + 99, t0 + timedelta(days=51),
            status="closed", submitted_at=datetime(2019, 1, 5, tzinfo=UTC), purged_at=t0,
        ),
    ]  # fmt: skip
    channel = await amqp.channel()
    confirmations = f"test-purge-confirmed-{uuid.uuid4().hex[:6]}"
    queue = await channel.declare_queue(confirmations, exclusive=True)
    await queue.bind(EXCHANGE_INTERNAL, CasePurgeConfirmed.routing_key)
    for event in events:
        await publish(amqp, event)

    admin = headers(ADMIN)

    async def overview_row() -> dict[str, Any] | None:
        body = (await reports.get("/internal/statistics", headers=admin)).json()
        row = next((r for r in body["rows"] if r["case_type"] == "statistiktyp"), None)
        return row if row and row["purged"] == 2 and row["closed"] == 1 else None

    row = await eventually(overview_row)
    assert {k: row[k] for k in ("submitted", "assigned", "in_progress", "decided")} == {
        "submitted": 2,
        "assigned": 1,
        "in_progress": 0,
        "decided": 0,
    }
    assert (row["closed"], row["archived"], row["purged"], row["total"]) == (1, 1, 2, 7)
    async with report_app.state.runtime.sessions() as session:
        assert await session.get(CaseFact, base + 4) is None  # the per-case row is gone
    confirmed = await drain(amqp, confirmations, expect=3)
    await channel.close()
    bodies = [json.loads(m.body) for m in confirmed]
    assert sorted(b["data"]["case_id"] for b in bodies) == [base + 4, base + 99, base + 99]
    assert {b["data"]["service"] for b in bodies} == {"report-service"}

    # Only case types the caller may see; filters by Förvaltning and Verksamhetstyp.
    outsider = Actor(username="x", grants=[Grant(organization=OTHER_ORG, role="handler")])
    body = (await reports.get("/internal/statistics", headers=headers(outsider))).json()
    assert all(r["case_type"] != "statistiktyp" for r in body["rows"])
    body = (
        await reports.get(
            "/internal/statistics", params={"business_area": "Centrum"}, headers=admin
        )
    ).json()
    centrum = next(r for r in body["rows"] if r["case_type"] == "statistiktyp")
    assert centrum["total"] == 6  # the unknown 2019 case has no business area
    assert "Centrum" in body["business_areas"]
    assert body["totals"]["total"] >= 5

    per_month = (await reports.get("/internal/statistics/statistiktyp", headers=admin)).json()
    months = {r["period"]: r for r in per_month["rows"]}
    assert months["2026-03"]["total"] == 6 and months["2026-03"]["purged"] == 1
    assert months["2019-01"]["purged"] == 1
    times = {r["period"]: r for r in per_month["handling_times"]}
    assert times["2026-03"]["received"] == 5  # the purged one's fact is gone
    assert times["2026-03"]["received_to_assigned"] == pytest.approx(3.0)  # (2 h + 4 h) / 2
    assert times["2026-03"]["assigned_to_started"] == pytest.approx(6.0)
    assert times["2026-03"]["started_to_closed"] == pytest.approx(20.0)
    assert times["2026-03"]["received_to_closed"] == pytest.approx(30.0)
    forbidden = await reports.get("/internal/statistics/statistiktyp", headers=headers(outsider))
    assert forbidden.status_code == 404


async def test_statistics_export_per_day(
    report_app: FastAPI, reports: httpx.AsyncClient, amqp: Any
) -> None:
    report_id = await order(
        amqp,
        ADMIN,
        kind="statistics",
        case_type="statistiktyp",
        case_type_name="Statistiktyp",
        name="mars",
        period="day",
        date_from=datetime(2026, 3, 1, tzinfo=UTC),
        date_to=datetime(2026, 4, 1, tzinfo=UTC),
    )
    report = await finished(report_app, report_id)
    assert report.status == "done", report.reason
    assert report.name == "Statistik - Statistiktyp: mars"
    book = await workbook(reports, ADMIN, report_id)
    rows = list(book["Statistik"].iter_rows(values_only=True))
    assert rows[0] == (
        "Datum", "Inskickad", "Fördelad", "Behandlas", "Beslutad", "Avslutad", "Arkiverad",
        "Gallrad", "Totalt",
    )  # fmt: skip
    assert len(rows) == 7  # six days with cases, newest first
    assert rows[1][0] == datetime(2026, 3, 7) and rows[-1][0] == datetime(2026, 3, 2)
    assert sum(r[8] for r in rows[1:]) == report.case_count == 6
    assert book["Statistik"]["A2"].is_date
    times = list(book["Handläggningstider"].iter_rows(values_only=True))
    assert times[0][:4] == ("Period", "Inkomna", "Avslutade", "Obesvarade")


async def test_progress_is_written_while_a_report_is_built(report_app: FastAPI) -> None:
    async with report_app.state.runtime.sessions() as session:
        done = (
            await session.execute(
                select(Report.progress, Report.case_count).where(
                    Report.status == "done", Report.kind == "cases", Report.attempts > 0
                )
            )
        ).all()
    assert done and all(progress == count for progress, count in done)
