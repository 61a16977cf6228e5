"""Excel workbooks written with XlsxWriter in constant_memory (streaming) mode (F-RE-7).

Every value that comes from users (titles, names, references, form answers) is written with
`write_string`, never `write`, and the workbook's options turn XlsxWriter's own conversions of
strings to formulas, URLs and numbers off: a text beginning with `=`, `+`, `-`, `@`, a tab or a
carriage return stays a string, marked "quote prefix" so Excel does not make it a formula
either (a carriage return is stored as Excel's `_x000D_` escape, which Excel reads back).
Dates are real Excel dates (Swedish time), the header row is frozen and has an auto-filter,
columns are sized.

constant_memory keeps one row in memory: rows are written in order, and each sheet's rows go
to a temporary file in the folder of the workbook's own file until `save`. That folder is the
caller's to remove, built or not (`discard` closes the files of a workbook given up).
"""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from xlsxwriter import Workbook
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet
from xlsxwriter.xmlwriter import XMLwriter

TIMEZONE = ZoneInfo("Europe/Stockholm")
RISKY_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Characters XML 1.0 cannot carry: dropped (XlsxWriter would write them as _xHHHH_ escapes,
# which Excel shows as the control character); tab, LF and CR stay.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
MAX_CELL_TEXT = 32767  # Excel's limit of one cell
MAX_ROWS = 1_048_576  # Excel's limit of one sheet, the header row included
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"
HOURS_FORMAT = "0.0"
_LEADING_OR_TRAILING_SPACE = re.compile(r"^\s|\s$")
# What XlsxWriter writes as Excel's _xHHHH_ escapes: control characters, U+FFFE, U+FFFF, and a
# literal "_x0041_" (escaped itself, or Excel would show "A").
_ESCAPED = re.compile(r"_x[0-9a-fA-F]{4}_|[\x00-\x08\x0b-\x1f\ufffe\uffff]")

Kind = Literal["text", "int", "datetime", "date", "hours"]
DEFAULT_WIDTHS: dict[str, float] = {
    "text": 24,
    "int": 12,
    "datetime": 17,
    "date": 12,
    "hours": 12,
}
OPTIONS = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}


@dataclass(frozen=True)
class Column:
    header: str
    kind: Kind = "text"
    width: float | None = None


def clean_text(value: Any) -> str:
    """A value as cell text: XML-safe and within Excel's cell limit."""
    text = value if isinstance(value, str) else str(value)
    if _ILLEGAL.search(text):
        text = _ILLEGAL.sub("", text)
    return text if len(text) <= MAX_CELL_TEXT else text[:MAX_CELL_TEXT]


def excel_datetime(value: datetime | str | None) -> datetime | None:
    """A timestamp as Excel holds it: naive, in Swedish time."""
    if value is None or value == "":
        return None
    stamp = datetime.fromisoformat(value) if isinstance(value, str) else value
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(TIMEZONE).replace(tzinfo=None)
    return stamp


class TextSheet(Worksheet):  # type: ignore[misc]
    """A worksheet whose texts are always escaped, and escaped faster.

    In constant_memory mode XlsxWriter copies a string that begins with `<r>` and ends with
    `</r>` into the sheet's XML as it is, taking it for a rich string it built itself: a user's
    text shaped so would be XML of the user's choosing (a formula cell, say). These workbooks
    have no rich strings, so such a text is written as every other one.

    XlsxWriter runs four substitutions over every text for Excel's _xHHHH_ escapes; one search
    finds the few texts that need any (about a tenth of the writing time of an export).
    """

    def _xml_rich_inline_string(self, string: str, attributes: Any = ()) -> None:
        preserve = _LEADING_OR_TRAILING_SPACE.search(string) is not None
        self._xml_inline_string(string, preserve, list(attributes))

    @staticmethod
    def _escape_control_characters(data: str) -> str:
        if _ESCAPED.search(data) is None:
            return data
        return XMLwriter._escape_control_characters(data)  # type: ignore[no-any-return]


class ReportWorkbook(Workbook):  # type: ignore[misc]
    worksheet_class = TextSheet


Writer = Callable[[int, int, Any], object]


class SheetFull(ValueError):
    """More rows than a sheet holds (XlsxWriter would leave the rest out without a word)."""


class SheetWriter:
    """One streamed worksheet: header first, rows appended in order, closed by `save`."""

    max_rows = MAX_ROWS

    def __init__(self, workbook: Workbook, title: str, columns: Sequence[Column]) -> None:
        self.columns = list(columns)
        self.sheet: Worksheet = workbook.add_worksheet(title[:31])
        self.rows = 0
        self._quoted: Format = workbook.add_format({"quote_prefix": True})
        self._writers = [self._writer(workbook, column.kind) for column in self.columns]
        for index, column in enumerate(self.columns):
            width = column.width or max(
                DEFAULT_WIDTHS[column.kind], min(len(column.header) + 4, 60)
            )
            self.sheet.set_column(index, index, width)
        self.sheet.freeze_panes(1, 0)
        bold = workbook.add_format({"bold": True})
        bold_quoted = workbook.add_format({"bold": True, "quote_prefix": True})
        for index, column in enumerate(self.columns):
            text = clean_text(column.header)
            self.sheet.write_string(
                0, index, text, bold_quoted if text.startswith(RISKY_STARTS) else bold
            )

    def _writer(self, workbook: Workbook, kind: Kind) -> Writer | None:
        """How a column's values are written; None for text, written in `append` itself (the
        bulk of every sheet: a call less per cell)."""
        sheet = self.sheet
        if kind == "text":
            return None
        if kind == "int":
            return lambda row, col, value: sheet.write_number(row, col, int(value))
        if kind == "hours":
            hours = workbook.add_format({"num_format": HOURS_FORMAT})
            return lambda row, col, value: sheet.write_number(
                row, col, round(float(value), 1), hours
            )
        if kind == "date":
            days = workbook.add_format({"num_format": DATE_FORMAT})

            def day(row: int, col: int, value: Any) -> None:
                cell = value if isinstance(value, date) else date.fromisoformat(str(value))
                sheet.write_datetime(row, col, cell, days)

            return day
        stamps = workbook.add_format({"num_format": DATETIME_FORMAT})
        return lambda row, col, value: sheet.write_datetime(row, col, excel_datetime(value), stamps)

    def append(self, values: Sequence[Any]) -> None:
        row = self.rows + 1
        if row >= self.max_rows:
            raise SheetFull(f"a sheet holds at most {self.max_rows - 1} rows below its header")
        write_string, quoted = self.sheet.write_string, self._quoted
        for col, (write, value) in enumerate(zip(self._writers, values, strict=True)):
            if value is None or value == "":
                continue
            if write is not None:
                write(row, col, value)
                continue
            text = clean_text(value)
            if text:
                write_string(row, col, text, quoted if text.startswith(RISKY_STARTS) else None)
        self.rows = row

    def finish(self) -> None:
        """The auto-filter over the header and every row (written after the rows)."""
        self.sheet.autofilter(0, 0, self.rows, max(len(self.columns), 1) - 1)


def new_workbook(path: Path) -> Workbook:
    """A workbook streamed to `path`; its rows wait in temporary files in `path`'s folder."""
    return ReportWorkbook(str(path), {**OPTIONS, "tmpdir": str(path.parent)})


def save(workbook: Workbook, writers: Sequence[SheetWriter]) -> None:
    for writer in writers:
        writer.finish()
    workbook.close()


def discard(workbook: Workbook) -> None:
    """Close the row files of a workbook that will not be saved (its folder removes them)."""
    if not workbook.fileclosed:
        workbook.fileclosed = True
        for sheet in workbook.worksheets():
            sheet._opt_close()
