"""Workbooks as Excel reads them: types, dates, frozen header, filter, sizes, and no formula
ever made from user data (F-RE-7)."""

import zipfile
from datetime import UTC, datetime
from pathlib import Path

import openpyxl

from report_service.builder import FormColumns, form_text, header_values
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
