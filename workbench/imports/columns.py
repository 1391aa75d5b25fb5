"""The columns an import accepts, matching a file's header row to them, and checking each cell.

A kind of import declares its columns: a key, the Chinese name used in the downloadable
template, English and Chinese aliases, whether it is required, and a type (text, integer,
decimal, date, e-mail, phone, yes/no, one of a list) with an optional maximum length and an
extra validator. A header matches a column whatever its case and blanks, with or without a
trailing ``*`` (often used to mark required columns) or an explanation in brackets
(``客户经理（用户名）``). The Chinese names are part of the file format, not UI text, so they
are not translated.

On the web a person confirms the mapping (and maps headers that were not recognised) before
the import starts; the command line accepts only a file whose headers all match.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from openpyxl.utils import get_column_letter

from workbench.imports.readers import ImportRefused

COLUMN_TYPES = ("text", "integer", "decimal", "date", "email", "phone", "boolean", "choice")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_PATTERN = re.compile(r"^\+?[0-9][0-9 \-]*$")
DATE_PATTERN = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?$")
TRUE_WORDS = {"是", "y", "yes", "true", "1", "√", "✓", "t"}
FALSE_WORDS = {"否", "n", "no", "false", "0", "×", "f"}


@dataclass(frozen=True)
class Column:
    """One column of an import. `validate(value)` may return a reason (a lazy string) when
    the value is not acceptable; it sees the value after the type check normalised it."""

    key: str
    chinese: str
    label: Any  # lazy label for pages
    required: bool = False
    aliases: tuple[str, ...] = ()
    hint: Any = ""
    type: str = "text"
    max_length: int | None = None
    choices: tuple[str, ...] = ()
    validate: Callable[[str], Any] | None = None
    # Codes and phone numbers are formatted as text in the template so Excel keeps leading zeros.
    text: bool = False
    sample: str = ""
    # Never kept in the error report (an initial password).
    secret: bool = False

    def __post_init__(self):
        if self.type not in COLUMN_TYPES:
            raise ValueError(f"column {self.key}: type must be one of {COLUMN_TYPES}")

    @property
    def names(self) -> tuple[str, ...]:
        return (self.key, self.chinese, *self.aliases)


_BRACKETED = re.compile(r"[(（\[【].*?[)）\]】]")


def normalise_header(text: str) -> str:
    text = _BRACKETED.sub("", text or "")
    text = text.strip().rstrip("*＊").strip().lower()
    return re.sub(r"[\s\-]+", "_", text).replace("e_mail", "email")


def column_letter(index: int) -> str:
    """The spreadsheet letter of a 0-based column index (0 → A)."""
    return get_column_letter(index + 1)


# The error report adds these columns after the original ones; a corrected report can be
# imported again as it is, so they are recognised and left out, in either language.
REPORT_ROW_TITLE = _l("Row in the original file")
REPORT_ERRORS_TITLE = _l("Why it was not imported")


def report_titles() -> set[str]:
    titles = set()
    for locale in ("en", "zh_Hans_CN"):
        with force_locale(locale):
            titles.update(normalise_header(str(title)) for title in (REPORT_ROW_TITLE, REPORT_ERRORS_TITLE))
    return titles


def _lookup(columns) -> dict[str, Column]:
    return {normalise_header(name): column for column in columns for name in column.names}


def recogniser(columns) -> Callable[[str], bool]:
    """A test telling whether a header names one of `columns` (used to find the header row)."""
    lookup = _lookup(columns)
    return lambda header: normalise_header(header) in lookup


@dataclass(frozen=True)
class HeaderMap:
    """Which spreadsheet column holds which field, and the header text the file used."""

    positions: dict[str, int]
    titles: dict[str, str]

    def values(self, cells: list[str]) -> dict[str, str]:
        return {key: (cells[index] if index < len(cells) else "") for key, index in self.positions.items()}

    @classmethod
    def from_positions(cls, headers: list[str], positions: dict[str, int]) -> "HeaderMap":
        titles = {key: (headers[index] if index < len(headers) and headers[index] else column_letter(index))
                  for key, index in positions.items()}
        return cls(dict(positions), titles)


@dataclass(frozen=True)
class HeaderReading:
    """What the header row says before anyone confirms it: the suggested column per header
    position (None: not recognised), and the headers the report adds (ignored)."""

    suggested: dict[int, str | None]
    unknown: list[int]
    report_columns: list[int]


def read_headers(columns, headers: list[str]) -> HeaderReading:
    lookup = _lookup(columns)
    ignored = report_titles()
    suggested: dict[int, str | None] = {}
    unknown: list[int] = []
    report_columns: list[int] = []
    for index, header in enumerate(headers):
        normalised = normalise_header(header)
        if not normalised:
            suggested[index] = None
            continue
        column = lookup.get(normalised)
        if column is not None:
            suggested[index] = column.key
        elif normalised in ignored:
            suggested[index] = None
            report_columns.append(index)
        else:
            suggested[index] = None
            unknown.append(index)
    return HeaderReading(suggested, unknown, report_columns)


def header_label(headers: list[str], index: int) -> str:
    header = headers[index] if index < len(headers) else ""
    return f"{header} ({column_letter(index)})" if header else column_letter(index)


def mapping_problems(columns, headers: list[str], mapping: dict[int, str | None]) -> dict[str, list]:
    """Problems of a proposed mapping: {"": [...]} for the whole form, {"<index>": [...]} for
    one header's choice. Empty when the import can start."""
    by_key = {column.key: column for column in columns}
    problems: dict[str, list] = {}
    chosen: dict[str, list[int]] = {}
    for index, key in sorted(mapping.items()):
        if not key:
            continue
        if key not in by_key:
            problems.setdefault(str(index), []).append(_l("Unknown column."))
            continue
        chosen.setdefault(key, []).append(index)
    for key, indexes in chosen.items():
        if len(indexes) > 1:
            names = ", ".join(header_label(headers, index) for index in indexes)
            for index in indexes:
                problems.setdefault(str(index), []).append(
                    _l("%(column)s is chosen for several columns of the file (%(names)s): choose it for "
                       "one of them only.", column=by_key[key].chinese, names=names))
    missing = [f"{column.chinese} ({column.key})" for column in columns
               if column.required and column.key not in chosen]
    if missing:
        problems.setdefault("", []).append(
            _l("Required columns missing: %(names)s. Choose the column of your file that holds each, "
               "or add them to the file and upload it again.", names=", ".join(missing)))
    return problems


def strict_positions(columns, headers: list[str]) -> dict[str, int]:
    """The mapping when nobody can be asked (the command line): every header must name a
    column exactly once, and every required column must be there; else the file is refused."""
    reading = read_headers(columns, headers)
    repeated: list[str] = []
    positions: dict[str, int] = {}
    for index, key in reading.suggested.items():
        if key is None:
            continue
        if key in positions:
            repeated.append(headers[index])
        else:
            positions[key] = index
    missing = [f"{column.chinese} ({column.key})" for column in columns
               if column.required and column.key not in positions]
    unknown = [headers[index] for index in reading.unknown]
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
    return positions


def map_headers(columns, headers: list[str]) -> HeaderMap:
    """The strict mapping of `headers` to `columns` as a HeaderMap (see strict_positions)."""
    return HeaderMap.from_positions(headers, strict_positions(columns, headers))


# --- cells ------------------------------------------------------------------------------------

def check_value(column: Column, raw: str) -> tuple[str, Any]:
    """(normalised value, reason or None) for one cell. An empty optional cell is fine."""
    value = (raw or "").strip()
    if not value:
        return "", (_l("This field is required.") if column.required else None)
    if column.max_length is not None and len(value) > column.max_length:
        return value, _l("Too long (at most %(n)d characters).", n=column.max_length)
    value, reason = _typed(column, value)
    if reason is None and column.validate is not None:
        reason = column.validate(value)
    return value, reason


def _typed(column: Column, value: str) -> tuple[str, Any]:
    kind = column.type
    if kind == "integer":
        digits = value.replace(",", "").replace("，", "")
        if not re.fullmatch(r"[+-]?\d+", digits):
            return value, _l("Enter a whole number.")
        return str(int(digits)), None
    if kind == "decimal":
        try:
            number = Decimal(value.replace(",", "").replace("，", ""))
        except InvalidOperation:
            return value, _l("Enter a number.")
        if not number.is_finite():
            return value, _l("Enter a number.")
        return format(number.normalize(), "f"), None
    if kind == "date":
        match = DATE_PATTERN.match(value)
        try:
            parsed = date(*(int(part) for part in match.groups())) if match else None
        except ValueError:
            parsed = None
        if parsed is None:
            return value, _l("Enter a date such as 2024-03-31.")
        return parsed.isoformat(), None
    if kind == "email":
        if not EMAIL_PATTERN.match(value):
            return value, _l("Not a valid e-mail address.")
        return value, None
    if kind == "phone":
        digits = sum(ch.isdigit() for ch in value)
        if not PHONE_PATTERN.match(value) or not 5 <= digits <= 20:
            return value, _l("The phone number may contain only digits, spaces, + and -.")
        return value, None
    if kind == "boolean":
        word = value.lower()
        if word in TRUE_WORDS:
            return "true", None
        if word in FALSE_WORDS:
            return "false", None
        return value, _l("Enter 是 or 否 (yes or no).")
    if kind == "choice":
        for choice in column.choices:
            if choice.lower() == value.lower():
                return choice, None
        return value, _l("Must be one of %(choices)s.", choices=", ".join(column.choices))
    return value, None
