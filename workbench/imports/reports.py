"""Files the import pages hand out: the error report of a run (.xlsx or .csv) and the blank
template of each kind (.xlsx with the Chinese column names, a sample row and a help sheet).

The .xlsx report's first sheet holds each row that was not imported exactly as the file had
it, with the column names of the file, every cell with a problem shaded and carrying the
reason as a comment, and two columns added at the end: the row number in the original file
and all the reasons. Corrected, it can be imported again as it is (the two added columns are
recognised and left out). The second sheet lists the problems one per line.

Values in a report come from uploaded files, so they are written as text: a cell starting
with "=" must never become a formula in the reader's Excel (formula injection).
"""
from __future__ import annotations

import csv
import io
from pathlib import PurePath

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from workbench.exports.writer import csv_safe, safe_text, text_cell
from workbench.imports.columns import REPORT_ERRORS_TITLE, REPORT_ROW_TITLE
from workbench.imports.kinds import ImportKind
from workbench.imports.models import ImportRun
from workbench.imports.services import row_errors

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIMETYPE = "text/csv"
REQUIRED_FILL = PatternFill("solid", fgColor="FFF2CC")
PROBLEM_FILL = PatternFill("solid", fgColor="F8CBAD")


def _problem_headers() -> list[str]:
    return [_("Row"), _("Column"), _("Value"), _("Reason")]


def _problem_lines(entries):
    for entry in entries:
        for problem in entry.problems:
            yield [entry.row_number, problem.get("title", ""), problem.get("value", ""), problem.get("reason", "")]


def report_filename(run: ImportRun, extension: str) -> str:
    return f"{PurePath(run.filename).stem or 'import'}-errors.{extension}"


def error_report_csv(run: ImportRun) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(_problem_headers())
    for cells in _problem_lines(row_errors(run)):
        writer.writerow([csv_safe(value) for value in cells])
    # UTF-8 with a BOM: Excel on Chinese Windows then opens it without garbling.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _bold_row(sheet, titles) -> list:
    cells = []
    for title in titles:
        cell = text_cell(sheet, title)
        cell.font = Font(bold=True)
        cells.append(cell)
    return cells


def error_report_xlsx(run: ImportRun) -> bytes:
    workbook = Workbook(write_only=True)
    rows_sheet = workbook.create_sheet(_("Rows not imported"))
    headers = list(run.headers or [])
    entries = row_errors(run)
    width = max([len(headers)] + [len(entry.cells or []) for entry in entries])
    titles = [headers[index] if index < len(headers) else "" for index in range(width)]
    for index in range(width):
        rows_sheet.column_dimensions[get_column_letter(index + 1)].width = 16
    rows_sheet.column_dimensions[get_column_letter(width + 1)].width = 12
    rows_sheet.column_dimensions[get_column_letter(width + 2)].width = 60
    rows_sheet.freeze_panes = "A2"
    rows_sheet.append(_bold_row(rows_sheet, [*titles, str(REPORT_ROW_TITLE), str(REPORT_ERRORS_TITLE)]))
    for entry in entries:
        cells = list(entry.cells or [])
        cells.extend([""] * (width - len(cells)))
        by_index: dict[int, list[str]] = {}
        for problem in entry.problems:
            if problem.get("index") is not None:
                by_index.setdefault(problem["index"], []).append(problem.get("reason", ""))
        row = []
        for index, value in enumerate(cells):
            cell = text_cell(rows_sheet, value)
            if index in by_index:
                cell.fill = PROBLEM_FILL
                cell.comment = Comment(safe_text("\n".join(by_index[index])), "workbench")
            row.append(cell)
        reasons = "; ".join(f"{problem['title']}: {problem['reason']}" if problem.get("title")
                            else problem.get("reason", "") for problem in entry.problems)
        row.append(entry.row_number)
        row.append(text_cell(rows_sheet, reasons))
        rows_sheet.append(row)

    list_sheet = workbook.create_sheet(_("Problems"))
    for letter, width in (("A", 8), ("B", 18), ("C", 28), ("D", 70)):
        list_sheet.column_dimensions[letter].width = width
    list_sheet.append(_bold_row(list_sheet, _problem_headers()))
    for number, column, value, reason in _problem_lines(entries):
        list_sheet.append([number, text_cell(list_sheet, column), text_cell(list_sheet, value),
                           text_cell(list_sheet, reason)])
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def template_filename(kind: ImportKind) -> str:
    return f"import-{kind.key}-template.xlsx"


def template_xlsx(kind: ImportKind) -> bytes:
    """The blank template: Chinese headers (required ones shaded, with a note), a sample row,
    code columns formatted as text so Excel keeps leading zeros, and a help sheet."""
    columns = kind.columns
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
