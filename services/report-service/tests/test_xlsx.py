"""Workbooks as Excel reads them: types, dates, frozen header, filter, sizes, and no formula
ever made from user data (F-RE-7)."""

import gc
import io
import tempfile
import uuid
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.utils.escape import unescape
from xlsxwriter.xmlwriter import XMLwriter

from arende_contracts.events import ReportRequestedData
from report_service.builder import (
    FormColumns,
    ReportError,
    build_cases,
    form_text,
    header_values,
)
from report_service.xlsx import (
    MAX_CELL_TEXT,
    Column,
    SheetFull,
    SheetWriter,
    TextSheet,
    discard,
    new_workbook,
    save,
)

INJECTIONS = [
    "=1+1",
    '=HYPERLINK("http://evil.example","klicka")',
    "+46701234567",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "=cmd|' /C calc'!A0",
    # XlsxWriter's constant_memory copies a text shaped like its own rich strings into the XML:
    '<r><t>a</t></r></is></c><c r="C9"><f>HYPERLINK("http://evil.example")</f></c><c><is><r></r>',
]


def excel_text(value: str) -> str:
    """A cell's text as Excel shows it: XlsxWriter writes a carriage return as Excel's _x000D_
    escape, which Excel decodes and openpyxl leaves as it is."""
    return unescape(value)


def test_user_text_never_becomes_a_formula(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    workbook = new_workbook(path)
    sheet = SheetWriter(
        workbook, "Ärenden", [Column("Id", "int"), Column("Rubrik"), Column("=1+1 fält")]
    )
    for index, text in enumerate(INJECTIONS, 1):
        sheet.append([index, text, None])
    save(workbook, [sheet])

    ws = openpyxl.load_workbook(path)["Ärenden"]
    values = [(row[0].value, row[1].value, row[1].data_type) for row in ws.iter_rows(min_row=2)]
    assert [excel_text(v[1]) for v in values] == INJECTIONS  # kept exactly, as text
    assert all(data_type == "s" for _, _, data_type in values)
    risky = [row[1].quotePrefix for row in ws.iter_rows(min_row=2)]
    assert risky == [not text.startswith("<") for text in INJECTIONS]
    # A form field's label is user data too.
    assert ws["C1"].value == "=1+1 fält" and ws["C1"].data_type == "s" and ws["C1"].quotePrefix
    assert ws["C1"].font.bold
    # In the file itself: no formula element anywhere, the texts are inline strings.
    with zipfile.ZipFile(path) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml
    assert xml.count('t="inlineStr"') >= len(INJECTIONS)
    assert _files(tmp_path) == [path.name]  # no row file left beside it


def test_control_characters_and_excels_cell_limit(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    workbook = new_workbook(path)
    sheet = SheetWriter(workbook, "Ärenden", [Column("Rubrik"), Column("Text")])
    long = "å" * (MAX_CELL_TEXT + 10)
    sheet.append(["rad\nett\x0bA\x1f\x00", long])
    sheet.append(["_x0041_ står kvar", "\x01\x02"])  # nothing but control characters: empty
    save(workbook, [sheet])

    ws = openpyxl.load_workbook(path)["Ärenden"]
    # Characters XML cannot carry are dropped; LF stays; a literal _x0041_ is not Excel's "A".
    assert ws["A2"].value == "rad\nettA"
    assert excel_text(ws["A3"].value) == "_x0041_ står kvar"
    assert ws["B2"].value == "å" * MAX_CELL_TEXT  # cut at Excel's limit
    assert ws["B3"].value is None


def test_texts_are_escaped_as_xlsxwriter_escapes_them() -> None:
    texts = [chr(code) + "x" for code in range(32)] + [
        "vanlig text",
        "_x0041_",
        "_X004a_ och _xZZZZ_",
        "slut\ufffe\uffff",
        "",
    ]
    for text in texts:
        assert TextSheet._escape_control_characters(text) == (
            XMLwriter._escape_control_characters(text)
        )


def test_a_sheet_refuses_rows_beyond_its_limit(tmp_path: Path) -> None:
    workbook = new_workbook(tmp_path / "r.xlsx")
    sheet = SheetWriter(workbook, "Ärenden", [Column("Id", "int")])
    sheet.max_rows = 3
    sheet.append([1])
    sheet.append([2])
    with pytest.raises(SheetFull):
        sheet.append([3])
    discard(workbook)


def test_types_dates_header_filter_and_widths(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    workbook = new_workbook(path)
    columns = [
        Column("Ärende id", "int"),
        Column("Rubrik"),
        Column("Skickades in", "datetime"),
        Column("Timmar", "hours"),
    ]
    sheet = SheetWriter(workbook, "Ärenden", columns)
    sheet.append([10001, "Ansökan", datetime(2026, 11, 24, 9, 15, tzinfo=UTC), 12.345])
    sheet.append([10002, "Åsa\x00 Öberg\x07", "2026-06-01T12:00:00+00:00", None])
    save(workbook, [sheet])

    ws = openpyxl.load_workbook(path)["Ärenden"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("Ärende id", "Rubrik", "Skickades in", "Timmar")
    # Swedish time: 09:15 UTC is 10:15 in November, 12:00 UTC is 14:00 in June.
    assert rows[1] == (10001, "Ansökan", datetime(2026, 11, 24, 10, 15), 12.3)
    assert rows[2] == (10002, "Åsa Öberg", datetime(2026, 6, 1, 14, 0), None)
    assert ws["C2"].is_date and ws["C2"].number_format == "yyyy-mm-dd hh:mm"
    assert ws["D2"].number_format == "0.0"
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


class _FailingSource(_Source):
    """Case pages until case-service stops answering."""

    async def pages(self, order: Any) -> AsyncIterator[list[dict[str, Any]]]:
        async for page in super().pages(order):
            yield page
        raise ReportError("Ärendetjänsten svarade inte.", transient=True)


def _files(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


@pytest.mark.asyncio
@pytest.mark.parametrize("form", [False, True])
async def test_a_build_leaves_no_file_behind_built_or_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, form: bool
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where every temporary file goes
    built = await build_cases(_order(include_form_data=form), _Source(_cases(5)), _no_progress, 5)
    assert built.case_count == 5 and _files(tmp_path) == []

    # Failing after some rows are written: case-service gone (header export), or a case that
    # cannot be written (form export, which writes once every case is fetched).
    cases = _cases(5)
    cases[3]["id"] = "inte ett id"
    source = _Source(cases) if form else _FailingSource(_cases(5))
    with pytest.raises(ReportError if not form else ValueError):
        await build_cases(_order(include_form_data=form), source, _no_progress, 5)
    gc.collect()  # a row file left open would warn here (and warnings fail the tests)
    assert _files(tmp_path) == []


@pytest.mark.asyncio
async def test_more_cases_than_a_sheet_holds_fail_the_report(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(SheetWriter, "max_rows", 4)
    with pytest.raises(ReportError) as refused:
        await build_cases(_order(language="en"), _Source(_cases(5)), _no_progress, 5000)
    assert refused.value.reason == (
        "The report has more cases than an Excel sheet holds (3). Choose a shorter date range."
    )
