"""The registry of import kinds: what can be imported, with which columns, by whom.

The core declares its kinds (customers, contacts, members, units, users) from its own
`workbench_init_app`; a plugin declares its own the same way — no extra hook is needed:

    from workbench.imports.kinds import ImportKind, register_import_kind

    @hookimpl
    def workbench_init_app(app):
        register_import_kind(app, ImportKind("site_visits.visits", _l("Site visits"), COLUMNS,
                                             VisitRows, permission="site_visits.import",
                                             key_columns=("customer_code", "visit_date")))

The registry lives on the app (tests build many apps with different plugins), so a kind is
available only in the apps whose plugins declared it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l

from workbench.errors import NotFound
from workbench.imports.columns import Column

EXTENSION_KEY = "workbench.import_kinds"


@dataclass(frozen=True)
class ImportKind:
    """One kind of import.

    `importer` is a `workbench.imports.rows.RowImporter` subclass that checks and saves a row;
    `key_columns` are the columns whose values identify a record (the natural key): a row
    whose key exists updates that record, so importing a file twice changes nothing, and a
    key repeated further down the same file is reported.
    """

    key: str
    label: Any
    columns: tuple[Column, ...]
    importer: type
    permission: str
    key_columns: tuple[str, ...] = ("code",)
    description: Any = ""
    order: int = 100

    def column(self, key: str) -> Column | None:
        return next((column for column in self.columns if column.key == key), None)

    @property
    def secret_columns(self) -> frozenset[str]:
        return frozenset(column.key for column in self.columns if column.secret)


def _check(kind: ImportKind) -> None:
    keys = [column.key for column in kind.columns]
    if len(keys) != len(set(keys)):
        raise ValueError(f"import kind {kind.key!r}: two columns share a key")
    for key in kind.key_columns:
        column = kind.column(key)
        if column is None or not column.required:
            raise ValueError(f"import kind {kind.key!r}: key column {key!r} must be a required column")


def register_import_kind(app: Flask, kind: ImportKind) -> None:
    """Make `kind` importable in `app` (call it from workbench_init_app)."""
    _check(kind)
    kinds = app.extensions.setdefault(EXTENSION_KEY, {})
    if kind.key in kinds:
        raise ValueError(f"the import kind {kind.key!r} is declared twice")
    kinds[kind.key] = kind


def import_kinds() -> list[ImportKind]:
    kinds = current_app.extensions.get(EXTENSION_KEY, {}).values()
    return sorted(kinds, key=lambda kind: (kind.order, kind.key))


def find_import_kind(key: str | None) -> ImportKind | None:
    return current_app.extensions.get(EXTENSION_KEY, {}).get(key or "")


def get_import_kind(key: str | None) -> ImportKind:
    kind = find_import_kind(key)
    if kind is None:
        raise NotFound(_l("Unknown kind of import."))
    return kind
