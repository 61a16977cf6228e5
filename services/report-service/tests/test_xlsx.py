"""Workbooks as Excel reads them: types, dates, frozen header, filter, sizes, and no formula
ever made from user data (F-RE-7)."""

import io
import uuid
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from arende_contracts.events import ReportRequestedData
from report_service.builder import (
    FormColumns,
    ReportError,
    build_cases,
    form_text,
    header_values,
)
from report_service.xlsx import Column, SheetWriter, new_workbook, save

INJECTIONS = [
    "=1+1",
    '=HYPERLINK("http://evil.example","klicka")',
    "+46701234567",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "=cmd|' /C calc'!A0",
]


def test_user_text_never_becomes_a_formula(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    workbook = new_workbook()
    sheet = SheetWriter(workbook, "Ärenden", [Column("Id", "int"), Column("Rubrik")])
    for index, text in enumerate(INJECTIONS, 1):
        sheet.append([index, text])
    save(workbook, [sheet], path)

    ws = openpyxl.load_workbook(path)["Ärenden"]
    values = [(row[0].value, row[1].value, row[1].data_type) for row in ws.iter_rows(min_row=2)]
    assert [v[1] for v in values] == INJECTIONS  # kept exactly, as text
    assert all(data_type == "s" for _, _, data_type in values)
    assert all(row[1].quotePrefix for row in ws.iter_rows(min_row=2))
    # In the file itself: no formula element anywhere, the texts are inline strings.
    with zipfile.ZipFile(path) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml
    assert xml.count('t="inlineStr"') >= len(INJECTIONS)


def test_types_dates_header_filter_and_widths(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    workbook = new_workbook()
    columns = [
        Column("Ärende id", "int"),
        Column("Rubrik"),
        Column("Skickades in", "datetime"),
        Column("Timmar", "hours"),
    ]
    sheet = SheetWriter(workbook, "Ärenden", columns)
    sheet.append([10001, "Ansökan", datetime(2026, 11, 24, 9, 15, tzinfo=UTC), 12.345])
    sheet.append([10002, "Åsa\x00 Öberg\x07", "2026-06-01T12:00:00+00:00", None])
    save(workbook, [sheet], path)

    ws = openpyxl.load_workbook(path)["Ärenden"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("Ärende id", "Rubrik", "Skickades in", "Timmar")
    # Swedish time: 09:15 UTC is 10:15 in November, 12:00 UTC is 14:00 in June.
    assert rows[1] == (10001, "Ansökan", datetime(2026, 11, 24, 10, 15), 12.3)
    assert rows[2] == (10002, "Åsa Öberg", datetime(2026, 6, 1, 14, 0), None)
    assert ws["C2"].is_date and ws["C2"].number_format == "yyyy-mm-dd hh:mm"
    assert ws["A2"].data_type == "n"
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:D3"
    assert ws["A1"].font.bold
    assert ws.column_dimensions["B"].width >= 20
    assert ws.column_dimensions["C"].width >= 16


def test_form_columns_keep_a_stable_order_and_every_answer_is_text() -> None:
    fields = FormColumns()
    first = [
        {
            "section": "Person",
            "fields": [
                {"key": "fornamn", "label": "Förnamn", "value": "Carin"},
                {"key": "alder", "label": "Ålder", "value": 42},
            ],
        }
    ]
    second = [
        {
            "section": "Person",
            "fields": [{"key": "fornamn", "label": "Förnamn", "value": "=1+1"}],
        },
        {
            "section": "Övrigt",
            "fields": [
                {"key": "fornamn", "label": "Förnamn", "value": "Olle"},
                {"key": "val", "label": "Val", "value": ["a", "b"]},
                {"key": "ok", "label": "Godkänd", "value": True},
            ],
        },
    ]
    fields.add(first)
    fields.add(second)
    assert [c.header for c in fields.columns()] == [
        "Förnamn (Person)",
        "Ålder",
        "Förnamn (Övrigt)",
        "Val",
        "Godkänd",
    ]
    assert fields.values(first, "sv") == ["Carin", "42", None, None, None]
    assert fields.values(second, "sv") == ["=1+1", None, "Olle", "a, b", "Ja"]
    assert form_text(False, "en") == "No"


def test_header_values_of_an_anonymous_case() -> None:
    case = {
        "id": 5,
        "case_type_name": "Flexlinjen",
        "title": "T",
        "status": "in_progress",
        "submitter_kind": "anonymous",
        "submitted_at": "2026-01-01T00:00:00+00:00",
        "updated_at": "2026-01-01T00:00:00+00:00",
        "organization_name": "Trafikkontoret",
    }
    values = header_values(case, "sv")
    assert values[3] == "Behandlas" and values[6] == "Anonym"


class _Source:
    """Case pages in memory, as case-service's export API would give them."""

    def __init__(self, cases: list[dict[str, Any]]) -> None:
        self.cases = cases

    async def count(self, order: Any) -> int:
        return len(self.cases)

    async def pages(self, order: Any) -> AsyncIterator[list[dict[str, Any]]]:
        for first in range(0, len(self.cases), 2):
            yield self.cases[first : first + 2]


def _order(**data: Any) -> ReportRequestedData:
    return ReportRequestedData(
        report_id=uuid.uuid4(),
        kind="cases",
        ordered_by="hanna",
        case_type="flexlinjen",
        name="x",
        **data,
    )


def _cases(n: int) -> list[dict[str, Any]]:
    return [
        {
            "id": i,
            "title": f"Ärende {i}",
            "status": "submitted",
            "submitted_at": "2026-11-24T09:15:00+00:00",
            "updated_at": "2026-11-24T09:15:00+00:00",
            "form": [{"section": "", "fields": [{"key": "a", "label": "A", "value": "x"}]}],
        }
        for i in range(1, n + 1)
    ]


async def _no_progress(done: int) -> None:
    return None


@pytest.mark.asyncio
async def test_the_worker_counts_again_and_refuses_above_the_limit() -> None:
    with pytest.raises(ReportError) as refused:
        await build_cases(_order(include_form_data=True), _Source(_cases(6)), _no_progress, 5)
    assert refused.value.reason == (
        "Din sökning genererade 6 träffar vilket överskrider det maximalt tillåtna 5. "
        "Vänligen justera datumintervallet för att reducera antalet träffar."
    )
    built = await build_cases(_order(include_form_data=True), _Source(_cases(5)), _no_progress, 5)
    assert built.case_count == 5


@pytest.mark.asyncio
async def test_an_english_order_has_english_headers_and_statuses() -> None:
    seen: list[int] = []

    async def progress(done: int) -> None:
        seen.append(done)

    built = await build_cases(_order(language="en"), _Source(_cases(3)), progress, 5000)
    ws = openpyxl.load_workbook(io.BytesIO(built.data))["Cases"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:4] == ("Case id", "Case type", "Title", "Status")
    assert rows[1][3] == "Submitted" and len(rows) == 4
    assert seen == [2, 3]  # progress after every page
