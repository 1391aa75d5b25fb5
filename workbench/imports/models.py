"""A record of every import run, with its per-row error report for download."""
from __future__ import annotations

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workbench.extensions import db
from workbench.records import TimestampMixin

IMPORT_KINDS = ("customers", "units", "users")


class ImportRun(TimestampMixin, db.Model):
    __tablename__ = "import_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    # None for a run from the command line under system scope.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    # "web" or "cli": where the run was started, shown in the history.
    source: Mapped[str] = mapped_column(String(8), nullable=False, default="web")
    total_rows: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    updated: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    failed: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # [{"row": 7, "column": "客户编码", "value": "C01", "reason": "..."}]; row 1 is the header.
    errors: Mapped[list] = mapped_column(JSON, nullable=False, default=list)

    user = relationship("User", lazy="joined")

    def __repr__(self) -> str:
        return f"<ImportRun {self.id} {self.kind} {self.filename}>"
