"""The core's exportable lists: customers, the to-do inbox, one's own import runs.

Each uses its list page's own filter parsing and query, so the file is what the page shows
(see workbench.exports.kinds). Registered from the imports package's workbench_init_app.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from workbench.exports.kinds import ExportColumn, ExportKind, local_datetime, register_export_kind


def _customers(user, args):
    from workbench.customers import services
    from workbench.customers.views import customer_filters

    return services.customer_query(customer_filters(args))


def _todos(user, args):
    from workbench.inbox import services
    from workbench.inbox.views import inbox_filters

    return services.inbox_query(user, inbox_filters(args))


def _import_runs(user, args):
    from workbench.imports import services

    return services.runs_query(user, args.get("history_kind") or None, args.get("q") or None)


def _todo_kind_label(item) -> str:
    from workbench.plugins import registry

    kind = registry().todo_kinds.get(item.kind)
    return str(kind.label) if kind is not None else item.kind


def _priority_label(item) -> str:
    from workbench.inbox.services import PRIORITIES

    return str(PRIORITIES.get(item.priority, item.priority))


def _import_kind_label(run) -> str:
    from workbench.imports.kinds import find_import_kind

    kind = find_import_kind(run.kind)
    return str(kind.label) if kind is not None else run.kind


def _import_state_label(run) -> str:
    from workbench.imports.models import RUN_STATE_LABELS

    return str(RUN_STATE_LABELS.get(run.state, run.state))


CUSTOMERS = ExportKind(
    "customers", _l("Customers"),
    columns=(
        ExportColumn("code", _l("Customer code"), lambda c: c.code, 14),
        ExportColumn("name", _l("Name"), lambda c: c.name, 32),
        ExportColumn("industry", _l("Industry"), lambda c: c.industry, 14),
        ExportColumn("level", _l("Level"), lambda c: c.level, 8),
        ExportColumn("owner", _l("Account manager"), lambda c: c.owner.name if c.owner else "", 14),
        ExportColumn("owner_username", _l("Username"), lambda c: c.owner.username if c.owner else "", 14),
        ExportColumn("unit_code", _l("Unit code"), lambda c: c.org_unit.code, 12),
        ExportColumn("unit", _l("Unit"), lambda c: c.org_unit.name, 18),
        ExportColumn("address", _l("Address"), lambda c: c.address, 32),
        ExportColumn("created_at", _l("Created at"), lambda c: local_datetime(c.created_at), 18),
    ),
    query=_customers, permission="customers.export", list_endpoint="customers.index",
)

TODOS = ExportKind(
    "todos", _l("To-dos"),
    columns=(
        ExportColumn("kind", _l("Kind"), _todo_kind_label, 14),
        ExportColumn("title", _l("Title"), lambda item: item.title, 40),
        ExportColumn("priority", _l("Priority"), _priority_label, 10),
        ExportColumn("due_at", _l("Due"), lambda item: local_datetime(item.due_at), 18),
        ExportColumn("status", _l("Status"), lambda item: item.status, 10),
        ExportColumn("created_at", _l("Created at"), lambda item: local_datetime(item.created_at), 18),
    ),
    query=_todos, list_endpoint="inbox.index",
)

IMPORT_RUNS = ExportKind(
    "imports", _l("My imports"),
    columns=(
        ExportColumn("filename", _l("File"), lambda run: run.filename, 30),
        ExportColumn("kind", _l("Kind"), _import_kind_label, 14),
        ExportColumn("state", _l("Status"), _import_state_label, 12),
        ExportColumn("created_at", _l("When"), lambda run: local_datetime(run.created_at), 18),
        ExportColumn("total", _l("Rows"), lambda run: run.total_rows, 8),
        ExportColumn("created", _l("Created"), lambda run: run.created, 8),
        ExportColumn("updated", _l("Updated"), lambda run: run.updated, 8),
        ExportColumn("unchanged", _l("Unchanged"), lambda run: run.unchanged, 8),
        ExportColumn("failed", _l("Failed"), lambda run: run.failed, 8),
    ),
    query=_import_runs, list_endpoint="imports.index",
)


def register_core_kinds(app) -> None:
    for kind in (CUSTOMERS, TODOS, IMPORT_RUNS):
        register_export_kind(app, kind)
