"""Stored homepage layouts. A layout is a list of {"key": widget key, "width": 3..12}."""
from __future__ import annotations

from sqlalchemy import JSON, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from workbench.extensions import db
from workbench.records import TimestampMixin


class UserLayout(TimestampMixin, db.Model):
    __tablename__ = "homepage_user_layout"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), unique=True, nullable=False
    )
    widgets: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)


class RoleLayout(TimestampMixin, db.Model):
    """The default layout an admin sets for a role; `locked` widgets cannot be removed or moved."""

    __tablename__ = "homepage_role_layout"

    id: Mapped[int] = mapped_column(primary_key=True)
    role_id: Mapped[int] = mapped_column(
        ForeignKey("role.id", ondelete="CASCADE"), unique=True, nullable=False
    )
    widgets: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    locked: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
