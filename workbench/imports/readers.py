"""Turn an uploaded .xlsx or .csv file into a header and numbered rows of plain strings.

The reader checks the content, not only the name: an .xlsx must really be a zip holding a
workbook, a .csv must be text. CSV files come from Chinese Excel users in GBK as often as in
UTF-8 (with or without a BOM), so the encoding is detected (utf-8-sig first, then GB18030,
a superset of GBK). Row numbers are those a person sees in the spreadsheet: the header is
usually row 1, and blank rows are skipped without shifting the numbers of the rows below.
"""
from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import PurePath

from flask_babel import lazy_gettext as _l

from workbench.errors import ServiceError

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_ROWS = 100_000

ZIP_SIGNATURE = b"PK\x03\x04"
# The old binary .xls (and .doc) format: an OLE compound file.
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# A workbook of a few MB can unpack to far more; this bounds what we let openpyxl inflate.
MAX_UNPACKED_RATIO = 30
CSV_ENCODINGS = ("utf-8-sig", "gb18030")
CSV_DELIMITERS = (",", ";", "\t")


class ImportRefused(ServiceError):
    """The whole file is refused (wrong type, too large, bad columns); nothing is saved."""


@dataclass
class Sheet:
    """The table found in a file: header cells and the non-empty rows below them."""

    header_row: int
    headers: list[str]
    # (row number as the spreadsheet shows it, cells as stripped strings)
    rows: list[tuple[int, list[str]]] = field(default_factory=list)


def cell_text(value) -> str:
    """A cell value as the text a person typed: numbers without a spurious '.0', dates ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def read_sheet(filename: str, data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES,
               max_rows: int = DEFAULT_MAX_ROWS) -> Sheet:
    """Read the first sheet of an .xlsx or a .csv file, or raise ImportRefused saying why."""
    if len(data) > max_bytes:
        raise ImportRefused(_l("The file is too large: at most %(mb)s MB can be imported at once.",
                               mb=_megabytes(max_bytes)))
    suffix = PurePath(filename or "").suffix.lower()
    if suffix == ".xlsx":
        rows = _xlsx_rows(data, max_bytes)
    elif suffix == ".csv":
        rows = _csv_rows(data)
    elif suffix == ".xls":
        raise ImportRefused(_l("Old .xls workbooks cannot be read. Open the file in Excel and save it "
                               "as .xlsx (Excel workbook) or .csv, then import it again."))
    else:
        raise ImportRefused(_l("Only .xlsx and .csv files can be imported."))
    return _collect(rows, max_rows)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g}"


def _collect(rows, max_rows: int) -> Sheet:
    """Find the header (the first non-empty row) and keep the non-empty rows below it."""
    sheet: Sheet | None = None
    for number, cells in rows:
        texts = [cell_text(value) for value in cells]
        while texts and not texts[-1]:
            texts.pop()
        if not texts:
            continue
        if sheet is None:
            sheet = Sheet(header_row=number, headers=texts)
            continue
        if len(sheet.rows) >= max_rows:
            raise ImportRefused(_l("The file has more than %(limit)d rows. Split it into smaller files "
                                   "and import them one after another.", limit=max_rows))
        sheet.rows.append((number, texts))
    if sheet is None:
        raise ImportRefused(_l("The file is empty: the first row must hold the column names."))
    if not sheet.rows:
        raise ImportRefused(_l("The file has column names but no rows below them."))
    return sheet


def _xlsx_rows(data: bytes, max_bytes: int):
    if data.startswith(OLE_SIGNATURE):
        raise ImportRefused(_l("This is an old .xls workbook renamed to .xlsx. Open it in Excel and save "
                               "it as .xlsx (Excel workbook), then import it again."))
    not_a_workbook = ImportRefused(_l("This file is not a real Excel workbook (.xlsx). Save it from Excel "
                                      "as an .xlsx workbook, or as .csv, and import it again."))
    if not data.startswith(ZIP_SIGNATURE):
        raise not_a_workbook
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
        unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise not_a_workbook from None
    if "xl/workbook.xml" not in names:
        raise not_a_workbook
    if unpacked > max_bytes * MAX_UNPACKED_RATIO:
        raise ImportRefused(_l("The workbook is too large once unpacked. Split it into smaller files."))
    return _iterate_workbook(data, not_a_workbook)


def _iterate_workbook(data: bytes, not_a_workbook: ImportRefused):
    import openpyxl

    try:
        # data_only: a formula cell gives the value Excel last computed, not the formula.
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds of errors for a damaged file
        raise not_a_workbook from None
    try:
        if not workbook.worksheets:
            raise not_a_workbook
        sheet = workbook.worksheets[0]
        # Files written by some tools carry a wrong <dimension>; read every row that exists.
        sheet.reset_dimensions()
        # In read-only mode merged cells come back as the top-left value and empty cells for
        # the rest, which is exactly how an import should read them. Missing rows come back
        # as empty ones, so enumerate() gives the row number a person sees.
        try:
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield number, values
        except ImportRefused:
            raise
        except Exception:
            raise not_a_workbook from None
    finally:
        workbook.close()


def _decode(data: bytes) -> str:
    if b"\x00" in data[:8192] or data.startswith((ZIP_SIGNATURE, OLE_SIGNATURE)):
        raise ImportRefused(_l("This file is not a CSV text file. If it is an Excel workbook, name it "
                               ".xlsx (or save it from Excel as .csv) and import it again."))
    for encoding in CSV_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportRefused(_l("The CSV file's text encoding is not recognised. Save it as CSV in UTF-8 "
                           "or GBK and import it again."))


def _delimiter(text: str) -> str:
    """Comma unless the header line plainly uses semicolons or tabs (European Excel, TSV)."""
    first_line = text.split("\n", 1)[0]
    return max(CSV_DELIMITERS, key=lambda candidate: (first_line.count(candidate), candidate == ","))


def _csv_rows(data: bytes):
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        # One record is one spreadsheet row, even when a quoted cell spans several lines.
        for number, values in enumerate(reader, start=1):
            yield number, values
    except csv.Error as exc:
        raise ImportRefused(_l("The CSV file could not be read: %(problem)s", problem=str(exc))) from None
