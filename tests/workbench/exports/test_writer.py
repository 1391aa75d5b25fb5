"""Writing workbooks: Chinese text as it is, values starting with = + - @ kept as text (never
a formula), characters XML cannot hold dropped, numbers and times as Excel types. No
database needed."""
from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

import openpyxl

from workbench.exports.writer import csv_safe, write_workbook

NASTY = ["=HYPERLINK(\"http://evil\",\"点我\")", "+1+2", "-3-4", "@SUM(A1)", "\t=1", "=cmd|' /C calc'!A0"]


def written(rows, headers=("名称", "数量", "日期")) -> bytes:
    output = io.BytesIO()
    write_workbook(output, "客户:列表/2024", list(headers), rows)
    return output.getvalue()


def test_chinese_text_numbers_and_times_are_written_as_such():
    data = written([["滨江县人民医院", 12, datetime(2024, 3, 5, 9, 30)], ["江城银行", 3.5, date(2024, 1, 2)]])
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    assert sheet.title == "客户 列表 2024"  # characters a sheet name cannot hold are replaced
    assert [cell.value for cell in sheet[1]] == ["名称", "数量", "日期"]
    assert [cell.value for cell in sheet[2]] == ["滨江县人民医院", 12, datetime(2024, 3, 5, 9, 30)]
    assert sheet["C2"].number_format == "yyyy-mm-dd hh:mm" and sheet["B3"].value == 3.5
    assert sheet["A1"].font.bold and sheet.freeze_panes == "A2"


def test_values_that_look_like_formulas_are_text_cells():
    data = written([[value, None, None] for value in NASTY])
    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    for number, value in enumerate(NASTY, start=2):
        cell = sheet.cell(row=number, column=1)
        assert cell.value == value and cell.data_type == "s"


def test_characters_xml_cannot_hold_are_dropped_instead_of_failing_the_file():
    sheet = openpyxl.load_workbook(io.BytesIO(written([["a\x00b\x07c", 1, None]]))).worksheets[0]
    assert sheet["A2"].value == "abc"


def test_csv_values_that_look_like_formulas_get_an_apostrophe_but_phone_numbers_do_not():
    assert csv_safe("=1+1") == "'=1+1" and csv_safe("@x") == "'@x" and csv_safe("-x") == "'-x"
    assert csv_safe("+86 138 0000 0000") == "+86 138 0000 0000" and csv_safe("普通") == "普通"
    assert csv_safe(5) == 5
