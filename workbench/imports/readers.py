"""Turn an uploaded .xlsx or .csv file into a header and numbered rows of plain strings.

The reader checks the content, not only the name: an .xlsx must really be a zip holding a
workbook (a PNG or a text file renamed .xlsx is refused, and so is an archive that would
unpack to far more than its size), a .csv must be text. CSV files come from Chinese Excel
users in GBK as often as in UTF-8 (with or without a BOM), so the encoding is detected
(utf-8-sig first, then GB18030, a superset of GBK). Workbooks are streamed with openpyxl in
read-only mode.

Row numbers are those a person sees in the spreadsheet; blank rows are skipped without
shifting the numbers of the rows below. The header is the row, among the first few, that
names the most known columns, so a title row above it ("2024年客户清单") is skipped.

Two things Excel users do are handled per cell rather than by refusing the whole file:
- a formula gives the value Excel last calculated; a formula without one (a file written
  by a program that does not calculate) is reported on its row;
- a merged cell spanning several rows of one column gives its value to each of those rows
  (that is what the person sees); a merged cell spanning several columns is reported, as
  the value cannot belong to two fields.
"""
from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import PurePath
from typing import Callable

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
# The header is looked for among this many non-empty rows at the top of the sheet.
HEADER_SEARCH_ROWS = 10
# Columns looked at when a merged range spans columns (a sheet has at most 16,384).
MAX_COLUMNS = 1000
SUPPORTED_SUFFIXES = (".xlsx", ".csv")

_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")
_MERGE_TAG = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Za-z]+[0-9]+:[A-Za-z]+[0-9]+)"')


class ImportRefused(ServiceError):
    """The whole file is refused (wrong type, too large, bad columns); nothing is saved."""


@dataclass
class Sheet:
    """The table found in a file: header cells and the non-empty rows below them."""

    header_row: int
    headers: list[str]
    # (row number as the spreadsheet shows it, cells as stripped strings)
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    # row number → {column index: why that cell cannot be used}
    cell_problems: dict[int, dict[int, object]] = field(default_factory=dict)


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


def suffix_of(filename: str) -> str:
    return PurePath(filename or "").suffix.lower()


def read_sheet(filename: str, data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES,
               max_rows: int = DEFAULT_MAX_ROWS, recognise: Callable[[str], bool] | None = None,
               limit_rows: int | None = None) -> Sheet:
    """Read the first sheet of an .xlsx or a .csv file, or raise ImportRefused saying why.

    `recognise(header)` tells whether a header names a known column (to find the header row);
    `limit_rows` stops after that many data rows (a preview).
    """
    if not data:
        raise ImportRefused(_l("The file is empty."))
    if len(data) > max_bytes:
        raise ImportRefused(_l("The file is too large: at most %(mb)s MB can be imported at once.",
                               mb=_megabytes(max_bytes)))
    suffix = suffix_of(filename)
    if suffix == ".xlsx":
        rows = _xlsx_rows(data, max_bytes)
    elif suffix == ".csv":
        rows = _csv_rows(data)
    elif suffix == ".xls":
        raise ImportRefused(_l("Old .xls workbooks cannot be read. Open the file in Excel and save it "
                               "as .xlsx (Excel workbook) or .csv, then import it again."))
    else:
        raise ImportRefused(_l("Only .xlsx and .csv files can be imported."))
    return _collect(rows, max_rows, recognise, limit_rows)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g}"


def _texts(values) -> list[str]:
    texts = [cell_text(value) for value in values]
    while texts and not texts[-1]:
        texts.pop()
    return texts


def _collect(rows, max_rows: int, recognise, limit_rows: int | None) -> Sheet:
    """Find the header among the first non-empty rows and keep the non-empty rows below it."""
    top: list[tuple[int, list[str], dict]] = []
    iterator = iter(rows)
    for number, values, problems in iterator:
        texts = _texts(values)
        if texts:
            top.append((number, texts, problems))
            if len(top) >= HEADER_SEARCH_ROWS:
                break
    if not top:
        raise ImportRefused(_l("The file is empty: the first row must hold the column names."))
    header_at = 0
    if recognise is not None:
        scores = [sum(1 for text in texts if text and recognise(text)) for _number, texts, _p in top]
        if max(scores) > 0:
            header_at = scores.index(max(scores))
    header_number, headers, _problems = top[header_at]
    sheet = Sheet(header_row=header_number, headers=headers)

    def keep(number: int, texts: list[str], problems: dict) -> bool:
        if len(sheet.rows) >= max_rows:
            raise ImportRefused(_l("The file has more than %(limit)d rows. Split it into smaller files "
                                   "and import them one after another.", limit=max_rows))
        sheet.rows.append((number, texts))
        if problems:
            sheet.cell_problems[number] = problems
        return limit_rows is not None and len(sheet.rows) >= limit_rows

    finished = False
    for number, texts, problems in top[header_at + 1:]:
        if keep(number, texts, problems):
            finished = True
            break
    if not finished:
        for number, values, problems in iterator:
            texts = _texts(values)
            if texts and keep(number, texts, problems):
                break
    if not sheet.rows:
        raise ImportRefused(_l("The file has column names but no rows below them."))
    return sheet


# --- .xlsx --------------------------------------------------------------------------------------

def _not_a_workbook() -> ImportRefused:
    return ImportRefused(_l("This file is not a real Excel workbook (.xlsx). Save it from Excel as an "
                            ".xlsx workbook, or as .csv, and import it again."))


def _xlsx_rows(data: bytes, max_bytes: int):
    if data.startswith(OLE_SIGNATURE):
        raise ImportRefused(_l("This is an old .xls workbook renamed to .xlsx. Open it in Excel and save "
                               "it as .xlsx (Excel workbook), then import it again."))
    if not data.startswith(ZIP_SIGNATURE):
        raise _not_a_workbook()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
        unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _not_a_workbook() from None
    if "xl/workbook.xml" not in names:
        raise _not_a_workbook()
    # zipfile never inflates an entry past its declared size, so the declared sizes bound
    # what reading can cost, whatever the archive claims.
    if unpacked > max_bytes * MAX_UNPACKED_RATIO:
        raise ImportRefused(_l("The workbook is too large once unpacked. Split it into smaller files."))
    return _iterate_workbook(data)


def _open_workbook(data: bytes, data_only: bool):
    import openpyxl

    try:
        return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=data_only)
    except Exception:  # openpyxl raises many kinds of errors for a damaged file
        raise _not_a_workbook() from None


def _scan_sheet(workbook, sheet) -> tuple[bool, list[str]]:
    """Whether the sheet holds formulas, and its merged ranges — read-only mode tells
    neither, so the sheet's XML is streamed once looking for them."""
    has_formulas = False
    merged: list[str] = []
    tail = b""
    with workbook._archive.open(sheet._worksheet_path) as source:
        while True:
            chunk = source.read(1 << 20)
            if not chunk:
                break
            # A tag cut by the chunk boundary is found whole with the tail of the last chunk
            # (a range found twice that way is the same range: duplicates are dropped).
            text = tail + chunk
            has_formulas = has_formulas or bool(_FORMULA_TAG.search(text))
            merged.extend(match.group(1).decode("ascii") for match in _MERGE_TAG.finditer(text))
            tail = text[-200:]
    return has_formulas, list(dict.fromkeys(merged))


def _iterate_workbook(data: bytes):
    workbook = _open_workbook(data, data_only=True)
    formulas_book = None
    try:
        if not workbook.worksheets:
            raise _not_a_workbook()
        sheet = workbook.worksheets[0]
        # Files written by some tools carry a wrong <dimension>; read every row that exists.
        sheet.reset_dimensions()
        try:
            has_formulas, merged_refs = _scan_sheet(workbook, sheet)
        except Exception:
            raise _not_a_workbook() from None
        formula_rows = None
        if has_formulas:
            # Read the sheet a second time alongside, for the formulas themselves: a formula
            # cell whose calculated value is missing reads as empty in the first.
            formulas_book = _open_workbook(data, data_only=False)
            formula_sheet = formulas_book.worksheets[0]
            formula_sheet.reset_dimensions()
            formula_rows = formula_sheet.iter_rows(values_only=True)
        merges = MergedRanges(merged_refs)
        try:
            # Missing rows come back as empty ones, so enumerate() gives the row number a person sees.
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                values = list(values)
                problems: dict[int, object] = {}
                if formula_rows is not None:
                    _uncalculated(values, next(formula_rows, ()), problems)
                merges.apply(number, values, problems)
                yield number, values, problems
        except ImportRefused:
            raise
        except Exception:
            raise _not_a_workbook() from None
    finally:
        workbook.close()
        if formulas_book is not None:
            formulas_book.close()


def _uncalculated(values: list, formulas, problems: dict) -> None:
    for index, formula in enumerate(formulas):
        if index < len(values) and values[index] is not None:
            continue
        text = formula if isinstance(formula, str) else getattr(formula, "text", None)
        if isinstance(text, str) and text.startswith("="):
            problems[index] = _l("This cell holds a formula (%(formula)s) without a calculated value. Open "
                                 "the file in Excel, save it, and import it again.", formula=text[:60])


class MergedRanges:
    """Applies the merged ranges of a sheet to its rows as they stream past (see the module
    docstring): a one-column range fills its value down, a wider one is reported."""

    def __init__(self, refs: list[str]):
        from openpyxl.utils import range_boundaries

        self.pending = []
        for ref in refs:
            try:
                min_col, min_row, max_col, max_row = range_boundaries(ref)
            except ValueError:
                continue
            self.pending.append([min_row, max_row, min_col, max_col, ref, None])
        self.pending.sort(key=lambda item: item[0])
        self.active: list[list] = []

    def apply(self, number: int, values: list, problems: dict) -> None:
        while self.pending and self.pending[0][0] <= number:
            self.active.append(self.pending.pop(0))
        if not self.active:
            return
        still_active = []
        for merged in self.active:
            min_row, max_row, min_col, max_col, ref, top_value = merged
            if number > max_row:
                continue
            still_active.append(merged)
            first = min_col - 1
            if min_col == max_col:
                if number == min_row:
                    merged[5] = values[first] if first < len(values) else None
                elif top_value is not None:
                    values.extend([None] * (first + 1 - len(values)))
                    values[first] = top_value
                continue
            reason = _l("Cells %(range)s are merged: unmerge them and put each value in its own cell.",
                        range=ref)
            for index in range(first, min(max_col, MAX_COLUMNS)):
                if number != min_row or index != first:
                    problems[index] = reason
        self.active = still_active


# --- .csv ---------------------------------------------------------------------------------------

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
            yield number, values, {}
    except csv.Error as exc:
        raise ImportRefused(_l("The CSV file could not be read: %(problem)s", problem=str(exc))) from None
