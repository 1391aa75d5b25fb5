"""Exporting a list: count it, write it at once when small, else in a background job.

Rows always come from the kind's own query for the person, with the list page's filters, so
the data-scope rule decides what is in the file exactly as it decides what the page shows. A
person whose scope holds nothing gets a workbook with the column headers and no rows.

Rows are read by primary key in chunks (the ids of the whole filtered, ordered list first):
the background job commits a checkpoint (its progress) between chunks without holding one
long transaction or cursor open, and each chunk is selected again through the scope rule.
"""
from __future__ import annotations

import logging
import os
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Callable, Iterator, Mapping

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from workbench.auth.models import User
from workbench.errors import NotAllowed, NotFound
from workbench.exports.kinds import ExportKind, find_export_kind, get_export_kind, local_datetime
from workbench.exports.models import ExportFile
from workbench.exports.writer import write_workbook
from workbench.extensions import db
from workbench.records import utcnow

log = logging.getLogger(__name__)

JOB_NAME = "exports.build"
DEFAULT_INLINE_MAX_ROWS = 10_000
DEFAULT_KEEP_DAYS = 7
CHUNK_ROWS = 1000
SUBFOLDER = "exports"
# Query-string arguments that are paging or presentation, not filters.
NOT_FILTERS = frozenset({"page", "per_page", "format", "partial"})
MAX_FILTER_ARGS = 20
MAX_FILTER_CHARS = 200


def inline_limit() -> int:
    return int(current_app.config.get("WORKBENCH_EXPORT_INLINE_MAX_ROWS") or DEFAULT_INLINE_MAX_ROWS)


def keep_days() -> int:
    return int(current_app.config.get("WORKBENCH_EXPORT_KEEP_DAYS") or DEFAULT_KEEP_DAYS)


def filter_args(args: Mapping[str, str]) -> dict[str, str]:
    """The list page's filters from its query string (bounded: they are stored with a job)."""
    kept: dict[str, str] = {}
    for key, value in args.items():
        if key in NOT_FILTERS or not value or len(kept) >= MAX_FILTER_ARGS:
            continue
        kept[str(key)[:50]] = str(value)[:MAX_FILTER_CHARS]
    return kept


def permitted_kind(user: User, key: str) -> ExportKind:
    kind = get_export_kind(key)
    if kind.permission and not user.can(kind.permission):
        raise NotAllowed(_l("You may not export this list."))
    return kind


def _query(kind: ExportKind, user: User, args: Mapping[str, str]):
    # The list pages read request.args (a MultiDict: `args.get("unit", type=int)`); a job's
    # stored filters are given the same shape.
    return kind.query(user, args if isinstance(args, MultiDict) else MultiDict(args))


def _entity(query):
    entity = query.column_descriptions[0]["entity"]
    if entity is None:
        raise TypeError("an export query must select a mapped entity")
    return entity


def count_rows(kind: ExportKind, user: User, args: Mapping[str, str]) -> int:
    query = _query(kind, user, args)
    entity = _entity(query)
    # The same FROM and WHERE (so the same scope criteria), counting instead of loading.
    return db.session.execute(query.with_only_columns(func.count(entity.id)).order_by(None)).scalar_one()


def iter_records(kind: ExportKind, user: User, args: Mapping[str, str],
                 between_chunks: Callable[[int, int], None] | None = None) -> tuple[int, Iterator]:
    """(number of rows, an iterator of the records in the list's order)."""
    query = _query(kind, user, args)
    entity = _entity(query)
    ids = list(db.session.execute(query.with_only_columns(entity.id)).scalars())

    def records():
        done = 0
        for start in range(0, len(ids), CHUNK_ROWS):
            chunk = ids[start:start + CHUNK_ROWS]
            # Selected again through the scope rule: a record moved out of scope meanwhile is left out.
            found = {record.id: record for record in
                     db.session.execute(select(entity).where(entity.id.in_(chunk))).unique().scalars()}
            for record_id in chunk:
                record = found.get(record_id)
                if record is not None:
                    yield record
            done += len(chunk)
            if between_chunks is not None:
                between_chunks(done, len(ids))

    return len(ids), records()


def _cells(kind: ExportKind, records) -> Iterator[list]:
    for record in records:
        yield [column.value(record) for column in kind.columns]


def write_export(kind: ExportKind, user: User, args: Mapping[str, str], target,
                 between_chunks: Callable[[int, int], None] | None = None) -> int:
    """Write the whole export to the binary file `target`; returns the number of rows."""
    _total, records = iter_records(kind, user, args, between_chunks)
    return write_workbook(target, str(kind.label), [str(column.label) for column in kind.columns],
                          _cells(kind, records), widths=[column.width for column in kind.columns])


def export_filename(kind: ExportKind) -> str:
    stamp = local_datetime(utcnow()).strftime("%Y%m%d-%H%M")
    return f"{kind.label}-{stamp}.xlsx"


def export_now(user: User, kind: ExportKind, args: Mapping[str, str]):
    """The export as a temporary file (rewound), for a response in the request."""
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    write_export(kind, user, args, spool)
    spool.seek(0)
    return spool


# --- in the background ------------------------------------------------------------------------

def folder() -> Path:
    path = Path(current_app.config["UPLOAD_DIR"]) / SUBFOLDER
    path.mkdir(parents=True, exist_ok=True)
    return path


def start_export(user: User, kind: ExportKind, args: Mapping[str, str]) -> ExportFile:
    """Record an export and enqueue its job (handed over when the caller commits)."""
    from workbench.jobs import enqueue

    export = ExportFile(kind=kind.key, user_id=user.id, args=filter_args(args), state="queued",
                        filename=export_filename(kind))
    db.session.add(export)
    db.session.flush()
    export.job_key = f"{JOB_NAME}:{export.id}"
    enqueue(JOB_NAME, key=export.job_key, created_by=user, export_id=export.id)
    return export


def build_export(export_id: int, *, creator_id: int | None, checkpoint) -> dict:
    """The job's body: write the file, then record it. A second run (redelivered job) of a
    finished export does nothing; of an unfinished one starts the file afresh."""
    export = db.session.get(ExportFile, export_id)
    if export is None:
        return {"state": "missing"}
    if export.finished:
        return {"state": export.state, "rows": export.row_count}
    user = db.session.get(User, export.user_id)
    kind = find_export_kind(export.kind)
    if user is None or export.user_id != creator_id:
        return _fail(export, _l("This export was not started by its owner."))
    if kind is None:
        return _fail(export, _l("This list can no longer be exported."))
    if not user.active or (kind.permission and not user.can(kind.permission)):
        return _fail(export, _l("You may no longer export this list."))
    from workbench.app_setup import LOCALES

    locale = user.locale if user.locale in LOCALES else current_app.config["BABEL_DEFAULT_LOCALE"]
    export.state = "running"
    stored_name = f"{uuid.uuid4().hex}.xlsx"
    target = folder() / stored_name
    partial = folder() / f".{stored_name}.part"
    with force_locale(locale):
        def between_chunks(done: int, total: int) -> None:
            checkpoint(done, total, _("Row %(done)d of %(total)d", done=done, total=total))

        checkpoint(0, None, _("Starting…"))
        try:
            with open(partial, "wb") as output:
                rows = write_export(kind, user, export.args or {}, output, between_chunks)
            os.chmod(partial, 0o600)
            os.replace(partial, target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        checkpoint(rows, rows, _("%(n)d rows", n=rows))
    export = db.session.get(ExportFile, export_id)
    export.state = "done"
    export.stored_name = stored_name
    export.row_count = rows
    export.size = target.stat().st_size
    export.finished_at = utcnow()
    return {"state": "done", "rows": rows}


def _fail(export: ExportFile, reason) -> dict:
    export.state = "failed"
    export.message = str(reason)[:1000]
    export.finished_at = utcnow()
    return {"state": "failed"}


def give_up(export_id: int) -> None:
    """The job failed for good: the export says so rather than staying "running"."""
    export = db.session.get(ExportFile, export_id)
    if export is None or export.finished:
        return
    _fail(export, _l("The export stopped because of an unexpected error. Try again later."))
    db.session.commit()


def get_export(user: User, export_id: int) -> ExportFile:
    """An export of this person's; anybody else's is not found — not even an admin may
    download a file holding what someone else's scope showed."""
    export = db.session.get(ExportFile, export_id)
    if export is None or export.user_id != user.id:
        raise NotFound(_l("Export not found."))
    return export


def file_of(export: ExportFile) -> Path | None:
    if export.state != "done" or not export.stored_name:
        return None
    path = folder() / export.stored_name
    return path if path.is_file() else None


def exports_query(user: User, kind: str | None = None):
    query = select(ExportFile).where(ExportFile.user_id == user.id)
    if kind:
        query = query.where(ExportFile.kind == kind)
    return query.order_by(ExportFile.created_at.desc(), ExportFile.id.desc())


def purge_expired(now=None) -> dict:
    """Remove files older than WORKBENCH_EXPORT_KEEP_DAYS (their rows stay, as expired), and
    partial files a dead worker left behind."""
    now = now or utcnow()
    cutoff = now - timedelta(days=keep_days())
    old = db.session.execute(
        select(ExportFile).where(ExportFile.state == "done", ExportFile.finished_at < cutoff)
    ).scalars().all()
    for export in old:
        if export.stored_name:
            (folder() / export.stored_name).unlink(missing_ok=True)
        export.stored_name = None
        export.state = "expired"
    live = {name for name in db.session.execute(
        select(ExportFile.stored_name).where(ExportFile.stored_name.is_not(None))).scalars()}
    removed = 0
    day_ago = time.time() - 24 * 3600
    for path in folder().iterdir():
        name = path.name.removeprefix(".").removesuffix(".part")
        if path.is_file() and name not in live and path.stat().st_mtime < day_ago:
            path.unlink(missing_ok=True)
            removed += 1
    return {"expired": len(old), "files": removed}
