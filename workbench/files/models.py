"""StoredFile: one file kept by the file store (its bytes live on disk, not in the database)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from workbench.extensions import db
from workbench.records import utcnow


class StoredFile(db.Model):
    """A file's metadata. Rows are never deleted: the records that point at them keep history.

    `storage_key` names the file on disk (DATA_DIR/files/ab/cd/<storage_key>) and is generated;
    `token` is a random handle for links that the owning record resolves after its own scope
    check — the store never serves anything by token alone. `original_name` is for display and
    for the download's name only.
    """

    __tablename__ = "stored_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    storage_key: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    original_name: Mapped[str] = mapped_column(String(255), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    content_type: Mapped[str] = mapped_column(String(128), nullable=False)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    created_by = db.relationship("User", lazy="joined")

    @property
    def size_label(self) -> str:
        """The size for people: 812 B, 34.5 KB, 2.1 MB."""
        size = float(self.size or 0)
        for unit in ("B", "KB", "MB"):
            if size < 1024 or unit == "MB":
                return f"{int(size)} {unit}" if unit == "B" else f"{size:.1f} {unit}"
            size /= 1024
        return f"{size:.1f} MB"  # pragma: no cover - loop always returns

    def __repr__(self) -> str:
        return f"<StoredFile {self.id} {self.kind} {self.original_name!r}>"
