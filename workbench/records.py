"""Base columns shared by business records: timestamps and the optimistic-lock version.

`version` is SQLAlchemy's version_id_col: an UPDATE that finds another writer got there
first raises StaleDataError; forms also carry the version they were rendered with so a stale
form submission is refused with a conflict message before anything is written.
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import DateTime, Integer
from sqlalchemy.orm import Mapped, declared_attr, mapped_column


def utcnow() -> datetime:
    """Timezone-aware now in UTC; stored naive-UTC by SQLite, timestamptz-free on PostgreSQL."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class EditConflict(Exception):
    """Raised when a submitted form or API body was based on an older version of a record."""

    def __init__(self, record, submitted_version):
        super().__init__(
            f"{type(record).__name__} {record.id} changed since version {submitted_version}"
        )
        self.record = record
        self.submitted_version = submitted_version


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime, default=utcnow, onupdate=utcnow, nullable=False
    )


class VersionedMixin:
    """Adds an optimistic-lock version column; check_version() compares a submitted one."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls):  # noqa: N805 - SQLAlchemy declared_attr signature
        return {"version_id_col": cls.version}

    def check_version(self, submitted_version) -> None:
        """Raise EditConflict unless `submitted_version` is the version now stored."""
        try:
            submitted = int(submitted_version)
        except (TypeError, ValueError):
            raise EditConflict(self, submitted_version) from None
        if submitted != self.version:
            raise EditConflict(self, submitted)
