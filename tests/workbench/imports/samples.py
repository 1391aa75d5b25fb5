"""Builders of small import files for the tests: .xlsx written with openpyxl (optionally with
a cached formula value patched into the sheet XML, as Excel would save it) and CSV text in a
chosen encoding. Nothing binary is checked in."""
from __future__ import annotations

import io
import re
import zipfile

from openpyxl import Workbook

CUSTOMER_HEADERS_ZH = ["客户编码", "客户名称", "行业", "客户级别", "客户经理", "所属单位", "地址"]
CUSTOMER_HEADERS_EN = ["code", "name", "industry", "level", "owner", "org_unit", "address"]


def xlsx(rows: list[list], merge: list[str] = (), formulas: dict[str, str] | None = None) -> bytes:
    """A workbook whose first sheet holds `rows` (None leaves a row empty). `formulas` maps a
    cell ("B3") to the value Excel would have cached for the formula written in that cell."""
    workbook = Workbook()
    sheet = workbook.active
    for number, cells in enumerate(rows, start=1):
        for column, value in enumerate(cells or [], start=1):
            if value is not None:
                sheet.cell(row=number, column=column, value=value)
    for cell_range in merge:
        sheet.merge_cells(cell_range)
    output = io.BytesIO()
    workbook.save(output)
    data = output.getvalue()
    return _cache_formula_values(data, formulas) if formulas else data


def _cache_formula_values(data: bytes, formulas: dict[str, str]) -> bytes:
    """openpyxl writes formulas without a cached value; Excel writes both. Add the value."""
    source = zipfile.ZipFile(io.BytesIO(data))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = content.decode("utf-8")
                for ref, value in formulas.items():
                    text, count = re.subn(rf'<c r="{ref}"><f>(.*?)</f><v\s*/>',
                                          rf'<c r="{ref}" t="str"><f>\1</f><v>{value}</v>', text)
                    assert count == 1, f"formula cell {ref} not found"
                content = text.encode("utf-8")
            target.writestr(item, content)
    return output.getvalue()


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    text = "\r\n".join(",".join(cells) for cells in rows) + "\r\n"
    return text.encode(encoding)
