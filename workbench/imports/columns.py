"""The columns each kind of import accepts, and matching a file's header row to them.

A header may be written in English (the column key, e.g. ``org_unit``) or in Chinese (the
name used in the downloadable template, e.g. ``所属单位``); case, blanks, a trailing ``*``
(often used to mark required columns) and an explanation in brackets (``客户经理（用户名）``)
are ignored. The Chinese names are part of the file format, not UI text, so they are not
translated.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from workbench.imports.readers import ImportRefused


@dataclass(frozen=True)
class Column:
    key: str
    chinese: str
    label: object  # lazy English label for pages
    required: bool = False
    aliases: tuple[str, ...] = ()
    hint: object = ""
    # Codes and phone numbers are formatted as text in the template so Excel keeps leading zeros.
    text: bool = False
    sample: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        return (self.key, self.chinese, *self.aliases)


COLUMNS: dict[str, tuple[Column, ...]] = {
    "customers": (
        Column("code", "客户编码", _l("Customer code"), required=True, aliases=("customer_code", "集团编码"),
               hint=_l("Unique; an existing code updates that customer."), text=True, sample="C0000123"),
        Column("name", "客户名称", _l("Name"), required=True, aliases=("customer_name", "集团名称"),
               sample="江城市示例科技有限公司"),
        Column("industry", "行业", _l("Industry"), sample="信息技术"),
        Column("level", "客户级别", _l("Level"), aliases=("级别",), hint=_l("A, B, C or D (new customers: C)."),
               sample="B"),
        Column("owner", "客户经理", _l("Account manager"), aliases=("owner_username", "account_manager"),
               hint=_l("The account manager's username."), text=True, sample="am1"),
        Column("org_unit", "所属单位", _l("Unit"), aliases=("unit", "unit_code", "单位编码"),
               hint=_l("Unit code; when empty, the account manager's unit."), text=True, sample="G-BJ1"),
        Column("address", "地址", _l("Address"), sample="江城市滨江路1号"),
    ),
    "units": (
        Column("code", "单位编码", _l("Unit code"), required=True, aliases=("unit_code",),
               hint=_l("Unique; an existing code updates that unit."), text=True, sample="G-NEW1"),
        Column("name", "单位名称", _l("Name"), required=True, aliases=("unit_name",), sample="示例网格"),
        Column("level", "层级", _l("Level"), required=True, aliases=("级别",),
               hint=_l("province, city, county or grid (省, 市, 县区, 网格)."), sample="网格"),
        Column("parent", "上级单位编码", _l("Parent unit code"), aliases=("parent_code", "上级单位"),
               hint=_l("Empty only for the province. The parent may appear further down the same file."),
               text=True, sample="X-BJ"),
    ),
    "users": (
        Column("username", "用户名", _l("Username"), required=True, aliases=("login", "账号"),
               hint=_l("Unique; an existing username updates that person."), text=True, sample="zhangsan"),
        Column("display_name", "姓名", _l("Name"), aliases=("name",), sample="张三"),
        Column("email", "邮箱", _l("E-mail"), aliases=("e-mail", "电子邮箱"), sample="zhangsan@example.com"),
        Column("phone", "手机", _l("Phone"), aliases=("mobile", "手机号", "电话"), text=True, sample="13800000000"),
        Column("org_unit", "所属单位", _l("Unit"), required=True, aliases=("unit", "unit_code", "单位编码"),
               hint=_l("Unit code."), text=True, sample="G-BJ1"),
        Column("roles", "角色", _l("Roles"), required=True, aliases=("role",),
               hint=_l("Role names separated by commas, 、 or semicolons."), sample="account_manager"),
        Column("password", "初始密码", _l("Initial password"), aliases=("密码", "initial_password"),
               hint=_l("Optional; used only when the account is created."), text=True),
    ),
}

_BRACKETED = re.compile(r"[(（\[【].*?[)）\]】]")


def normalise_header(text: str) -> str:
    text = _BRACKETED.sub("", text or "")
    text = text.strip().rstrip("*＊").strip().lower()
    return re.sub(r"[\s\-]+", "_", text).replace("e_mail", "email")


@dataclass(frozen=True)
class HeaderMap:
    """Which spreadsheet column holds which field, and the header text the file used."""

    positions: dict[str, int]
    titles: dict[str, str]

    def values(self, cells: list[str]) -> dict[str, str]:
        return {key: (cells[index] if index < len(cells) else "") for key, index in self.positions.items()}


def map_headers(kind: str, headers: list[str]) -> HeaderMap:
    """Match the header cells to the kind's columns, or refuse the file naming what is wrong."""
    lookup = {normalise_header(name): column for column in COLUMNS[kind] for name in column.names}
    positions: dict[str, int] = {}
    titles: dict[str, str] = {}
    unknown: list[str] = []
    repeated: list[str] = []
    for index, header in enumerate(headers):
        if not header:
            continue  # an unnamed column (stray formatting) carries nothing we could use
        column = lookup.get(normalise_header(header))
        if column is None:
            unknown.append(header)
        elif column.key in positions:
            repeated.append(header)
        else:
            positions[column.key] = index
            titles[column.key] = header
    missing = [f"{column.chinese} ({column.key})" for column in COLUMNS[kind]
               if column.required and column.key not in positions]
    problems = []
    if missing:
        problems.append(_l("Missing required columns: %(names)s.", names=", ".join(missing)))
    if unknown:
        problems.append(_l("Unknown columns: %(names)s.", names=", ".join(unknown)))
    if repeated:
        problems.append(_l("Columns given twice: %(names)s.", names=", ".join(repeated)))
    if problems:
        message = " ".join(str(problem) for problem in problems)
        raise ImportRefused(_l("The file was not imported. %(problems)s Use the column names of the "
                               "template; nothing was saved.", problems=message))
    return HeaderMap(positions, titles)
