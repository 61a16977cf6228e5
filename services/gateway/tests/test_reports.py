"""Reports and statistics through the gateway: the order API with the 5,000 limit (counted by
case-service before any job starts), the orderer-only list and download, statistics in the
caller's scope, and the web dialogs and pages. report-service and case-service run in-process."""

import io
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import openpyxl
import pytest
import pytest_asyncio
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from arende_contracts.external import EXCHANGE_ESERVICE, ROUTING_SUBMISSION_CREATED
from arende_platform.db import transaction
from arende_platform.testing import TestEnvironment, eventually, publish_json, sample_submission
from gateway.app import build_app
from gateway.auth.service import caseworker_for_token
from gateway.models import RememberedOrder, outbox
from gateway.reports.orders import NOT_RECEIVED
from gateway.reports.service import ReportOrder, place_order
from report_service.app import build_app as build_report_service
from report_service.settings import ReportServiceSettings

from .conftest import Gateway, gateway_settings

pytestmark = pytest.mark.asyncio(loop_scope="session")

LIMIT_SV = (
    "Din sökning genererade 5001 träffar vilket överskrider det maximalt tillåtna 5000. "
    "Vänligen justera datumintervallet för att reducera antalet träffar."
)


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def report_app(test_env: TestEnvironment, case_app: FastAPI) -> AsyncIterator[FastAPI]:
    settings = test_env.settings(ReportServiceSettings, report_poll_seconds=0.1)
    app = build_report_service(settings, case_service_transport=httpx.ASGITransport(app=case_app))
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=30):
        yield app


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def rgw(
    test_env: TestEnvironment, case_app: FastAPI, report_app: FastAPI, amqp: Any
) -> AsyncIterator[Gateway]:
    """A gateway whose report-service calls go to `report_app` in this process."""
    app = build_app(
        gateway_settings(test_env),
        case_service_transport=httpx.ASGITransport(app=case_app),
        report_service_transport=httpx.ASGITransport(app=report_app),
    )
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=30):
        gateway = Gateway(app, amqp)
        from .conftest import ADMIN, ADMIN_PASSWORD

        gateway.admin_headers = await gateway.token(ADMIN, ADMIN_PASSWORD)
        yield gateway


async def insert_cases(
    case_app: FastAPI, case_type: str, count: int, start: datetime, *, title: str = "Ärende"
) -> None:
    """`count` cases of a case type in one statement, one minute apart from `start`."""
    async with case_app.state.runtime.sessions() as session, session.begin():
        await session.execute(
            text(
                "INSERT INTO cases (submission_id, case_type_id, status, title, submitter_kind,"
                " submitter_name, form, submitted_at)"
                " SELECT gen_random_uuid(), ct.id, 'submitted', CAST(:title AS text) || ' ' || g, 'citizen',"
                " 'Carin Testare',"
                " jsonb_build_array(jsonb_build_object('section', 'Uppgifter', 'fields',"
                "   jsonb_build_array(jsonb_build_object('key', 'f', 'label', 'Fält',"
                "   'value', 'svar ' || g)))),"
                " CAST(:start AS timestamptz) + g * interval '1 minute'"
                " FROM generate_series(1, :count) g, case_types ct WHERE ct.code = :case_type"
            ),
            {"title": title, "count": count, "start": start, "case_type": case_type},
        )


async def held_order(gw: Gateway, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    """An order placed as `POST /api/v1/reports` places it, whose ReportRequested the relay
    leaves in the gateway's outbox (not due for an hour) until `release`: report-service has
    not received it, however many report-service consumers this test session runs."""
    token = headers["Authorization"].removeprefix("Bearer ")
    async with transaction(gw.app.state.runtime.sessions) as session:
        caseworker = await caseworker_for_token(session, token)
        assert caseworker is not None
        report = await place_order(
            session,
            gw.app.state.case_service,
            caseworker,
            ReportOrder.model_validate(fields),
            "sv",
        )
        await session.execute(
            update(outbox)
            .where(outbox.c.event_id == await event_of(session, report["id"]))
            .values(next_attempt_at=func.now() + text("interval '1 hour'"))
        )
    return report


async def event_of(session: AsyncSession, report_id: str) -> Any:
    return await session.scalar(
        select(RememberedOrder.event_id).where(RememberedOrder.report_id == uuid.UUID(report_id))
    )


async def release(gw: Gateway, report_id: str) -> None:
    """Let the relay publish a held order (it polls every second)."""
    async with transaction(gw.app.state.runtime.sessions) as session:
        await session.execute(
            update(outbox)
            .where(outbox.c.event_id == await event_of(session, report_id))
            .values(next_attempt_at=func.now())
        )


async def report_service_has(report_app: FastAPI, report_id: str) -> bool:
    async with report_app.state.runtime.sessions() as session:
        found = await session.scalar(
            text("SELECT count(*) FROM reports WHERE id = CAST(:id AS uuid)"), {"id": report_id}
        )
    return bool(found)


async def remembered(gw: Gateway, report_id: str) -> bool:
    async with gw.app.state.runtime.sessions() as session:
        return await session.get(RememberedOrder, uuid.UUID(report_id)) is not None


async def staged(gw: Gateway, report_id: str) -> bool:
    """The order's ReportRequested is still in the gateway's outbox (not published)."""
    async with gw.app.state.runtime.sessions() as session:
        found = await session.scalar(
            select(func.count())
            .select_from(outbox)
            .where(outbox.c.event_id == await event_of(session, report_id))
        )
    return bool(found)


async def done(gw: Gateway, headers: dict[str, str], report_id: str) -> dict[str, Any]:
    async def check() -> dict[str, Any] | None:
        async with gw.client() as http:
            listed = (await http.get("/api/v1/reports", headers=headers)).json()
        report = next((r for r in listed if r["id"] == report_id), None)
        return report if report and report["status"] != "ordered" else None

    return await eventually(check, timeout=30)  # type: ignore[no-any-return]


async def test_the_5000_limit_is_checked_before_the_job_starts_with_the_real_count(
    rgw: Gateway, case_app: FastAPI
) -> None:
    organization = await rgw.organization()
    case_type = await rgw.case_type(organization)
    handler = await rgw.staff([{"organization": organization, "role": "handler"}])
    start = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
    await insert_cases(case_app, case_type, 5001, start)

    async with rgw.client() as http:
        body = {"kind": "cases", "case_type": case_type, "include_form_data": True}
        refused = await http.post("/api/v1/reports", json=body, headers=handler.headers)
        assert refused.status_code == 422
        assert refused.json() == {"detail": LIMIT_SV}
        english = await http.post(
            "/api/v1/reports", json=body, headers={**handler.headers, "Accept-Language": "en"}
        )
        assert english.json()["detail"].startswith("Your search returned 5001 hits")
        assert (await http.get("/api/v1/reports", headers=handler.headers)).json() == []

        # Without form data there is no limit; a date range that leaves 5,000 is accepted.
        plain = await http.post(
            "/api/v1/reports", json={**body, "include_form_data": False}, headers=handler.headers
        )
        assert plain.status_code == 202, plain.text
        assert plain.json()["expected_count"] == 5001
        # The last case came on 4 January; up to and including 3 January (Swedish time, 23:00
        # UTC) holds the cases of the first 63 hours: 3,779 of them.
        narrowed = await http.post(
            "/api/v1/reports",
            json={**body, "date_from": "2026-01-01", "date_to": "2026-01-03", "name": "del 1"},
            headers=handler.headers,
        )
        assert narrowed.status_code == 202, narrowed.text
        report = narrowed.json()
        assert report["expected_count"] == 3779
        assert report["name"] == "Ärenden - Anmälan till flexlinjen: del 1"
        assert report["status"] == "ordered" and report["include_form_data"] is True

    finished = await done(rgw, handler.headers, report["id"])
    assert finished["status"] == "done", finished["reason"]
    assert finished["case_count"] == report["expected_count"]


async def test_order_list_download_and_only_the_orderer_sees_it(
    rgw: Gateway, case_app: FastAPI
) -> None:
    organization = await rgw.organization()
    case_type = await rgw.case_type(organization, name="Ansök om försörjningsstöd")
    handler = await rgw.staff([{"organization": organization, "role": "handler"}])
    colleague = await rgw.staff([{"organization": organization, "role": "handler"}])
    await insert_cases(case_app, case_type, 3, datetime(2026, 5, 1, tzinfo=UTC), title="=1+1")

    async with rgw.client() as http:
        ordered = await http.post(
            "/api/v1/reports",
            json={
                "kind": "cases",
                "case_type": case_type,
                "include_form_data": True,
                "name": "rapport till chefen",
            },
            headers=handler.headers,
        )
        assert ordered.status_code == 202, ordered.text
        report_id = ordered.json()["id"]
        report = await done(rgw, handler.headers, report_id)
        assert report["status"] == "done", report["reason"]
        assert report["name"] == "Ärenden - Ansök om försörjningsstöd: rapport till chefen"
        assert (report["case_count"], report["archived"]) == (3, False)

        file = await http.get(f"/api/v1/reports/{report_id}/file", headers=handler.headers)
        assert file.status_code == 200
        assert file.headers["content-type"].startswith(
            "application/vnd.openxmlformats-officedocument.spreadsheetml"
        )
        assert "rapport%20till%20chefen.xlsx" in file.headers["content-disposition"]
        ws = openpyxl.load_workbook(io.BytesIO(file.content)).active
        rows = list(ws.iter_rows(values_only=True))
        assert len(rows) == 4 and rows[0][-1] == "Fält"
        assert {r[2] for r in rows[1:]} == {"=1+1 1", "=1+1 2", "=1+1 3"}
        assert all(ws.cell(row=r, column=3).data_type == "s" for r in range(2, 5))

        # The colleague sees nothing of it.
        assert report_id not in {
            r["id"] for r in (await http.get("/api/v1/reports", headers=colleague.headers)).json()
        }
        for method, path in (
            ("GET", f"/api/v1/reports/{report_id}"),
            ("GET", f"/api/v1/reports/{report_id}/file"),
            ("DELETE", f"/api/v1/reports/{report_id}"),
        ):
            response = await http.request(method, path, headers=colleague.headers)
            assert response.status_code == 404, (method, path)
            assert response.json() == {"detail": "Rapporten finns inte"}

        # Another organization's case type cannot be ordered at all.
        outsider = await rgw.staff([{"organization": await rgw.organization(), "role": "handler"}])
        refused = await http.post(
            "/api/v1/reports", json={"case_type": case_type}, headers=outsider.headers
        )
        assert refused.status_code == 404

        deleted = await http.delete(f"/api/v1/reports/{report_id}", headers=handler.headers)
        assert deleted.status_code == 204
        gone = await http.get(f"/api/v1/reports/{report_id}/file", headers=handler.headers)
        assert gone.status_code == 404


async def test_statistics_api_in_the_callers_scope(rgw: Gateway) -> None:
    organization = await rgw.organization()
    case_type = await rgw.case_type(organization, name="Anmälan om matförgiftning")
    reviewer = await rgw.staff([{"organization": organization, "role": "reviewer"}])
    outsider = await rgw.staff([{"organization": await rgw.organization(), "role": "handler"}])
    await publish_json(
        rgw.amqp,
        EXCHANGE_ESERVICE,
        ROUTING_SUBMISSION_CREATED,
        sample_submission(case_type=case_type),
    )

    async def counted() -> dict[str, Any] | None:
        async with rgw.client() as http:
            body = (await http.get("/api/v1/statistics", headers=reviewer.headers)).json()
        return next((r for r in body["rows"] if r["case_type"] == case_type), None)

    row = await eventually(counted, timeout=60)
    assert row["case_type_name"] == "Anmälan om matförgiftning"
    assert (row["submitted"], row["total"]) == (1, 1)
    async with rgw.client() as http:
        body = (await http.get("/api/v1/statistics", headers=reviewer.headers)).json()
        assert [r["case_type"] for r in body["rows"]] == [case_type]
        assert body["totals"]["total"] == 1
        assert body["organizations"][0]["code"] == organization
        other = (await http.get("/api/v1/statistics", headers=outsider.headers)).json()
        assert case_type not in {r["case_type"] for r in other["rows"]}
        filtered = await http.get(
            "/api/v1/statistics",
            params={"business_area": "Någon annan"},
            headers=reviewer.headers,
        )
        assert filtered.json()["rows"] == []
        per_month = await http.get(f"/api/v1/statistics/{case_type}", headers=reviewer.headers)
        assert per_month.status_code == 200
        assert per_month.json()["rows"][0]["submitted"] == 1


async def test_web_dialogs_rapporter_and_statistik(rgw: Gateway, case_app: FastAPI) -> None:
    organization = await rgw.organization()
    case_type = await rgw.case_type(organization, name="Boende med stöd")
    handler = await rgw.staff([{"organization": organization, "role": "handler"}])
    await insert_cases(case_app, case_type, 5001, datetime(2025, 1, 1, tzinfo=UTC))
    async with rgw.client() as http:
        await rgw.browser_login(http, handler.username, handler.password)
        listing = await http.get("/arenden/alla")
        assert 'href="/arenden/alla/exportera"' in listing.text
        assert 'href="/statistik"' in listing.text and 'href="/rapporter"' in listing.text
        dialog = await http.get("/arenden/alla/exportera")
        assert dialog.status_code == 200
        for label in (
            "Ärendetyp",
            "Vill du inkludera ärendets formulärdata?",
            "Från datum",
            "Till datum",
            "Namnge din rapport",
            "Exportera",
        ):
            assert label in dialog.text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', dialog.text)
        assert csrf
        form = {"csrf_token": csrf.group(1), "case_type": case_type, "name": "chefen"}
        refused = await http.post(
            "/arenden/alla/exportera", data={**form, "include_form_data": "ja"}
        )
        assert refused.status_code == 422
        assert LIMIT_SV in refused.text
        accepted = await http.post(
            "/arenden/arkiverade/exportera", data={**form, "include_form_data": "nej"}
        )
        assert accepted.status_code == 200
        assert "Ärenden - Boende med stöd: chefen" in accepted.text
        missing = await http.post("/arenden/alla/exportera", data={**form, "case_type": ""})
        assert missing.status_code == 422 and "Välj en ärendetyp" in missing.text

        page = await http.get("/rapporter")
        assert page.status_code == 200
        for label in ("Beställd", "Rapport", "Antal ärenden", "Typ", "Formulärdata", "Status"):
            assert f">{label}<" in page.text
        assert "Ärenden - Boende med stöd: chefen" in page.text and "Arkiverade" in page.text

        statistics = await http.get("/statistik")
        assert statistics.status_code == 200
        for label in ("Verksamhetstyp", "Förvaltning", "Inskickad", "Gallrad", "Totalt"):
            assert label in statistics.text
        dialog = await http.get(f"/statistik/exportera?case_type={case_type}")
        assert "Visa ärenden per:" in dialog.text and "Månad" in dialog.text
        english = await http.get("/statistik?lang=en")
        assert "Statistics" in english.text and "Purged" in english.text


async def test_an_order_is_listed_as_ordered_until_report_service_has_it(
    rgw: Gateway, case_app: FastAPI, report_app: FastAPI
) -> None:
    organization = await rgw.organization()
    case_type = await rgw.case_type(organization, name="Ansök om färdtjänst")
    handler = await rgw.staff([{"organization": organization, "role": "handler"}])
    colleague = await rgw.staff([{"organization": organization, "role": "handler"}])
    await insert_cases(case_app, case_type, 2, datetime(2026, 3, 1, tzinfo=UTC))
    report = await held_order(
        rgw, handler.headers, case_type=case_type, include_form_data=True, name="väntar"
    )
    report_id = report["id"]
    answer = {**report, "ordered_at": report["ordered_at"].isoformat().replace("+00:00", "Z")}

    async with rgw.client() as http, rgw.client() as browser:
        await rgw.browser_login(browser, handler.username, handler.password)
        # Listed at once, exactly as the order's answer (Beställd), by the API and the page.
        listed = (await http.get("/api/v1/reports", headers=handler.headers)).json()
        assert listed == [answer]
        one = await http.get(f"/api/v1/reports/{report_id}", headers=handler.headers)
        assert one.json() == answer
        file = await http.get(f"/api/v1/reports/{report_id}/file", headers=handler.headers)
        assert file.status_code == 409
        assert file.json() == {"detail": "Rapporten är inte klar än"}
        page = await browser.get("/rapporter")
        assert page.status_code == 200
        row = re.search(
            rf'<tr data-report-id="{report_id}" data-status="ordered">(.*?)</tr>', page.text, re.S
        )
        assert row, page.text
        assert "Ärenden - Ansök om färdtjänst: väntar" in row.group(1)
        assert "Beställd" in row.group(1) and ">2<" in row.group(1)
        assert f"/rapporter/{report_id}/fil" not in page.text
        assert "Du har inga rapporter" not in page.text
        assert '<meta http-equiv="refresh"' in page.text

        # Only the orderer sees it.
        other = (await http.get("/api/v1/reports", headers=colleague.headers)).json()
        assert report_id not in {r["id"] for r in other}
        for method, path in (
            ("GET", f"/api/v1/reports/{report_id}"),
            ("GET", f"/api/v1/reports/{report_id}/file"),
            ("DELETE", f"/api/v1/reports/{report_id}"),
        ):
            response = await http.request(method, path, headers=colleague.headers)
            assert response.status_code == 404, (method, path)
        assert await staged(rgw, report_id)
        assert not await report_service_has(report_app, report_id)

        # report-service receives it: listed once, from report-service; the memory is gone.
        await release(rgw, report_id)
        await eventually(lambda: report_service_has(report_app, report_id), timeout=30)
        listed = (await http.get("/api/v1/reports", headers=handler.headers)).json()
        assert [r["id"] for r in listed] == [report_id]
        assert not await remembered(rgw, report_id)
        page = await browser.get("/rapporter")
        assert page.text.count(f'data-report-id="{report_id}"') == 1
        finished = await done(rgw, handler.headers, report_id)
        assert finished["status"] == "done", finished["reason"]
        assert finished["case_count"] == 2


async def test_deleting_an_order_report_service_has_not_received(
    rgw: Gateway, case_app: FastAPI, report_app: FastAPI
) -> None:
    organization = await rgw.organization()
    case_type = await rgw.case_type(organization, name="Ansök om bostadsanpassning")
    handler = await rgw.staff([{"organization": organization, "role": "handler"}])
    await insert_cases(case_app, case_type, 1, datetime(2026, 4, 1, tzinfo=UTC))
    sessions = rgw.app.state.runtime.sessions

    async with rgw.client() as http:
        # Still in the gateway's outbox: the delete takes the event back with the order, and
        # report-service never hears of it.
        cancelled = (await held_order(rgw, handler.headers, case_type=case_type))["id"]
        listed = (await http.get("/api/v1/reports", headers=handler.headers)).json()
        assert [(r["id"], r["status"]) for r in listed] == [(cancelled, "ordered")]
        async with sessions() as session:
            event_id = await event_of(session, cancelled)
        deleted = await http.delete(f"/api/v1/reports/{cancelled}", headers=handler.headers)
        assert deleted.status_code == 204, deleted.text
        assert (await http.get("/api/v1/reports", headers=handler.headers)).json() == []
        assert not await remembered(rgw, cancelled)
        async with sessions() as session:
            left = await session.scalar(
                select(func.count()).select_from(outbox).where(outbox.c.event_id == event_id)
            )
        assert left == 0

        # Being published (the relay holds its outbox row, as this lock does) and not received:
        # nothing can stop it any more, so the delete is refused until report-service has it.
        report_id = (await held_order(rgw, handler.headers, case_type=case_type))["id"]
        async with transaction(sessions) as relay:
            await relay.execute(
                select(outbox.c.id)
                .where(outbox.c.event_id == await event_of(relay, report_id))
                .with_for_update()
            )
            refused = await http.delete(f"/api/v1/reports/{report_id}", headers=handler.headers)
            assert refused.status_code == 409
            assert refused.json() == {"detail": NOT_RECEIVED}
            english = await http.delete(
                f"/api/v1/reports/{report_id}",
                headers={**handler.headers, "Accept-Language": "en"},
            )
            assert english.json() == {
                "detail": "The report has been ordered but not received yet. "
                "Please try again in a moment."
            }
            listed = (await http.get("/api/v1/reports", headers=handler.headers)).json()
            assert [r["id"] for r in listed] == [report_id]

        # Received: deleted in report-service, and forgotten by the gateway.
        await release(rgw, report_id)
        await eventually(lambda: report_service_has(report_app, report_id), timeout=30)
        deleted = await http.delete(f"/api/v1/reports/{report_id}", headers=handler.headers)
        assert deleted.status_code == 204, deleted.text
        assert (await http.get("/api/v1/reports", headers=handler.headers)).json() == []
        assert not await remembered(rgw, report_id)
        assert not await report_service_has(report_app, report_id)
