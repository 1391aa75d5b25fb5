"""The job table: outbox, idempotency record and progress of every background job."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from workbench.extensions import db
from workbench.records import utcnow

# pending: written, not yet handed to the broker (the outbox); queued: handed over;
# running: claimed by a worker; done / failed: finished.
JOB_STATES = ("pending", "queued", "running", "done", "failed")
FINISHED_STATES = ("done", "failed")


class Job(db.Model):
    __tablename__ = "job"
    __table_args__ = (Index("ix_job_state_created_at", "state", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The idempotency key: the same key is one job, however often it is enqueued or delivered.
    key: Mapped[str] = mapped_column(String(160), unique=True)
    task: Mapped[str] = mapped_column(String(128))
    kwargs: Mapped[dict] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True, nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Not before: a job delayed on purpose (SMS quiet hours) is handed over at this time.
    run_after: Mapped[datetime | None] = mapped_column(nullable=True)
    queued_at: Mapped[datetime | None] = mapped_column(nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # A claim holds until lease_until; a redelivered job whose worker died may be re-claimed.
    claim_token: Mapped[str | None] = mapped_column(String(32), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(nullable=True)
    worker: Mapped[str | None] = mapped_column(String(200), nullable=True)
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    progress_note: Mapped[str | None] = mapped_column(String(255), nullable=True)
    result: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)

    @property
    def finished(self) -> bool:
        return self.state in FINISHED_STATES

    @property
    def percent(self) -> int:
        if self.state == "done":
            return 100
        if not self.progress_total:
            return 0
        return min(100, int(self.progress_done * 100 / self.progress_total))
