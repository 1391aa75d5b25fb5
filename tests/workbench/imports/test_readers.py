"""Reading import files: encodings of CSV, formulas (the cached value, or a clear problem when
there is none), merged cells, blank rows and title rows above the header, refusing files that
are not what their name says (a PNG, a zip bomb), empty, too large or too long, and matching
header rows in Chinese or English. The readers need no database; header matching uses the
app's translations."""
from __future__ import annotations

import pytest

from tests.workbench.imports.samples import CUSTOMER_HEADERS_EN, CUSTOMER_HEADERS_ZH, csv_bytes, png, xlsx, zip_bomb
from workbench.imports.columns import map_headers, recogniser
from workbench.imports.core_kinds import CUSTOMER_COLUMNS, UNIT_COLUMNS
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


def test_xlsx_formula_without_a_calculated_value_is_a_problem_of_its_cell():
    data = xlsx([["code", "name"], ["C1", "=A2&\"医院\""], ["C2", "乙"]], formulas={"B2": None})
    sheet = read_sheet("a.xlsx", data)
    assert sheet.rows == [(2, ["C1"]), (3, ["C2", "乙"])]
    assert list(sheet.cell_problems) == [2]
    assert "formula" in str(sheet.cell_problems[2][1]) and "without a calculated value" in str(sheet.cell_problems[2][1])


def test_xlsx_cells_merged_across_columns_are_a_problem_of_the_covered_cells():
    data = xlsx([["code", "name", "industry"], ["C1", "合并", None]], merge=["B2:C2"])
    sheet = read_sheet("a.xlsx", data)
    assert sheet.rows == [(2, ["C1", "合并"])]
    assert set(sheet.cell_problems[2]) == {2}
    assert "B2:C2 are merged" in str(sheet.cell_problems[2][2])


def test_xlsx_cells_merged_down_one_column_give_each_row_the_value():
    data = xlsx([["code", "name", "industry"], ["C1", "甲", "教育"], ["C2", "乙", None], ["C3", "丙", None]],
                merge=["C2:C4"])
    sheet = read_sheet("a.xlsx", data)
    assert sheet.rows == [(2, ["C1", "甲", "教育"]), (3, ["C2", "乙", "教育"]), (4, ["C3", "丙", "教育"])]
    assert sheet.cell_problems == {}


def test_a_title_row_above_the_header_is_skipped(app):
    data = xlsx([["2024年客户清单"], None, CUSTOMER_HEADERS_ZH, ["C1", "甲", "教育", "A", "am1", "G1", ""]],
                merge=["A1:G1"])
    sheet = read_sheet("a.xlsx", data, recognise=recogniser(CUSTOMER_COLUMNS))
    assert sheet.header_row == 3 and sheet.headers == CUSTOMER_HEADERS_ZH
    assert sheet.rows == [(4, ["C1", "甲", "教育", "A", "am1", "G1"])]


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


def test_a_png_named_xlsx_is_refused():
    with pytest.raises(ImportRefused, match="not a real Excel workbook"):
        read_sheet("customers.xlsx", png())


def test_an_archive_that_unpacks_to_far_more_than_its_size_is_refused():
    data = zip_bomb(unpacked_mb=20)
    assert len(data) < 100_000
    with pytest.raises(ImportRefused, match="too large once unpacked"):
        read_sheet("customers.xlsx", data, max_bytes=100_000)


def test_an_empty_file_is_refused():
    for name in ("a.csv", "a.xlsx"):
        with pytest.raises(ImportRefused, match="The file is empty"):
            read_sheet(name, b"")
    with pytest.raises(ImportRefused, match="The file is empty"):
        read_sheet("a.csv", b"\r\n,,\r\n\r\n")
    with pytest.raises(ImportRefused, match="The file is empty"):
        read_sheet("a.xlsx", xlsx([]))


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


def test_headers_in_english_or_chinese_map_to_the_same_columns(app):
    chinese = map_headers(CUSTOMER_COLUMNS, CUSTOMER_HEADERS_ZH)
    english = map_headers(CUSTOMER_COLUMNS, [h.upper() for h in CUSTOMER_HEADERS_EN])
    assert chinese.positions == english.positions


def test_required_marks_and_explanations_in_headers_are_ignored(app):
    header = map_headers(CUSTOMER_COLUMNS, ["客户编码*", "客户名称 *", "客户经理（用户名）", "Org Unit"])
    assert set(header.positions) == {"code", "name", "owner", "org_unit"}
    assert header.titles["owner"] == "客户经理（用户名）"


@pytest.mark.locale("en")
def test_a_missing_required_column_refuses_the_file_naming_it(app):
    with pytest.raises(ImportRefused) as refused:
        map_headers(CUSTOMER_COLUMNS, ["客户编码", "行业"])
    assert "客户名称 (name)" in str(refused.value)


@pytest.mark.locale("en")
def test_an_unknown_column_refuses_the_file_naming_it(app):
    with pytest.raises(ImportRefused) as refused:
        map_headers(UNIT_COLUMNS, ["单位编码", "单位名称", "层级", "负责人"])
    assert "Unknown columns: 负责人" in str(refused.value)


@pytest.mark.locale("en")
def test_a_column_given_twice_refuses_the_file(app):
    with pytest.raises(ImportRefused, match="given twice: name"):
        map_headers(CUSTOMER_COLUMNS, ["code", "客户名称", "name"])
