"""The registry of export kinds: which lists can be exported, with which columns.

A kind names the list, its columns (a translated label and a value getter each) and the
query: a function of the person and the list page's filters (the page's query-string
arguments) returning the very SELECT the page shows — so the data-scope rule applies to the
export exactly as to the page, and an export can never hold a row the page would not.

    from workbench.exports.kinds import ExportColumn, ExportKind, register_export_kind

    @hookimpl
    def workbench_init_app(app):
        register_export_kind(app, ExportKind(
            "site_visits.visits", _l("Site visits"),
            columns=(ExportColumn("customer", _l("Customer"), lambda visit: visit.customer.name),
                     ExportColumn("planned", _l("Planned"), lambda visit: local_datetime(visit.planned_at))),
            query=lambda user, args: services.visit_query(user, VisitFilter.from_args(args)),
            permission="site_visits.export"))

The query must select one mapped entity with an `id` primary key (`select(Visit)...`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Mapping

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from flask_babel import to_user_timezone

from workbench.errors import NotFound

EXTENSION_KEY = "workbench.export_kinds"


@dataclass(frozen=True)
class ExportColumn:
    """One column: `value(record)` gives the cell (text, number, date/datetime or None)."""

    key: str
    label: Any
    value: Callable[[Any], Any]
    width: int = 16


@dataclass(frozen=True)
class ExportKind:
    key: str
    label: Any
    columns: tuple[ExportColumn, ...]
    query: Callable[[Any, Mapping[str, str]], Any]
    permission: str | None = None
    # The list page the export comes from (an endpoint), for the "back" links.
    list_endpoint: str | None = None


def register_export_kind(app: Flask, kind: ExportKind) -> None:
    """Make `kind` exportable in `app` (call it from workbench_init_app)."""
    kinds = app.extensions.setdefault(EXTENSION_KEY, {})
    if kind.key in kinds:
        raise ValueError(f"the export kind {kind.key!r} is declared twice")
    if not kind.columns:
        raise ValueError(f"the export kind {kind.key!r} has no columns")
    kinds[kind.key] = kind


def export_kinds() -> list[ExportKind]:
    return list(current_app.extensions.get(EXTENSION_KEY, {}).values())


def find_export_kind(key: str | None) -> ExportKind | None:
    return current_app.extensions.get(EXTENSION_KEY, {}).get(key or "")


def get_export_kind(key: str | None) -> ExportKind:
    kind = find_export_kind(key)
    if kind is None:
        raise NotFound(_l("Unknown export."))
    return kind


def local_datetime(value: datetime | None) -> datetime | None:
    """A stored naive-UTC time as the reader's local time (naive, as Excel wants it)."""
    if value is None:
        return None
    return to_user_timezone(value.replace(tzinfo=timezone.utc)).replace(tzinfo=None)
