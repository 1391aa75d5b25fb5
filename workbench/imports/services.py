"""Running an import: upload, confirm the columns, then a background job saves the rows.

1. `upload` checks the file (type by content, size, a header and at least one row), stores it
   under a generated name and records an ImportRun in state "mapping" with the suggested
   column for each header.
2. `start` takes the person's confirmed mapping (required columns present, none chosen
   twice), and enqueues the job `imports.run` (see tasks.py); it runs after the commit —
   in-process in the embedded default, on a worker with Redis.
3. `process_run` (the job's body, also used by the command line) reads the whole file before
   writing anything (a refused file leaves nothing half-written), checks each row's cells
   against its columns, then saves good rows in chunks; every few seconds a checkpoint
   commits the chunks done since the last one together with their row errors, the run's
   counts and `rows_done`. A job delivered again after a worker died resumes after the last
   checkpoint, and rows are upserted by the kind's key columns, so nothing is created twice.

Services do not commit except where the job commits its checkpoints; views commit. Row
reasons are stored as text in the importer's language, so the report reads like the page.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import PurePath
from typing import Callable

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from workbench.auth.models import User
from workbench.errors import NotAllowed, NotFound, ServiceError
from workbench.events import emit
from workbench.extensions import db
from workbench.imports import storage
from workbench.imports.columns import (
    HeaderMap,
    HeaderReading,
    check_value,
    mapping_problems,
    read_headers,
    recogniser,
    strict_positions,
)
from workbench.imports.kinds import ImportKind, find_import_kind, get_import_kind, import_kinds
from workbench.imports.models import FINISHED_RUN_STATES, ImportRowError, ImportRun
from workbench.imports.readers import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_ROWS,
    SUPPORTED_SUFFIXES,
    ImportRefused,
    Sheet,
    read_sheet,
    suffix_of,
)
from workbench.imports.rows import Plan, Row, RowImporter, RowProblem
from workbench.org.scope import SYSTEM, acting_as
from workbench.records import utcnow

log = logging.getLogger(__name__)

# Rows are checked and saved in chunks (the records they refer to are loaded per chunk); a
# checkpoint (commit + progress) follows a chunk once CHECKPOINT_SECONDS have passed since
# the last one, so a large file commits every few seconds rather than every few hundred rows
# (each commit also hands work to other listeners, such as the search index).
ROWS_PER_CHUNK = 500
CHECKPOINT_SECONDS = 3.0
PREVIEW_ROWS = 5
JOB_NAME = "imports.run"
# A run left in "mapping" this long is dropped with its file (see purge_stale).
DRAFT_HOURS = 24
MASK = "***"


class MappingRefused(ServiceError):
    """The confirmed mapping cannot start the import: `problems` as from mapping_problems."""

    def __init__(self, problems: dict[str, list]):
        first = next(iter(problems.values()))[0]
        super().__init__(first)
        self.problems = problems


# --- who may import what ----------------------------------------------------------------------

def may_import(actor: User | None, kind: ImportKind) -> bool:
    """None is the system (the command line without --as), which may import everything."""
    return actor is None or actor.can(kind.permission)


def permitted_kinds(actor: User | None) -> list[ImportKind]:
    return [kind for kind in import_kinds() if may_import(actor, kind)]


def permitted_kind(actor: User | None, key: str | None) -> ImportKind:
    kind = get_import_kind(key)
    if not may_import(actor, kind):
        raise NotAllowed(_l("You may not import %(kind)s.", kind=kind.label))
    return kind


def limits() -> tuple[int, int]:
    config = current_app.config
    return (int(config.get("WORKBENCH_IMPORT_MAX_BYTES") or DEFAULT_MAX_BYTES),
            int(config.get("WORKBENCH_IMPORT_MAX_ROWS") or DEFAULT_MAX_ROWS))


# --- 1. upload --------------------------------------------------------------------------------

def _read(kind: ImportKind, filename: str, data: bytes, limit_rows: int | None = None) -> Sheet:
    max_bytes, max_rows = limits()
    return read_sheet(filename, data, max_bytes=max_bytes, max_rows=max_rows,
                      recognise=recogniser(kind.columns), limit_rows=limit_rows)


def upload(actor: User | None, kind_key: str, filename: str, data: bytes, *, source: str = "web") -> ImportRun:
    """Check and store an uploaded file; the run waits for its columns to be confirmed.

    Raises NotAllowed without the kind's permission and ImportRefused when the file cannot
    be imported at all (nothing is stored then)."""
    kind = permitted_kind(actor, kind_key)
    filename = PurePath(filename or "upload").name[:255]
    sheet = _read(kind, filename, data, limit_rows=PREVIEW_ROWS)
    suffix = suffix_of(filename)
    assert suffix in SUPPORTED_SUFFIXES  # read_sheet refused anything else
    reading = read_headers(kind.columns, sheet.headers)
    run = ImportRun(kind=kind.key, filename=filename, user_id=actor.id if actor is not None else None,
                    source=source, state="mapping", header_row=sheet.header_row, headers=sheet.headers,
                    mapping={str(index): key for index, key in reading.suggested.items() if key})
    run.stored_name = storage.save(data, suffix)
    db.session.add(run)
    db.session.flush()
    return run


@dataclass
class Preview:
    """What the mapping page shows: the header reading and the first rows of the file."""

    kind: ImportKind
    sheet: Sheet
    reading: HeaderReading


def preview(run: ImportRun) -> Preview:
    kind = get_import_kind(run.kind)
    data = storage.read(run.stored_name)
    if data is None:
        raise ImportRefused(_l("The uploaded file is no longer there. Upload it again."))
    sheet = _read(kind, run.filename, data, limit_rows=PREVIEW_ROWS)
    return Preview(kind, sheet, read_headers(kind.columns, sheet.headers))


# --- 2. start ---------------------------------------------------------------------------------

def _draft_of(actor: User, run: ImportRun) -> ImportRun:
    if run.user_id != actor.id:
        raise NotFound(_l("Import not found."))
    if run.state != "mapping":
        raise ServiceError(_l("This import has already been started."))
    return run


def start(actor: User, run: ImportRun, mapping: dict[int, str | None]) -> ImportRun:
    """Confirm the columns and hand the run to the background job (after the caller commits)."""
    from workbench.jobs import enqueue

    _draft_of(actor, run)
    kind = permitted_kind(actor, run.kind)
    mapping = {index: key for index, key in mapping.items() if 0 <= index < len(run.headers)}
    problems = mapping_problems(kind.columns, run.headers, mapping)
    if problems:
        raise MappingRefused(problems)
    run.mapping = {str(index): key for index, key in sorted(mapping.items()) if key}
    run.state = "queued"
    run.job_key = f"{JOB_NAME}:{run.id}"
    enqueue(JOB_NAME, key=run.job_key, created_by=actor, run_id=run.id)
    return run


def cancel(actor: User, run: ImportRun) -> ImportRun:
    """Drop a run that was uploaded but not started, with its file."""
    _draft_of(actor, run)
    run.state = "cancelled"
    run.finished_at = utcnow()
    storage.delete(run.stored_name)
    run.stored_name = None
    return run


# --- 3. the job -------------------------------------------------------------------------------

Checkpoint = Callable[..., None]


def _locale_of(actor: User | None) -> str:
    from workbench.app_setup import LOCALES

    locale = getattr(actor, "locale", None)
    return locale if locale in LOCALES else current_app.config["BABEL_DEFAULT_LOCALE"]


def process_run(run_id: int, *, checkpoint: Checkpoint, creator_id: int | None = None,
                from_job: bool = True) -> dict:
    """Import the rows of a started run; safe to call again for the same run (see the module
    docstring). `checkpoint(done, total, note)` must commit. Returns the run's summary."""
    run = db.session.get(ImportRun, run_id)
    if run is None:
        return {"state": "missing"}
    if run.state in FINISHED_RUN_STATES and not resumable(run):
        return summary(run)  # a redelivered job: the run is over, nothing to do
    if run.state == "mapping":
        raise ServiceError(_l("This import has not been started."))
    actor = run.user
    if from_job and (run.user_id is None or run.user_id != creator_id):
        # Only the uploader's own job may run it, in the uploader's scope.
        return _fail(run, _l("This import was not started by its uploader."), checkpoint)
    with force_locale(_locale_of(actor)):
        return _process(run, actor, checkpoint)


def _process(run: ImportRun, actor: User | None, checkpoint: Checkpoint) -> dict:
    kind = find_import_kind(run.kind)
    if kind is None:
        return _fail(run, _l("This kind of import is no longer available."), checkpoint)
    if actor is not None and not (actor.active and may_import(actor, kind)):
        return _fail(run, _l("You may no longer import %(kind)s.", kind=kind.label), checkpoint)
    data = storage.read(run.stored_name)
    if data is None:
        return _fail(run, _l("The uploaded file is no longer there. Upload it again."), checkpoint)
    try:
        # The whole file is read and checked before anything is written.
        sheet = _read(kind, run.filename, data)
    except ImportRefused as refused:
        return _fail(run, refused.message, checkpoint)
    if sheet.headers != list(run.headers):
        return _fail(run, _l("The file's column names changed since it was uploaded. Upload it again."),
                     checkpoint)
    scope = actor.scope if actor is not None else SYSTEM
    header = HeaderMap.from_positions(run.headers, run.mapped_positions)
    with acting_as(scope):
        importer = kind.importer(actor, scope, kind)
        _import_rows(run, kind, importer, header, sheet, checkpoint)
    run.state = "done"
    run.finished_at = utcnow()
    stored_name, run.stored_name = run.stored_name, None
    emit("import.finished", actor=actor, import_run_id=run.id, kind=run.kind, filename=run.filename,
         total=run.total_rows, created=run.created, updated=run.updated, unchanged=run.unchanged,
         failed=run.failed)
    checkpoint(run.rows_done, run.total_rows, _("%(n)d rows", n=run.total_rows))
    storage.delete(stored_name)  # only once the outcome is committed: a retry still has it
    return summary(run)


def _fail(run: ImportRun, reason, checkpoint: Checkpoint) -> dict:
    """The whole run is refused: say why; no row of it was written."""
    run.state = "failed"
    run.message = str(reason)[:1000]
    run.finished_at = utcnow()
    stored_name, run.stored_name = run.stored_name, None
    checkpoint(run.rows_done, run.total_rows or None, str(reason)[:255])
    storage.delete(stored_name)
    return summary(run)


def resumable(run: ImportRun) -> bool:
    """A run its job gave up on keeps its file, so the job retried (by an administrator)
    carries on from the checkpoint; a refused file is deleted and the run is over."""
    return run.state == "failed" and run.stored_name is not None and run.job_key is not None


def give_up(run_id: int) -> None:
    """The job failed for good (its last attempt raised): record it on the run and commit.
    Chunks committed before stay imported; importing the file again completes it, and so
    does retrying the job (see resumable)."""
    run = db.session.get(ImportRun, run_id)
    if run is None or run.finished:
        return
    with force_locale(_locale_of(run.user)):
        message = _("The import stopped because of an unexpected error after %(done)d of %(total)d rows; "
                    "those rows were imported. Import the file again to finish: rows already imported "
                    "are recognised and left unchanged.", done=run.rows_done, total=run.total_rows)
    run.state = "failed"
    run.message = message[:1000]
    run.finished_at = utcnow()
    db.session.commit()


def summary(run: ImportRun) -> dict:
    return {"run_id": run.id, "state": run.state, "total": run.total_rows, "created": run.created,
            "updated": run.updated, "unchanged": run.unchanged, "failed": run.failed}


class _ChunkTally:
    """Counts and row errors of one chunk, saved with its checkpoint."""

    def __init__(self, kind: ImportKind, header: HeaderMap):
        self.kind = kind
        self.header = header
        self.secret_indexes = {header.positions[key] for key in kind.secret_columns if key in header.positions}
        self.counts = {"created": 0, "updated": 0, "unchanged": 0}
        self.errors: dict[int, ImportRowError] = {}

    def error(self, row: Row, column: str | None, reason) -> None:
        entry = self.errors.get(row.number)
        if entry is None:
            cells = [MASK if index in self.secret_indexes and cell else cell for index, cell in enumerate(row.cells)]
            entry = self.errors[row.number] = ImportRowError(row_number=row.number, cells=cells, problems=[])
        index = self.header.positions.get(column) if column else None
        value = ""
        if column:
            value = MASK if column in self.kind.secret_columns and row.get(column) else row.get(column)
            if index is not None and index < len(row.cells) and column not in self.kind.secret_columns:
                value = row.cells[index]  # the cell as the file had it, before normalising
        entry.problems = [*entry.problems, {
            "column": column, "index": index, "title": self.header.titles.get(column, column or "") if column else "",
            "value": value, "reason": str(reason),
        }]

    def save(self, run: ImportRun) -> None:
        for entry in self.errors.values():
            entry.run_id = run.id
            db.session.add(entry)
        run.created += self.counts["created"]
        run.updated += self.counts["updated"]
        run.unchanged += self.counts["unchanged"]
        run.failed += len(self.errors)


def _rows_with_cell_problems(kind: ImportKind, header: HeaderMap, sheet: Sheet):
    """Rows with their values checked per column, and the cell problems of each row."""
    index_to_key = {index: key for key, index in header.positions.items()}
    rows: list[Row] = []
    problems: dict[int, list[tuple[str, object]]] = {}
    for number, cells in sheet.rows:
        raw = header.values(cells)
        values: dict[str, str] = {}
        found: list[tuple[str, object]] = []
        for index, reason in sheet.cell_problems.get(number, {}).items():
            if index in index_to_key:  # a problem in a column nobody imports does not matter
                found.append((index_to_key[index], reason))
        bad_cells = {key for key, _reason in found}
        for column in kind.columns:
            value, reason = check_value(column, raw.get(column.key, ""))
            values[column.key] = value
            if reason is not None and column.key not in bad_cells:
                found.append((column.key, reason))
        rows.append(Row(number, values, list(cells)))
        if found:
            problems[number] = found
    return rows, problems


def _import_rows(run: ImportRun, kind: ImportKind, importer: RowImporter, header: HeaderMap, sheet: Sheet,
                 checkpoint: Checkpoint) -> None:
    rows, cell_problems = _rows_with_cell_problems(kind, header, sheet)
    duplicates = _duplicate_rows(importer, rows)
    ordered = importer.order(rows)
    total = len(ordered)
    start_at = run.rows_done
    if start_at:
        # Resuming: the importer learns which earlier rows failed (a unit's parent, say).
        failed_before = set(db.session.execute(
            select(ImportRowError.row_number).where(ImportRowError.run_id == run.id)).scalars())
        for row in ordered[:start_at]:
            if row.number in failed_before:
                importer.failed(row)
    run.state = "running"
    run.message = None
    run.total_rows = total
    checkpoint(start_at, total, _("Row %(done)d of %(total)d", done=start_at, total=total))
    last_checkpoint = time.monotonic()
    for chunk_start in range(start_at, total, ROWS_PER_CHUNK):
        chunk = ordered[chunk_start:chunk_start + ROWS_PER_CHUNK]
        tally = _ChunkTally(kind, header)
        importer.preload(chunk)
        pending: list[tuple[Row, Plan]] = []
        for row in chunk:
            problems = list(cell_problems.get(row.number, ()))
            if row.number in duplicates:
                problems.append((importer.key_column, duplicates[row.number]))
            if problems:
                for column, reason in problems:
                    tally.error(row, column, reason)
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
        tally.save(run)
        run.rows_done = chunk_start + len(chunk)
        if run.rows_done < total and time.monotonic() - last_checkpoint >= CHECKPOINT_SECONDS:
            checkpoint(run.rows_done, total, _("Row %(done)d of %(total)d", done=run.rows_done, total=total))
            last_checkpoint = time.monotonic()


def _plan_row(importer: RowImporter, row: Row, tally: _ChunkTally) -> Plan | None:
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


def _succeeded(importer: RowImporter, row: Row, plan: Plan, record, tally: _ChunkTally) -> None:
    tally.counts["created" if plan.record is None else "updated"] += 1
    importer.saved(row, record)


def _write_rows(importer: RowImporter, pending: list[tuple[Row, Plan]], tally: _ChunkTally) -> None:
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


def _write_row(importer: RowImporter, row: Row, plan: Plan, tally: _ChunkTally) -> None:
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
        log.warning("import %s: row %d refused by the database: %s", tally.kind.key, row.number, exc)
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
            shown = " / ".join(row.get(column) for column in importer.key_columns)
            duplicates[row.number] = _l("%(key)s appears more than once in this file (first in row %(row)d).",
                                        key=shown, row=first_seen[key])
        else:
            first_seen[key] = row.number
    return duplicates


# --- the command line -------------------------------------------------------------------------

def import_now(actor: User | None, kind_key: str, filename: str, data: bytes) -> ImportRun:
    """Import a file at once, in this process (the command line): the headers must all be
    recognised, as nobody can be asked; then the same steps as the background job."""
    kind = permitted_kind(actor, kind_key)
    sheet = _read(kind, filename, data, limit_rows=PREVIEW_ROWS)
    positions = strict_positions(kind.columns, sheet.headers)
    run = upload(actor, kind_key, filename, data, source="cli")
    run.mapping = {str(index): key for key, index in positions.items()}
    run.state = "queued"
    db.session.commit()
    process_run(run.id, checkpoint=lambda *args, **kwargs: db.session.commit(), from_job=False)
    return db.session.get(ImportRun, run.id)


# --- reading runs -----------------------------------------------------------------------------

def get_run(actor: User, run_id: int) -> ImportRun:
    """A run the actor started, or any run for an admin who sees everything; else NotFound."""
    run = db.session.get(ImportRun, run_id)
    if run is None or not (run.user_id == actor.id or actor.scope.sees_everything):
        raise NotFound(_l("Import not found."))
    return run


def runs_query(actor: User, kind: str | None = None, q: str | None = None):
    """The actor's own runs, newest first, optionally of one kind or matching a file name."""
    query = select(ImportRun).where(ImportRun.user_id == actor.id)
    if kind:
        query = query.where(ImportRun.kind == kind)
    if q:
        query = query.where(ImportRun.filename.contains(q.strip(), autoescape=True))
    return query.order_by(ImportRun.created_at.desc(), ImportRun.id.desc())


def row_errors(run: ImportRun, limit: int | None = None) -> list[ImportRowError]:
    query = (select(ImportRowError).where(ImportRowError.run_id == run.id)
             .order_by(ImportRowError.row_number, ImportRowError.id))
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.execute(query).scalars())


def problem_count(run: ImportRun) -> int:
    from sqlalchemy import func

    return db.session.execute(select(func.count(ImportRowError.id)).where(ImportRowError.run_id == run.id)
                              ).scalar_one()


# --- housekeeping -----------------------------------------------------------------------------

def purge_stale(now=None) -> dict:
    """Drop runs left unstarted for DRAFT_HOURS, and files no live run refers to."""
    from datetime import timedelta

    now = now or utcnow()
    drafts = db.session.execute(
        select(ImportRun).where(ImportRun.state == "mapping",
                                ImportRun.created_at < now - timedelta(hours=DRAFT_HOURS))
    ).scalars().all()
    for run in drafts:
        storage.delete(run.stored_name)
        run.stored_name = None
        run.state = "cancelled"
        run.finished_at = now
    db.session.flush()
    live = set(db.session.execute(
        select(ImportRun.stored_name).where(ImportRun.stored_name.is_not(None))).scalars())
    removed = 0
    for path in storage.stale_files(DRAFT_HOURS * 3600, live):
        path.unlink(missing_ok=True)
        removed += 1
    return {"drafts": len(drafts), "files": removed}
