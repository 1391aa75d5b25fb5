"""Files the import pages hand out: the error report of a run (.xlsx or .csv) and the blank
template of each kind (.xlsx with the Chinese column names, a sample row and a help sheet).

Values in an error report come from uploaded files, so they are written as plain text: a
cell starting with "=" must not become a formula in the reader's Excel (CSV injection).
"""
from __future__ import annotations

import csv
import io
from pathlib import PurePath

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill

from workbench.imports.columns import COLUMNS
from workbench.imports.models import ImportRun

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIMETYPE = "text/csv"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
REQUIRED_FILL = PatternFill("solid", fgColor="FFF2CC")


def _report_headers() -> list[str]:
    return [_("Row"), _("Column"), _("Value"), _("Reason")]


def _report_rows(run: ImportRun):
    for error in run.errors or []:
        yield [error.get("row"), error.get("column", ""), error.get("value", ""), error.get("reason", "")]


def report_filename(run: ImportRun, extension: str) -> str:
    return f"{PurePath(run.filename).stem or 'import'}-errors.{extension}"


def _csv_safe(value) -> object:
    """Neutralise text Excel would run as a formula; plain numbers such as +86… stay readable."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        if value[0] in "+-" and value[1:].replace(" ", "").replace("-", "").isdigit():
            return value
        return "'" + value
    return value


def error_report_csv(run: ImportRun) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(_report_headers())
    for cells in _report_rows(run):
        writer.writerow([_csv_safe(value) for value in cells])
    # UTF-8 with a BOM: Excel on Chinese Windows then opens it without garbling.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def error_report_xlsx(run: ImportRun) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Errors"))
    sheet.column_dimensions["A"].width = 8
    sheet.column_dimensions["B"].width = 18
    sheet.column_dimensions["C"].width = 28
    sheet.column_dimensions["D"].width = 70
    bold = Font(bold=True)
    header_cells = []
    for title in _report_headers():
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for cells in _report_rows(run):
        row = []
        for value in cells:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # text, never a formula, whatever it starts with
            row.append(cell)
        sheet.append(row)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def template_filename(kind: str) -> str:
    return f"import-{kind}-template.xlsx"


def template_xlsx(kind: str) -> bytes:
    """The blank template: Chinese headers (required ones shaded, with a note), a sample row,
    code columns formatted as text so Excel keeps leading zeros, and a help sheet."""
    columns = COLUMNS[kind]
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Data")
    bold = Font(bold=True)
    for index, column in enumerate(columns, start=1):
        header = sheet.cell(row=1, column=index, value=column.chinese)
        header.font = bold
        if column.required:
            header.fill = REQUIRED_FILL
        note = str(column.hint) if column.hint else ""
        if column.required:
            note = (_("Required.") + " " + note).strip()
        if note:
            header.comment = Comment(note, "workbench")
        letter = header.column_letter
        sheet.column_dimensions[letter].width = max(14, len(column.sample or "") * 2 + 2)
        if column.text:
            sheet.column_dimensions[letter].number_format = "@"
        sample = sheet.cell(row=2, column=index, value=column.sample or None)
        if column.text:
            sample.number_format = "@"
    sheet.freeze_panes = "A2"
    help_sheet = workbook.create_sheet(_("Help"))
    help_sheet.append([_("Column"), _("Also accepted"), _("Required"), _("What to enter")])
    for cell in help_sheet[1]:
        cell.font = bold
    for column in columns:
        help_sheet.append([column.chinese, ", ".join((column.key, *column.aliases)),
                           _("Yes") if column.required else _("No"), str(column.hint)])
    help_sheet.append([])
    help_sheet.append([_("Replace the sample row with your data. Row 1 holds the column names; only the "
                         "first sheet is read. Re-importing the same file changes nothing.")])
    for letter, width in (("A", 16), ("B", 36), ("C", 10), ("D", 70)):
        help_sheet.column_dimensions[letter].width = width
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()
