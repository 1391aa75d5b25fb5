"""Writing rows to an .xlsx workbook with openpyxl's write-only mode (rows go to disk as they
come, so memory stays flat whatever the number of rows).

Every text value is written as a text cell: a value starting with = + - @ (or a tab or
carriage return) is never a formula in the reader's Excel (formula injection), and codes keep
their leading zeros. Characters XML cannot hold (control characters) are dropped rather than
failing the whole file. Chinese needs nothing special: .xlsx is UTF-8 XML.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Callable, Iterable

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"
# Excel's limit for one cell.
MAX_CELL_CHARS = 32_767
SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def csv_safe(value):
    """A value for a CSV cell that Excel will not run as a formula: text starting with a
    formula character gets a leading apostrophe; plain numbers such as +86… stay readable."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        if value[0] in "+-" and value[1:].replace(" ", "").replace("-", "").isdigit():
            return value
        return "'" + value
    return value


def safe_text(value) -> str:
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    return text[:MAX_CELL_CHARS]


def text_cell(sheet, value) -> WriteOnlyCell:
    """A cell holding `value`; strings are always text, never formulas."""
    if value is None:
        return WriteOnlyCell(sheet, value=None)
    if isinstance(value, bool):
        return WriteOnlyCell(sheet, value=value)
    if isinstance(value, (int, float, Decimal)):
        return WriteOnlyCell(sheet, value=value)
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATETIME_FORMAT
        return cell
    if isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT
        return cell
    cell = WriteOnlyCell(sheet, value=safe_text(value))
    # openpyxl would store "=..." as a formula; the data type makes it an inline string.
    cell.data_type = "s"
    return cell


def write_workbook(target: IO[bytes], sheet_title: str, headers: list[str], rows: Iterable[list],
                   widths: list[int] | None = None, on_row: Callable[[int], None] | None = None) -> int:
    """Write one sheet (bold header row, frozen) to `target`; returns the number of rows.
    `on_row(n)` is called after each row (progress)."""
    workbook = Workbook(write_only=True)
    title = SHEET_TITLE_FORBIDDEN.sub(" ", safe_text(sheet_title)).strip()[:31]
    sheet = workbook.create_sheet(title or "Sheet1")
    for index, width in enumerate(widths or [], start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header_cells = []
    for title in headers:
        cell = text_cell(sheet, title)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    count = 0
    for values in rows:
        sheet.append([text_cell(sheet, value) for value in values])
        count += 1
        if on_row is not None:
            on_row(count)
    workbook.save(target)
    return count
