"""Builders of small import files for the tests: .xlsx written with openpyxl (optionally with
a cached formula value patched into the sheet XML, as Excel would save it), CSV text in a
chosen encoding, files that only pretend to be workbooks; and `imported()`, which runs a file
through the same steps as the pages (upload, confirm the columns, commit: the job runs).
Nothing binary is checked in."""
from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib

from openpyxl import Workbook

CUSTOMER_HEADERS_ZH = ["客户编码", "客户名称", "行业", "客户级别", "客户经理", "所属单位", "地址"]
CUSTOMER_HEADERS_EN = ["code", "name", "industry", "level", "owner", "org_unit", "address"]


def xlsx(rows: list[list], merge: list[str] = (), formulas: dict[str, str | None] | None = None) -> bytes:
    """A workbook whose first sheet holds `rows` (None leaves a row empty). `formulas` maps a
    cell ("B3") to the value Excel would have cached for the formula written in that cell
    (None: no cached value, as a program that does not calculate writes it)."""
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
    cached = {ref: value for ref, value in (formulas or {}).items() if value is not None}
    return _cache_formula_values(data, cached) if cached else data


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
                    text, count = re.subn(rf'<c r="{ref}"><f>(.*?)</f>(?:<v\s*/>|<v></v>)',
                                          rf'<c r="{ref}" t="str"><f>\1</f><v>{value}</v>', text)
                    assert count == 1, f"formula cell {ref} not found"
                content = text.encode("utf-8")
            target.writestr(item, content)
    return output.getvalue()


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    text = "\r\n".join(",".join(cells) for cells in rows) + "\r\n"
    return text.encode(encoding)


def png() -> bytes:
    """A real 1×1 PNG image."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b""))


def zip_bomb(unpacked_mb: int = 20) -> bytes:
    """A small zip that looks like a workbook but unpacks to `unpacked_mb` MB of zeros."""
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (unpacked_mb * 1024 * 1024))
    return output.getvalue()


def imported(actor, kind: str, filename: str, data: bytes, mapping: dict[int, str | None] | None = None):
    """Upload `data`, confirm the suggested columns (or `mapping`), commit — the job runs
    in-process after the commit — and return the finished run, fresh from the database."""
    from workbench.extensions import db
    from workbench.imports import services
    from workbench.imports.models import ImportRun

    run = services.upload(actor, kind, filename, data)
    db.session.commit()
    chosen = mapping if mapping is not None else {int(index): key for index, key in run.mapping.items()}
    services.start(actor, run, chosen)
    db.session.commit()
    db.session.expire_all()
    return db.session.get(ImportRun, run.id)


def reasons(run) -> dict[int, str]:
    """Row number → the reasons of its problems, joined."""
    from workbench.imports.services import row_errors

    return {entry.row_number: " | ".join(problem["reason"] for problem in entry.problems)
            for entry in row_errors(run)}


def problems(run) -> dict[int, list[dict]]:
    from workbench.imports.services import row_errors

    return {entry.row_number: entry.problems for entry in row_errors(run)}
