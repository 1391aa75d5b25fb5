"""An export prepared in the background: who asked, for which list and filters, and the
file it produced (stored outside the web root under a generated name)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from workbench.extensions import db
from workbench.records import TimestampMixin

# queued → running → done | failed; expired once the file was removed after a while.
EXPORT_STATES = ("queued", "running", "done", "failed", "expired")


class ExportFile(TimestampMixin, db.Model):
    __tablename__ = "export_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), nullable=False)
    # Only this person may download the file: it holds what *their* scope showed.
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True)
    # The list page's filters the export was made with.
    args: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="queued")
    job_key: Mapped[str | None] = mapped_column(String(160))
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    stored_name: Mapped[str | None] = mapped_column(String(64))
    row_count: Mapped[int | None] = mapped_column(Integer)
    size: Mapped[int | None] = mapped_column(Integer)
    message: Mapped[str | None] = mapped_column(String(1000))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed", "expired")

    def __repr__(self) -> str:
        return f"<ExportFile {self.id} {self.kind} {self.state}>"
