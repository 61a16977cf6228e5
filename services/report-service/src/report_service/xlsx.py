"""Excel workbooks written with openpyxl in write-only (streaming) mode (F-RE-7).

Every value that comes from users (titles, names, references, form answers) is a text cell:
a text beginning with `=`, `+`, `-`, `@`, a tab or a carriage return is typed as a string and
marked "quote prefix", so neither openpyxl nor Excel ever makes it a formula. Dates are real
Excel dates (Swedish time), the header row is frozen and has an auto-filter, columns are sized.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

TIMEZONE = ZoneInfo("Europe/Stockholm")
RISKY_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Characters XML 1.0 cannot carry (openpyxl refuses them); tab, LF and CR stay.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
MAX_CELL_TEXT = 32767  # Excel's limit of one cell
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"
HOURS_FORMAT = "0.0"

Kind = Literal["text", "int", "datetime", "date", "hours"]
DEFAULT_WIDTHS: dict[str, float] = {
    "text": 24,
    "int": 12,
    "datetime": 17,
    "date": 12,
    "hours": 12,
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


class SheetWriter:
    """One streamed worksheet: header first, rows appended, closed by `save`."""

    def __init__(self, workbook: Workbook, title: str, columns: Sequence[Column]) -> None:
        self.columns = list(columns)
        self.sheet: WriteOnlyWorksheet = workbook.create_sheet(title=title[:31])
        self.rows = 0
        # One styled cell per date column, refilled for each row: openpyxl writes a row's cells
        # during `append`, so reusing them saves a cell object and a style lookup per value.
        self._date_cells: dict[int, WriteOnlyCell] = {}
        for index, column in enumerate(self.columns, 1):
            width = column.width or max(
                DEFAULT_WIDTHS[column.kind], min(len(column.header) + 4, 60)
            )
            self.sheet.column_dimensions[get_column_letter(index)].width = width
        self.sheet.freeze_panes = "A2"
        bold = Font(bold=True)
        header = []
        for column in self.columns:
            cell = self._text(column.header)
            cell.font = bold
            header.append(cell)
        self.sheet.append(header)

    def _text(self, text: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(self.sheet, value=None)
        cell.value = text
        cell.data_type = "s"  # never "f", whatever the text begins with
        if text.startswith(RISKY_STARTS):
            cell.quotePrefix = True
        return cell

    def _cell(self, kind: Kind, value: Any, index: int = -1) -> Any:
        if value is None or value == "":
            return None
        if kind == "text":
            text = clean_text(value)
            # A plain text needs no cell object of its own: openpyxl writes it as a string.
            return self._text(text) if text.startswith(RISKY_STARTS) else text
        if kind == "int":
            return int(value)
        if kind == "hours":
            cell = WriteOnlyCell(self.sheet, value=round(float(value), 1))
            cell.number_format = HOURS_FORMAT
            return cell
        if kind == "date":
            day = value if isinstance(value, date) else date.fromisoformat(str(value))
            cell = WriteOnlyCell(self.sheet, value=day)
            cell.number_format = DATE_FORMAT
            return cell
        cell = self._date_cells.get(index)
        if cell is None:
            cell = WriteOnlyCell(self.sheet, value=None)
            cell.number_format = DATETIME_FORMAT
            self._date_cells[index] = cell
        cell.value = excel_datetime(value)
        return cell

    def append(self, values: Sequence[Any]) -> None:
        self.sheet.append(
            [
                self._cell(column.kind, value, index)
                for index, (column, value) in enumerate(zip(self.columns, values, strict=True))
            ]
        )
        self.rows += 1

    def finish(self) -> None:
        """The auto-filter over the header and every row (written after the rows)."""
        last = get_column_letter(max(len(self.columns), 1))
        self.sheet.auto_filter.ref = f"A1:{last}{self.rows + 1}"


def new_workbook() -> Workbook:
    return Workbook(write_only=True)


def save(workbook: Workbook, writers: Sequence[SheetWriter], path: Path) -> None:
    for writer in writers:
        writer.finish()
    workbook.save(path)
