"""A one-module plugin for the import tests: it declares the import kind "visits.visits" from
its workbench_init_app, the way docs/imports.md tells plugins to, with a date column and an
importer that keeps what it saved in SAVED (no table of its own)."""
from __future__ import annotations

from sqlalchemy import select

from workbench.contracts import Manifest
from workbench.customers.models import Customer
from workbench.extensions import db
from workbench.hookspecs import hookimpl
from workbench.imports.columns import Column
from workbench.imports.kinds import ImportKind, register_import_kind
from workbench.imports.rows import Plan, RowImporter, RowProblem

SAVED: list[tuple[str, str, str]] = []

COLUMNS = (
    Column("customer_code", "客户编码", "Customer code", required=True, text=True),
    Column("visit_date", "拜访日期", "Visit date", required=True, type="date"),
    Column("note", "备注", "Note", max_length=200),
)


class VisitRows(RowImporter):
    def plan(self, row):
        found = db.session.execute(select(Customer).where(Customer.code == row.get("customer_code"))).scalars().first()
        if found is None:
            raise RowProblem("customer_code", "No such customer in your scope.")
        key = (row.get("customer_code"), row.get("visit_date"), row.get("note"))
        return Plan(None, {"key": key}) if key not in SAVED else Plan(key, {})

    def write(self, row, plan):
        SAVED.append(plan.changes["key"])
        return plan.changes["key"]


@hookimpl
def workbench_manifest():
    return Manifest(name="visits", title="Visits", version="1.0")


@hookimpl
def workbench_init_app(app):
    SAVED.clear()
    register_import_kind(app, ImportKind("visits.visits", "Site visits", COLUMNS, VisitRows,
                                         permission="customers.edit", key_columns=("customer_code", "visit_date")))
