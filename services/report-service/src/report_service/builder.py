"""Builds one report's workbook: case exports from case-service's export API, statistics from
report-service's own counters and facts.

The workbook is streamed (XlsxWriter constant_memory) to a temporary folder page by page; the
CPU work of each page runs in a thread so the service keeps answering while it builds, and the
folder goes with every file in it, built or not.
"""

import asyncio
import contextlib
import json
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from xlsxwriter import Workbook

from arende_contracts.access import Actor
from arende_contracts.events import ReportRequestedData
from arende_contracts.reports import limit_message
from arende_contracts.statuses import status_label
from report_service import statistics
from report_service.texts import translate
from report_service.xlsx import Column, SheetFull, SheetWriter, discard, new_workbook, save

Progress = Callable[[int], Awaitable[None]]


class ReportError(Exception):
    """A report that cannot be built, with the reason the orderer sees."""

    def __init__(self, reason: str, *, transient: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient


@dataclass
class Built:
    data: bytes
    case_count: int


def orderer(order: ReportRequestedData) -> Actor:
    """The orderer as the gateway authenticated them when the order was taken."""
    return Actor(
        username=order.ordered_by,
        name=order.orderer_name,
        superuser=order.superuser,
        grants=order.grants,
    )


class CaseSource:
    """Pages of cases from case-service's export API, on behalf of the orderer."""

    def __init__(self, client: httpx.AsyncClient, token: str, page_size: int) -> None:
        self.client = client
        self.token = token
        self.page_size = page_size

    def _headers(self, actor: Actor) -> dict[str, str]:
        header = json.dumps(actor.model_dump(mode="json"), ensure_ascii=True, separators=(",", ":"))
        return {"x-internal-token": self.token, "x-actor": header}

    @staticmethod
    def _params(order: ReportRequestedData) -> dict[str, Any]:
        params: dict[str, Any] = {
            "case_type": order.case_type,
            "archived": "true" if order.archived else "false",
        }
        if order.date_from is not None:
            params["date_from"] = order.date_from.isoformat()
        if order.date_to is not None:
            params["date_to"] = order.date_to.isoformat()
        return params

    async def _get(self, path: str, order: ReportRequestedData, params: dict[str, Any]) -> Any:
        lang = order.language
        try:
            response = await self.client.get(
                path, params=params, headers=self._headers(orderer(order))
            )
        except httpx.TransportError as exc:
            raise ReportError(
                translate("Ärendetjänsten svarade inte. Beställ rapporten igen.", lang),
                transient=True,
            ) from exc
        if response.status_code == 404:
            raise ReportError(translate("Du har inte behörighet till ärendetypen.", lang))
        if response.status_code >= 500:
            raise ReportError(
                translate("Ärendetjänsten svarade inte. Beställ rapporten igen.", lang),
                transient=True,
            )
        response.raise_for_status()
        return response.json()

    async def count(self, order: ReportRequestedData) -> int:
        body = await self._get("/internal/cases/export/count", order, self._params(order))
        return int(body["count"])

    async def pages(self, order: ReportRequestedData) -> AsyncIterator[list[dict[str, Any]]]:
        after = 0
        while True:
            params = {
                **self._params(order),
                "include_form": "true" if order.include_form_data else "false",
                "after": after,
                "limit": self.page_size,
            }
            body = await self._get("/internal/cases/export", order, params)
            if body["items"]:
                yield body["items"]
            if body.get("next_after") is None:
                return
            after = int(body["next_after"])


HEADER_COLUMNS: tuple[tuple[str, str], ...] = (
    ("Ärende id", "int"),
    ("Ärendetyp", "text"),
    ("Rubrik", "text"),
    ("Status", "text"),
    ("Skickades in", "datetime"),
    ("Ändrades", "datetime"),
    ("Inskickat av", "text"),
    ("Namn", "text"),
    ("Handläggare", "text"),
    ("Referens", "text"),
    ("Förvaltning", "text"),
    ("Verksamhetstyp", "text"),
)


def header_values(case: dict[str, Any], lang: str) -> list[Any]:
    anonymous = case.get("submitter_kind") == "anonymous"
    submitted_by = (
        translate("Anonym", lang)
        if anonymous
        else case.get("submitter_personal_number") or case.get("submitter_account")
    )
    try:
        status = status_label(case["status"], lang)
    except ValueError:
        status = case["status"]
    return [
        case["id"],
        case.get("case_type_name"),
        case.get("title"),
        status,
        case.get("submitted_at"),
        case.get("updated_at"),
        submitted_by,
        case.get("submitter_name"),
        case.get("handler") or case.get("handler_group"),
        case.get("reference"),
        case.get("organization_name"),
        case.get("business_area"),
    ]


def form_text(value: Any, lang: str) -> str | None:
    """A form answer as text (every form answer is user data: always a text cell)."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, bool):
        return translate("Ja" if value else "Nej", lang)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


class FormColumns:
    """One column per form field, in the order fields first appear (section, then field), the
    label as header; a label used in two sections gets its section in brackets."""

    def __init__(self) -> None:
        self.keys: dict[tuple[str, str], int] = {}
        self.headers: list[tuple[str, str]] = []  # (label, section)

    def add(self, form: list[dict[str, Any]] | None) -> None:
        for section in form or []:
            title = str(section.get("section") or "")
            for field in section.get("fields") or []:
                key = (title, str(field.get("key")))
                if key not in self.keys:
                    self.keys[key] = len(self.headers)
                    self.headers.append((str(field.get("label") or field.get("key")), title))

    def columns(self) -> list[Column]:
        seen: dict[str, int] = {}
        for label, _ in self.headers:
            seen[label] = seen.get(label, 0) + 1
        return [
            Column(f"{label} ({section})" if seen[label] > 1 and section else label)
            for label, section in self.headers
        ]

    def sparse(self, form: list[dict[str, Any]] | None, lang: str) -> list[tuple[int, str]]:
        """The answers of one form as (column, text), adding columns for new fields: what a
        form export keeps of a case until every column is known."""
        self.add(form)
        answers: list[tuple[int, str]] = []
        for section in form or []:
            title = str(section.get("section") or "")
            for field in section.get("fields") or []:
                text = form_text(field.get("value"), lang)
                if text is not None:
                    answers.append((self.keys[(title, str(field.get("key")))], text))
        return answers

    def row(self, answers: list[tuple[int, str]]) -> list[Any]:
        values: list[Any] = [None] * len(self.headers)
        for index, text in answers:
            values[index] = text
        return values

    def values(self, form: list[dict[str, Any]] | None, lang: str) -> list[Any]:
        return self.row(self.sparse(form, lang))


async def build_cases(
    order: ReportRequestedData,
    source: CaseSource,
    progress: Progress,
    form_limit: int,
) -> Built:
    lang = order.language
    header = [Column(translate(h, lang), kind) for h, kind in HEADER_COLUMNS]  # type: ignore[arg-type]
    count = 0
    loop = asyncio.get_running_loop()
    # One thread writes the whole workbook, page after page (constant_memory takes rows in
    # order). The folder is removed after that thread has stopped, so nothing it still writes
    # when a build fails can land outside it.
    with (
        tempfile.TemporaryDirectory(prefix="report-") as folder,
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="report-writer") as writer,
    ):
        path = Path(folder) / "report.xlsx"
        workbook = new_workbook(path)
        try:
            if order.include_form_data:
                # Form exports are at most `form_limit` cases: kept in memory until every
                # field's column is known, then written.
                total = await source.count(order)
                if total > form_limit:
                    raise ReportError(limit_message(total, form_limit, lang))
                # Kept compactly (header values and the answers as (column, text)): the forms'
                # dicts go with their page.
                rows: list[tuple[list[Any], list[tuple[int, str]]]] = []
                fields = FormColumns()
                async for page in source.pages(order):
                    for case in page:
                        rows.append(
                            (header_values(case, lang), fields.sparse(case.get("form"), lang))
                        )
                    await progress(len(rows))

                def write_all() -> SheetWriter:
                    sheet = SheetWriter(
                        workbook, translate("Ärenden", lang), header + fields.columns()
                    )
                    for values, answers in rows:
                        sheet.append(values + fields.row(answers))
                    return sheet

                sheet = await loop.run_in_executor(writer, write_all)
                count = sheet.rows
            else:
                sheet = await loop.run_in_executor(
                    writer, SheetWriter, workbook, translate("Ärenden", lang), header
                )

                def write_page(page: list[dict[str, Any]]) -> None:
                    for case in page:
                        sheet.append(header_values(case, lang))

                async for page in source.pages(order):
                    await loop.run_in_executor(writer, write_page, page)
                    count += len(page)
                    await progress(count)
            await loop.run_in_executor(writer, save, workbook, [sheet])
        except SheetFull as exc:
            await loop.run_in_executor(writer, discard, workbook)
            raise ReportError(
                translate(
                    "Rapporten har fler ärenden än ett Excel-blad rymmer ({rows}). "
                    "Välj ett kortare datumintervall.",
                    lang,
                    rows=SheetWriter.max_rows - 1,
                )
            ) from exc
        except BaseException:
            # Also when the build is cancelled: the row files are closed after the page that
            # is being written, then removed with the folder.
            with contextlib.suppress(Exception):
                await loop.run_in_executor(writer, discard, workbook)
            raise
        return Built(data=path.read_bytes(), case_count=count)


def _period_cell(label: str, period: str) -> Any:
    if period == "day":
        return date.fromisoformat(label)
    return label


async def build_statistics(
    order: ReportRequestedData, sessions: async_sessionmaker[AsyncSession], progress: Progress
) -> Built:
    lang = order.language
    period: statistics.Period = order.period or "month"
    async with sessions() as session:
        counts = await statistics.per_period(
            session, order.case_type, period, order.date_from, order.date_to
        )
        times = await statistics.handling_times(
            session, order.case_type, period, order.date_from, order.date_to
        )
    period_kind = "date" if period == "day" else "text"
    with tempfile.TemporaryDirectory(prefix="report-") as folder:
        path = Path(folder) / "report.xlsx"

        def write_sheets(workbook: Workbook) -> None:
            first = SheetWriter(
                workbook,
                translate("Statistik", lang),
                [Column(translate("Datum", lang), period_kind)]  # type: ignore[arg-type]
                + [Column(translate(label, lang), "int") for _, label in statistics.COLUMNS]
                + [Column(translate("Totalt", lang), "int")],
            )
            for row in counts:
                first.append(
                    [_period_cell(row["period"], period)]
                    + [row[code] for code, _ in statistics.COLUMNS]
                    + [row["total"]]
                )
            second = SheetWriter(
                workbook,
                translate("Handläggningstider", lang),
                [
                    Column(translate("Period", lang), period_kind),  # type: ignore[arg-type]
                    Column(translate("Inkomna", lang), "int"),
                    Column(translate("Avslutade", lang), "int"),
                    Column(translate("Obesvarade", lang), "int"),
                    Column(translate("Inkom>Förd (timmar)", lang), "hours"),
                    Column(translate("Förd>Påbörj (timmar)", lang), "hours"),
                    Column(translate("Påbörj>Avsl (timmar)", lang), "hours"),
                    Column(translate("Handl tid (timmar)", lang), "hours"),
                ],
            )
            for row in times:
                second.append(
                    [
                        _period_cell(row["period"], period),
                        row["received"],
                        row["closed"],
                        row["unanswered"],
                        row["received_to_assigned"],
                        row["assigned_to_started"],
                        row["started_to_closed"],
                        row["received_to_closed"],
                    ]
                )
            save(workbook, [first, second])

        def write() -> None:
            workbook = new_workbook(path)
            try:
                write_sheets(workbook)
            except BaseException:
                discard(workbook)
                raise

        await asyncio.to_thread(write)
        total = statistics.period_sum(counts)
        await progress(total)
        return Built(data=path.read_bytes(), case_count=total)
