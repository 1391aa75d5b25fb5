"""A record of every import run (its file, column mapping, progress and counts) and the rows
it could not import, each with the original cells and the reason per cell, for the report."""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workbench.extensions import db
from workbench.records import TimestampMixin

# mapping: uploaded, waiting for the person to confirm the columns; queued / running: handed
# to the background job; done: every row was looked at; failed: the whole file was refused or
# the job gave up (message says why, nothing of it was written); cancelled: never started.
RUN_STATES = ("mapping", "queued", "running", "done", "failed", "cancelled")
FINISHED_RUN_STATES = ("done", "failed", "cancelled")
RUN_STATE_LABELS = {
    "mapping": _l("Waiting for columns"), "queued": _l("Waiting to start"), "running": _l("Importing"),
    "done": _l("Finished"), "failed": _l("Failed"), "cancelled": _l("Cancelled"),
}


class ImportRun(TimestampMixin, db.Model):
    __tablename__ = "import_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), nullable=False)
    # The person's own file name, shown on pages only: on disk the file has a generated name.
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    stored_name: Mapped[str | None] = mapped_column(String(64))
    # None for a run from the command line under system scope.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    # "web" or "cli": where the run was started, shown in the history.
    source: Mapped[str] = mapped_column(String(8), nullable=False, default="web")
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="mapping")
    job_key: Mapped[str | None] = mapped_column(String(160))
    header_row: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    headers: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    # {"<column index in the file>": "<column key>"}; unmapped columns are not imported.
    mapping: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    total_rows: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # The checkpoint: rows (in processing order) whose outcome is committed.
    rows_done: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    updated: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    failed: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    message: Mapped[str | None] = mapped_column(String(1000))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)

    user = relationship("User", lazy="joined")

    @property
    def finished(self) -> bool:
        return self.state in FINISHED_RUN_STATES

    @property
    def mapped_positions(self) -> dict[str, int]:
        """{column key: index in the file} of the confirmed mapping."""
        return {key: int(index) for index, key in (self.mapping or {}).items() if key}

    def __repr__(self) -> str:
        return f"<ImportRun {self.id} {self.kind} {self.filename} {self.state}>"


class ImportRowError(db.Model):
    """One row that was not imported: its cells as the file had them and every problem found."""

    __tablename__ = "import_row_error"
    __table_args__ = (Index("ix_import_row_error_run_row", "run_id", "row_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("import_run.id", ondelete="CASCADE"), nullable=False)
    # The row number a person sees in the spreadsheet (the header is usually row 1).
    row_number: Mapped[int] = mapped_column(Integer, nullable=False)
    # The row's cells as text, in the file's column order (secrets masked); None for runs
    # recorded before the original rows were kept.
    cells: Mapped[list | None] = mapped_column(JSON)
    # [{"column": key or null, "index": file column or null, "title": header, "value": ..., "reason": ...}]
    problems: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
