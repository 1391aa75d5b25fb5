"""Running an import: who may import what, reading the file, saving good rows one SAVEPOINT
each, recording the run with its error list, and the runs a person may look at.

`run_import` does not commit: the caller (a view or the command line) commits, as for every
other service. Row reasons are stored as text in the importer's language at the time of the
run, so the downloaded report reads the same as the page did.
"""
from __future__ import annotations

import logging
from pathlib import PurePath

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from workbench.auth.models import User
from workbench.errors import NotAllowed, NotFound, ServiceError
from workbench.events import emit
from workbench.extensions import db
from workbench.imports.columns import HeaderMap, map_headers
from workbench.imports.models import IMPORT_KINDS, ImportRun
from workbench.imports.readers import DEFAULT_MAX_BYTES, DEFAULT_MAX_ROWS, read_sheet
from workbench.imports.rows import IMPORTERS, Plan, Row, RowImporter, RowProblem
from workbench.org.scope import SYSTEM, Scope, acting_as

log = logging.getLogger(__name__)

ROWS_PER_CHUNK = 500
SECRET_COLUMNS = frozenset({"password"})
KIND_LABELS = {
    "customers": _l("Customers"),
    "units": _l("Org units"),
    "users": _l("Users"),
}


def permission_for(kind: str) -> str:
    if kind not in IMPORTERS:
        raise NotFound(_l("Unknown kind of import."))
    return IMPORTERS[kind].permission


def may_import(actor: User | None, kind: str) -> bool:
    """None is the system (the command line without --as), which may import everything."""
    return actor is None or actor.can(permission_for(kind))


def permitted_kinds(actor: User | None) -> list[str]:
    return [kind for kind in IMPORT_KINDS if may_import(actor, kind)]


def limits() -> tuple[int, int]:
    config = current_app.config
    return (int(config.get("WORKBENCH_IMPORT_MAX_BYTES") or DEFAULT_MAX_BYTES),
            int(config.get("WORKBENCH_IMPORT_MAX_ROWS") or DEFAULT_MAX_ROWS))


def run_import(actor: User | None, kind: str, filename: str, data: bytes, *, source: str = "web") -> ImportRun:
    """Import `data` (the bytes of an .xlsx or .csv file) as `kind`, acting as `actor`.

    Raises NotAllowed without the kind's permission and ImportRefused (a ServiceError) when
    the whole file is refused; otherwise returns the flushed ImportRun with its counts and
    errors. Good rows are saved even when others fail.
    """
    if not may_import(actor, kind):
        raise NotAllowed(_l("You may not import %(kind)s.", kind=KIND_LABELS[kind]))
    max_bytes, max_rows = limits()
    filename = PurePath(filename or "upload").name[:255]
    sheet = read_sheet(filename, data, max_bytes=max_bytes, max_rows=max_rows)
    header = map_headers(kind, sheet.headers)
    rows = [Row(number, header.values(cells)) for number, cells in sheet.rows]
    scope = actor.scope if actor is not None else SYSTEM
    with acting_as(scope):
        run = _apply_rows(actor, scope, kind, filename, header, rows, source)
    emit("import.finished", actor=actor, import_run_id=run.id, kind=kind, filename=run.filename,
         total=run.total_rows, created=run.created, updated=run.updated, unchanged=run.unchanged,
         failed=run.failed)
    return run


class _Tally:
    """Counts and errors of one run, errors kept in spreadsheet order."""

    def __init__(self, header: HeaderMap):
        self.header = header
        self.counts = {"created": 0, "updated": 0, "unchanged": 0}
        self.errors: list[dict] = []

    def error(self, row: Row, column: str | None, reason) -> None:
        self.errors.append({
            "row": row.number,
            "column": self.header.titles.get(column, column or "") if column else "",
            # A password never goes into the stored report, even a rejected one.
            "value": ("***" if column in SECRET_COLUMNS else row.get(column)) if column else "",
            "reason": str(reason),
        })


def _apply_rows(actor, scope: Scope, kind: str, filename: str, header: HeaderMap, rows: list[Row],
                source: str) -> ImportRun:
    importer: RowImporter = IMPORTERS[kind](actor, scope)
    tally = _Tally(header)
    duplicates = _duplicate_rows(importer, rows)
    ordered = importer.order(rows)
    for start in range(0, len(ordered), ROWS_PER_CHUNK):
        chunk = ordered[start:start + ROWS_PER_CHUNK]
        importer.preload(chunk)
        pending: list[tuple[Row, Plan]] = []
        for row in chunk:
            if row.number in duplicates:
                tally.error(row, importer.key_column, duplicates[row.number])
                importer.failed(row)
                continue
            plan = _plan_row(importer, row, tally)
            if plan is None:
                continue
            pending.append((row, plan))
            if len(pending) >= importer.batch_size:
                _write_rows(importer, pending, tally)
                pending = []
        _write_rows(importer, pending, tally)
        importer.release(chunk)
    tally.errors.sort(key=lambda error: error["row"])
    run = ImportRun(
        kind=kind, filename=filename, user_id=actor.id if actor is not None else None, source=source,
        total_rows=len(rows), created=tally.counts["created"], updated=tally.counts["updated"],
        unchanged=tally.counts["unchanged"], failed=len({error["row"] for error in tally.errors}),
        errors=tally.errors,
    )
    db.session.add(run)
    db.session.flush()
    return run


def _plan_row(importer: RowImporter, row: Row, tally: _Tally) -> Plan | None:
    """The row's plan when it has something to write; None when it failed or is unchanged."""
    try:
        plan = importer.plan(row)
    except RowProblem as problem:
        tally.error(row, problem.column, problem.reason)
        importer.failed(row)
        return None
    if plan.unchanged:
        tally.counts["unchanged"] += 1
        return None
    return plan


def _succeeded(importer: RowImporter, row: Row, plan: Plan, record, tally: _Tally) -> None:
    tally.counts["created" if plan.record is None else "updated"] += 1
    importer.saved(row, record)


def _write_rows(importer: RowImporter, pending: list[tuple[Row, Plan]], tally: _Tally) -> None:
    """Save planned rows. A batch is tried in one SAVEPOINT first (one flush for many rows is
    what makes a 100,000-row file take minutes rather than far longer); if anything in it
    fails, the batch is rolled back and replayed one SAVEPOINT per row, so only the bad rows
    are lost and each is reported with its own reason."""
    if not pending:
        return
    if len(pending) > 1:
        try:
            with db.session.begin_nested():
                records = [importer.write(row, plan) for row, plan in pending]
                db.session.flush()
        except (RowProblem, ServiceError, SQLAlchemyError):
            pass
        else:
            for (row, plan), record in zip(pending, records, strict=True):
                _succeeded(importer, row, plan, record, tally)
            return
    for row, plan in pending:
        _write_row(importer, row, plan, tally)


def _write_row(importer: RowImporter, row: Row, plan: Plan, tally: _Tally) -> None:
    try:
        # One SAVEPOINT per row: a row the database refuses is rolled back alone.
        with db.session.begin_nested():
            record = importer.write(row, plan)
            db.session.flush()
    except RowProblem as problem:
        tally.error(row, problem.column, problem.reason)
        importer.failed(row)
    except ServiceError as exc:
        tally.error(row, exc.field, exc.message)
        importer.failed(row)
    except SQLAlchemyError as exc:
        log.warning("import %s: row %d refused by the database: %s", importer.kind, row.number, exc)
        tally.error(row, None, _l("The database refused this row; it was not saved. Check it for values "
                                  "that clash with other records."))
        importer.failed(row)
    else:
        _succeeded(importer, row, plan, record, tally)


def _duplicate_rows(importer: RowImporter, rows: list[Row]) -> dict[int, object]:
    """Rows repeating a key seen higher up the file → reason; the first occurrence stands."""
    first_seen: dict[str, int] = {}
    duplicates: dict[int, object] = {}
    for row in rows:
        key = importer.natural_key(row)
        if not key:
            continue
        if key in first_seen:
            duplicates[row.number] = _l("%(key)s appears more than once in this file (first in row %(row)d).",
                                        key=row.get(importer.key_column), row=first_seen[key])
        else:
            first_seen[key] = row.number
    return duplicates


def get_run(actor: User, run_id: int) -> ImportRun:
    """A run the actor started, or any run for an admin who sees everything; else NotFound."""
    run = db.session.get(ImportRun, run_id)
    if run is None or not (run.user_id == actor.id or actor.scope.sees_everything):
        raise NotFound(_l("Import not found."))
    return run


def runs_query(actor: User, kind: str | None = None, q: str | None = None):
    """The actor's own runs, newest first, optionally of one kind or matching a file name."""
    query = select(ImportRun).where(ImportRun.user_id == actor.id)
    if kind in IMPORT_KINDS:
        query = query.where(ImportRun.kind == kind)
    if q:
        query = query.where(ImportRun.filename.contains(q.strip(), autoescape=True))
    return query.order_by(ImportRun.created_at.desc(), ImportRun.id.desc())
