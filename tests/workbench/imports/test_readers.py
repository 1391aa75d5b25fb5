"""Reading import files: encodings of CSV, what openpyxl gives for formulas, merged cells and
blank rows, refusing files that are not what their name says, too large or too long, and
matching header rows in Chinese or English. These need no database."""
from __future__ import annotations

import pytest

from tests.workbench.imports.samples import CUSTOMER_HEADERS_EN, CUSTOMER_HEADERS_ZH, csv_bytes, xlsx
from workbench.imports.columns import map_headers
from workbench.imports.readers import ImportRefused, read_sheet


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_in_utf8_with_or_without_bom_and_in_gbk_reads_the_same(encoding):
    data = csv_bytes([CUSTOMER_HEADERS_ZH, ["C1", "滨江县人民医院", "医疗卫生", "A", "am1", "G1", "滨江路"]], encoding)
    sheet = read_sheet("客户.csv", data)
    assert sheet.headers == CUSTOMER_HEADERS_ZH
    assert sheet.rows == [(2, ["C1", "滨江县人民医院", "医疗卫生", "A", "am1", "G1", "滨江路"])]


def test_csv_rows_keep_their_spreadsheet_numbers_across_blank_lines():
    data = b"code,name\r\nC1,a\r\n\r\n,\r\nC2,b\r\n"
    assert read_sheet("x.csv", data).rows == [(2, ["C1", "a"]), (5, ["C2", "b"])]


def test_csv_with_semicolons_is_read():
    sheet = read_sheet("x.csv", "code;name\nC1;甲\n".encode())
    assert sheet.headers == ["code", "name"] and sheet.rows == [(2, ["C1", "甲"])]


def test_xlsx_formula_gives_the_value_excel_computed():
    data = xlsx([["code", "name"], ["C1", '=CONCATENATE("滨江","医院")']], formulas={"B2": "滨江医院"})
    assert read_sheet("a.xlsx", data).rows == [(2, ["C1", "滨江医院"])]


def test_xlsx_merged_cells_give_the_value_only_in_the_top_left_cell():
    data = xlsx([["code", "name", "industry"], ["C1", "合并", None]], merge=["B2:C2"])
    assert read_sheet("a.xlsx", data).rows == [(2, ["C1", "合并"])]


def test_xlsx_empty_rows_are_skipped_and_numbers_are_those_of_the_sheet():
    data = xlsx([["code", "name"], ["C1", "a"], None, None, ["C2", "b"]])
    assert read_sheet("a.xlsx", data).rows == [(2, ["C1", "a"]), (5, ["C2", "b"])]


def test_xlsx_numbers_keep_no_spurious_decimal_point():
    data = xlsx([["code", "phone"], [10001, 13800000000.0]])
    assert read_sheet("a.xlsx", data).rows == [(2, ["10001", "13800000000"])]


def test_a_text_file_renamed_to_xlsx_is_refused():
    with pytest.raises(ImportRefused, match="not a real Excel workbook"):
        read_sheet("customers.xlsx", b"code,name\nC1,a\n")


def test_a_zip_that_is_not_a_workbook_is_refused():
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    with pytest.raises(ImportRefused, match="not a real Excel workbook"):
        read_sheet("customers.xlsx", buffer.getvalue())


def test_an_old_xls_workbook_is_refused_with_advice():
    with pytest.raises(ImportRefused, match="save it as .xlsx"):
        read_sheet("customers.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)


def test_an_excel_workbook_named_csv_is_refused():
    with pytest.raises(ImportRefused, match="not a CSV text file"):
        read_sheet("customers.csv", xlsx([["code", "name"], ["C1", "a"]]))


def test_other_file_types_are_refused():
    with pytest.raises(ImportRefused, match="Only .xlsx and .csv"):
        read_sheet("customers.txt", b"code,name\n")


def test_a_file_over_the_size_limit_is_refused():
    with pytest.raises(ImportRefused, match="too large"):
        read_sheet("a.csv", b"code,name\n" + b"C1,a\n" * 100, max_bytes=200)


def test_a_file_over_the_row_limit_is_refused():
    data = csv_bytes([["code", "name"]] + [[f"C{n}", "a"] for n in range(4)])
    with pytest.raises(ImportRefused, match="more than 3 rows"):
        read_sheet("a.csv", data, max_rows=3)


def test_a_file_with_only_a_header_is_refused():
    with pytest.raises(ImportRefused, match="no rows"):
        read_sheet("a.csv", b"code,name\n\n")


def test_headers_in_english_or_chinese_map_to_the_same_columns():
    chinese = map_headers("customers", CUSTOMER_HEADERS_ZH)
    english = map_headers("customers", [h.upper() for h in CUSTOMER_HEADERS_EN])
    assert chinese.positions == english.positions


def test_required_marks_and_explanations_in_headers_are_ignored():
    header = map_headers("customers", ["客户编码*", "客户名称 *", "客户经理（用户名）", "Org Unit"])
    assert set(header.positions) == {"code", "name", "owner", "org_unit"}
    assert header.titles["owner"] == "客户经理（用户名）"


def test_a_missing_required_column_refuses_the_file_naming_it():
    with pytest.raises(ImportRefused) as refused:
        map_headers("customers", ["客户编码", "行业"])
    assert "客户名称 (name)" in str(refused.value)


def test_an_unknown_column_refuses_the_file_naming_it():
    with pytest.raises(ImportRefused) as refused:
        map_headers("units", ["单位编码", "单位名称", "层级", "负责人"])
    assert "Unknown columns: 负责人" in str(refused.value)


def test_a_column_given_twice_refuses_the_file():
    with pytest.raises(ImportRefused, match="given twice: name"):
        map_headers("customers", ["code", "客户名称", "name"])
